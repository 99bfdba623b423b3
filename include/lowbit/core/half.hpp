// lowbit/core/half.hpp - IEEE binary16 (fp16) and bfloat16 (bf16) storage types.
//
// Both are 16-bit storage formats; arithmetic happens in float. Conversions are exact integer
// manipulations of the bit patterns, so they do not depend on the floating-point environment
// (MXCSR, fesetround) or on the instruction set.
//
// float -> fp16: round to nearest, ties to even. |x| >= 65520 becomes +-Inf (65520 is the tie
//   between 65504, the largest finite half, and 65536, and ties go to the even 65536 = Inf).
//   Values below 2^-14 become subnormal halves (multiples of 2^-24); |x| <= 2^-25 becomes +-0.
//   NaN stays NaN with the quiet bit set and the top 9 payload bits kept; the sign is kept.
// fp16 -> float: exact (every half is a float).
// float -> bf16: the upper 16 bits of the float after round to nearest, ties to even; overflow
//   goes to +-Inf; subnormals are kept as bf16 subnormals; NaN becomes a quiet NaN with its sign
//   and top payload bits.
// bf16 -> float: exact (the 16 bits become the upper half of the float).
#pragma once

#include <cstdint>

#include "lowbit/core/float_bits.hpp"

namespace lowbit {

inline std::uint16_t float_to_fp16_bits(float f) {
    const std::uint32_t x = detail::float_to_bits(f);
    const auto sign = static_cast<std::uint16_t>((x >> 16) & 0x8000u);
    const std::uint32_t ax = x & 0x7fffffffu;
    if (ax > 0x7f800000u) return static_cast<std::uint16_t>(sign | 0x7e00u | ((ax >> 13) & 0x3ffu));
    if (ax >= 0x477ff000u) return static_cast<std::uint16_t>(sign | 0x7c00u);
    const std::uint32_t e = ax >> 23;
    std::uint32_t h;
    std::uint32_t rem;
    std::uint32_t half;
    if (e >= 113) {  // normal half: re-bias the exponent, drop 13 mantissa bits
        h = ((e - 112) << 10) | ((ax & 0x7fffffu) >> 13);
        rem = ax & 0x1fffu;
        half = 0x1000u;
    } else if (e >= 102) {  // subnormal half: the value in units of 2^-24, with the implicit bit
        const std::uint32_t mant = (ax & 0x7fffffu) | 0x800000u;
        const std::uint32_t shift = 126 - e;  // 14..24
        h = mant >> shift;
        rem = mant & ((1u << shift) - 1u);
        half = 1u << (shift - 1);
    } else {  // below 2^-25: rounds to zero
        return sign;
    }
    if (rem > half || (rem == half && (h & 1u))) ++h;  // a carry into the exponent is correct
    return static_cast<std::uint16_t>(sign | h);
}

inline float fp16_bits_to_float(std::uint16_t h) {
    const std::uint32_t sign = static_cast<std::uint32_t>(h & 0x8000u) << 16;
    const std::uint32_t e = (h >> 10) & 0x1fu;
    const std::uint32_t m = h & 0x3ffu;
    if (e == 0x1f) return detail::bits_to_float(sign | 0x7f800000u | (m << 13));
    if (e == 0) {
        const float mag = static_cast<float>(m) * 0x1p-24f;  // exact: m < 2^10
        return sign ? -mag : mag;
    }
    return detail::bits_to_float(sign | ((e + 112) << 23) | (m << 13));
}

inline std::uint16_t float_to_bf16_bits(float f) {
    const std::uint32_t x = detail::float_to_bits(f);
    if ((x & 0x7fffffffu) > 0x7f800000u) return static_cast<std::uint16_t>((x >> 16) | 0x0040u);
    const std::uint32_t rounded = x + 0x7fffu + ((x >> 16) & 1u);
    return static_cast<std::uint16_t>(rounded >> 16);
}

inline float bf16_bits_to_float(std::uint16_t b) {
    return detail::bits_to_float(static_cast<std::uint32_t>(b) << 16);
}

// Storage types: 16 bits in memory, float in arithmetic.
struct fp16 {
    std::uint16_t bits = 0;
    static fp16 from_float(float f) { return fp16{float_to_fp16_bits(f)}; }
    float to_float() const { return fp16_bits_to_float(bits); }
};

struct bf16 {
    std::uint16_t bits = 0;
    static bf16 from_float(float f) { return bf16{float_to_bf16_bits(f)}; }
    float to_float() const { return bf16_bits_to_float(bits); }
};

static_assert(sizeof(fp16) == 2 && sizeof(bf16) == 2, "16-bit storage types must be 2 bytes");

}  // namespace lowbit
