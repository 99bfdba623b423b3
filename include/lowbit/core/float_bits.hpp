// lowbit/core/float_bits.hpp - exact reinterpretation between float and its 32 bits.
#pragma once

#include <cstdint>
#include <cstring>

namespace lowbit::detail {

inline std::uint32_t float_to_bits(float f) {
    std::uint32_t u;
    std::memcpy(&u, &f, sizeof u);
    return u;
}

inline float bits_to_float(std::uint32_t u) {
    float f;
    std::memcpy(&f, &u, sizeof f);
    return f;
}

}  // namespace lowbit::detail
