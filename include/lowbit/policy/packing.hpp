// lowbit/policy/packing.hpp - the order of sub-byte codes inside bytes.
//
// Every row starts on a byte boundary: a row of n N-bit codes takes ceil(n * N / 8) bytes.
//   pack_adjacent          a little-endian bit stream: code i of a row occupies bits
//                          [i*N, i*N + N) counted from bit 0 of byte 0. For 4 bits: code 2j in
//                          the low nibble and 2j+1 in the high nibble of byte j; for 2 bits: code
//                          4j + k in bits 2k..2k+1 of byte j. 8-bit codes are plain bytes.
//   pack_split_halves<B>   4-bit only, GGUF's nibble order: the row is cut into blocks of B codes
//                          (B even; the row length must be a multiple of B); in block b, byte j
//                          (0 <= j < B/2) holds code j in its low nibble and code j + B/2 in its
//                          high nibble. GGUF's Q4_0 / Q4_1 use B = 32.
// A code is stored as its low N bits: two's complement for signed codes.
#pragma once

#include "lowbit/core/view.hpp"
#include "lowbit/policy/axis.hpp"

namespace lowbit {

struct pack_adjacent {
    using axis = lowbit::axis::packing;
    static constexpr index_t block = 1;
};

template <int B = 32>
struct pack_split_halves {
    static_assert(B >= 2 && B % 2 == 0, "pack_split_halves<B>: the block B must be even and at least 2");
    using axis = lowbit::axis::packing;
    static constexpr index_t block = B;
};

namespace detail {
template <class T>
inline constexpr bool is_split_halves_v = false;
template <int B>
inline constexpr bool is_split_halves_v<pack_split_halves<B>> = true;

// Smallest number of N-bit codes that fills whole bytes: 8 / gcd(N, 8).
constexpr int packing_unit(int bits) { return bits % 8 == 0 ? 1 : bits % 4 == 0 ? 2 : bits % 2 == 0 ? 4 : 8; }
}  // namespace detail

}  // namespace lowbit
