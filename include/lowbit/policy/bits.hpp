// lowbit/policy/bits.hpp - bit width and code range.
//
//   int_bits<N>                 signed, full range:   qmin = -2^(N-1),     qmax = 2^(N-1) - 1
//   int_bits<N, narrow_range>   signed, narrow range: qmin = -2^(N-1) + 1, qmax = 2^(N-1) - 1
//   uint_bits<N>                unsigned:             qmin = 0,            qmax = 2^N - 1
//
// N is 2..8. Narrow range keeps the code grid symmetric about zero (-7..7 for 4 bits), which
// matters to kernels that negate codes and to symmetric schemes that want +-amax both exact.
// In memory a code takes N bits: two's complement for signed codes, plain binary for unsigned.
#pragma once

#include <cstdint>
#include <type_traits>

#include "lowbit/policy/axis.hpp"

namespace lowbit {

struct full_range {};
struct narrow_range {};

template <int N, class Convention = full_range>
struct int_bits {
    static_assert(N >= 2 && N <= 8, "int_bits<N>: N must be between 2 and 8");
    static_assert(std::is_same_v<Convention, full_range> || std::is_same_v<Convention, narrow_range>,
                  "int_bits<N, C>: C must be full_range or narrow_range");
    using axis = lowbit::axis::bits;
    using code_type = std::int8_t;
    static constexpr int bits = N;
    static constexpr bool is_signed = true;
    static constexpr bool narrow = std::is_same_v<Convention, narrow_range>;
    static constexpr int qmin = narrow ? -(1 << (N - 1)) + 1 : -(1 << (N - 1));
    static constexpr int qmax = (1 << (N - 1)) - 1;
};

template <int N>
struct uint_bits {
    static_assert(N >= 2 && N <= 8, "uint_bits<N>: N must be between 2 and 8");
    using axis = lowbit::axis::bits;
    using code_type = std::uint8_t;
    static constexpr int bits = N;
    static constexpr bool is_signed = false;
    static constexpr bool narrow = false;
    static constexpr int qmin = 0;
    static constexpr int qmax = (1 << N) - 1;
};

}  // namespace lowbit
