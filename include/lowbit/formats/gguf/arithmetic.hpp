// lowbit/formats/gguf/arithmetic.hpp - the scalar operations GGUF quantizers are defined by.
//
// ggml's reference quantizers are C code compiled without floating-point contraction; their bytes
// depend on every rounding step. These helpers pin each step down independently of compiler
// flags, instruction set and floating-point environment:
// - mul: a rounded product that is never fused into a following add (core/unfused.hpp);
// - nearest_int: ggml's round-half-to-even through the 1.5 * 2^23 addition, as bit arithmetic;
// - truncate_x86: C's float -> int conversion as x86 performs it (cvttss2si), including the
//   "integer indefinite" INT32_MIN that out-of-range and NaN inputs produce, so that edge inputs
//   (subnormal blocks whose reciprocal scale is infinite) give ggml's bytes without undefined
//   behaviour;
// - round_away / lround_x86: roundf and glibc's lroundf (half away from zero);
// - to_half / from_half: fp32 <-> fp16 round-to-nearest-even (core/half.hpp); to_half refuses to
//   store an infinite scale (a block whose scale overflows fp16 cannot be represented).
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "lowbit/core/error.hpp"
#include "lowbit/core/half.hpp"
#include "lowbit/core/unfused.hpp"

namespace lowbit::gguf::detail {

inline float mul(float a, float b) { return unfused_mul(a, b); }

// ggml's nearest_int: adding 1.5 * 2^23 leaves round-half-even(x) in the low mantissa bits for
// |x| <= 2^22 - 1 (larger inputs give ggml's wrapped result, reproduced bit for bit).
inline int nearest_int(float x) {
    const float shifted = x + 12582912.f;
    std::int32_t bits;
    std::memcpy(&bits, &shifted, sizeof bits);
    return (bits & 0x007fffff) - 0x00400000;
}

inline std::int32_t truncate_x86(float x) {
    if (!(std::fabs(x) < 2147483648.f)) return INT32_MIN;
    return static_cast<std::int32_t>(x);
}

// (int8_t)(float) as compiled for x86: the low byte of the 32-bit truncation.
inline std::int8_t truncate_to_int8_x86(float x) {
    return static_cast<std::int8_t>(static_cast<std::uint8_t>(static_cast<std::uint32_t>(truncate_x86(x)) & 0xffu));
}

// roundf(x) stored into an int8_t by ggml (q8_0, q8_1).
inline std::int8_t round_away_to_int8(float x) { return truncate_to_int8_x86(std::round(x)); }

// (int)lroundf(x) as glibc on x86-64 returns it: LONG_MIN (low 32 bits 0) when out of range.
inline int lround_x86(float x) {
    if (!(std::fabs(x) < 9.2233720e18f)) return 0;
    return static_cast<int>(static_cast<std::uint32_t>(static_cast<std::uint64_t>(std::llround(x)) & 0xffffffffu));
}

inline std::uint16_t to_half(float value, const char* format, const char* field) {
    const std::uint16_t h = float_to_fp16_bits(value);
    if ((h & 0x7c00u) == 0x7c00u)
        lowbit::detail::fail("gguf ", format, ": the block's ", field, " ", value,
                             " overflows fp16 (input magnitude too large for this format)");
    return h;
}

inline float from_half(std::uint16_t h) { return fp16_bits_to_float(h); }

inline std::size_t blocks_in(std::int64_t n, int block_size) { return static_cast<std::size_t>(n / block_size); }

template <class Block>
inline void store_block(const Block& b, std::byte* out) { std::memcpy(out, &b, sizeof b); }

template <class Block>
inline Block load_block(const std::byte* in) {
    Block b;
    std::memcpy(&b, in, sizeof b);
    return b;
}

}  // namespace lowbit::gguf::detail
