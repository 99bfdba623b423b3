// lowbit/kernels/pack_bytes.hpp - fast packing of a row of byte codes, and the reverse.
//
// Input of pack_bytes / output of unpack_fields: one byte per code holding the code's low N bits
// (the packed field; two's complement for signed codes). The packed formats are those of
// lowbit/policy/packing.hpp, byte for byte the same as detail::pack_row.
//
// pack_adjacent, N < 8: eight codes are one N-byte chunk. In a 64-bit word holding the eight
// bytes, three steps close the gaps between fields (SWAR), each joining neighbour pairs into
// fields of twice the width: N-bit fields in 16-bit lanes, then 2N in 32, then 4N in 64.
// unpack runs the same steps backwards.
// pack_split_halves<B>: byte j of a block = (code j & 15) | code (j + B/2) << 4, 16 bytes at a time.
#pragma once

#include <cstdint>
#include <cstring>

#include <xsimd/xsimd.hpp>

#include "lowbit/core/view.hpp"
#include "lowbit/kernels/simd_ops.hpp"
#include "lowbit/policy/packing.hpp"
#if XSIMD_WITH_SSE2
#include <emmintrin.h>
#endif

namespace lowbit::kernels {

namespace swar {

constexpr std::uint64_t lanes_mask(int lane_bits, int keep_bits) {
    std::uint64_t lane = keep_bits >= 64 ? ~0ull : (1ull << keep_bits) - 1;
    std::uint64_t m = 0;
    for (int i = 0; i < 64; i += lane_bits) m |= lane << i;
    return m;
}

// Joins neighbouring fields: in every lane of 2L bits, the K-bit field at bit L moves down to
// bit K, next to the field at bit 0. Masks keep the two fields from overlapping.
template <int L, int K>
std::uint64_t join(std::uint64_t v) {
    return (v & lanes_mask(2 * L, K)) | ((v >> (L - K)) & (lanes_mask(2 * L, 2 * K) ^ lanes_mask(2 * L, K)));
}

// The reverse: in every lane of 2L bits, the K-bit field at bit K moves up to bit L.
template <int L, int K>
std::uint64_t split(std::uint64_t v) {
    return (v & lanes_mask(2 * L, K)) | ((v << (L - K)) & (lanes_mask(L, K) ^ lanes_mask(2 * L, K)));
}

template <int N>
std::uint64_t compact8(std::uint64_t v) {
    v &= lanes_mask(8, N);
    return join<32, 4 * N>(join<16, 2 * N>(join<8, N>(v)));
}

template <int N>
std::uint64_t expand8(std::uint64_t v) {
    return split<8, N>(split<16, 2 * N>(split<32, 4 * N>(v)));
}

inline std::uint64_t load_le(const std::uint8_t* p, std::size_t n) {
    std::uint8_t b[8] = {};
    std::memcpy(b, p, n);
    std::uint64_t v = 0;
    for (std::size_t i = 0; i < 8; ++i) v |= static_cast<std::uint64_t>(b[i]) << (8 * i);
    return v;
}

inline void store_le(std::uint8_t* p, std::uint64_t v, std::size_t n) {
    std::uint8_t b[8];
    for (std::size_t i = 0; i < 8; ++i) b[i] = static_cast<std::uint8_t>(v >> (8 * i));
    std::memcpy(p, b, n);
}

}  // namespace swar

template <int N, class Order, class XA>
void pack_bytes(const std::uint8_t* codes, index_t n, std::uint8_t* out) {
    if constexpr (detail::is_split_halves_v<Order>) {
        constexpr index_t half = Order::block / 2;
        for (index_t b = 0; b < n; b += Order::block) {
            index_t j = 0;
#if XSIMD_WITH_SSE2
            for (; j + 16 <= half; j += 16) {
                const __m128i lo = _mm_loadu_si128(reinterpret_cast<const __m128i*>(codes + b + j));
                const __m128i hi = _mm_loadu_si128(reinterpret_cast<const __m128i*>(codes + b + j + half));
                const __m128i packed = _mm_or_si128(_mm_and_si128(lo, _mm_set1_epi8(0x0f)),
                                                    _mm_and_si128(_mm_slli_epi16(hi, 4), _mm_set1_epi8(-16)));
                _mm_storeu_si128(reinterpret_cast<__m128i*>(out + b / 2 + j), packed);
            }
#endif
            for (; j < half; ++j)
                out[b / 2 + j] = static_cast<std::uint8_t>((codes[b + j] & 0x0f) | (codes[b + j + half] << 4));
        }
    } else if constexpr (N == 8) {
        std::memcpy(out, codes, static_cast<std::size_t>(n));
    } else {
        index_t i = 0;
        if constexpr (N == 4) i = pack_nibbles(codes, n, out, XA{});
#if XSIMD_WITH_SSE2
        if constexpr (N == 4) {
            // 16-bit lane k holds codes 2k (low byte) and 2k+1 (high byte): t = lane & 0x0f0f,
            // t | t >> 4 puts code 2k+1 above code 2k in the low byte, and packus keeps that byte.
            for (; i + 16 <= n; i += 16) {
                const __m128i t = _mm_and_si128(_mm_loadu_si128(reinterpret_cast<const __m128i*>(codes + i)),
                                                _mm_set1_epi8(0x0f));
                const __m128i joined = _mm_and_si128(_mm_or_si128(t, _mm_srli_epi16(t, 4)), _mm_set1_epi16(0xff));
                _mm_storel_epi64(reinterpret_cast<__m128i*>(out + i / 2), _mm_packus_epi16(joined, joined));
            }
        }
#endif
        for (; i + 8 <= n; i += 8) {
            std::uint64_t v;
            std::memcpy(&v, codes + i, 8);  // x86 and the little-endian targets we support
            v = swar::compact8<N>(v);
            std::memcpy(out + i / 8 * N, &v, N);
        }
        if (i < n) {
            const auto rest = static_cast<std::size_t>(n - i);
            const std::uint64_t v = swar::compact8<N>(swar::load_le(codes + i, rest));
            swar::store_le(out + i / 8 * N, v, (rest * N + 7) / 8);
        }
    }
}

template <int N, class Order>
void unpack_fields(const std::uint8_t* packed, index_t n, std::uint8_t* fields) {
    if constexpr (detail::is_split_halves_v<Order>) {
        constexpr index_t half = Order::block / 2;
        for (index_t b = 0; b < n; b += Order::block) {
            index_t j = 0;
#if XSIMD_WITH_SSE2
            for (; j + 16 <= half; j += 16) {
                const __m128i p = _mm_loadu_si128(reinterpret_cast<const __m128i*>(packed + b / 2 + j));
                const __m128i mask = _mm_set1_epi8(0x0f);
                _mm_storeu_si128(reinterpret_cast<__m128i*>(fields + b + j), _mm_and_si128(p, mask));
                _mm_storeu_si128(reinterpret_cast<__m128i*>(fields + b + j + half),
                                 _mm_and_si128(_mm_srli_epi16(p, 4), mask));
            }
#endif
            for (; j < half; ++j) {
                fields[b + j] = static_cast<std::uint8_t>(packed[b / 2 + j] & 0x0f);
                fields[b + j + half] = static_cast<std::uint8_t>(packed[b / 2 + j] >> 4);
            }
        }
    } else if constexpr (N == 8) {
        std::memcpy(fields, packed, static_cast<std::size_t>(n));
    } else {
        index_t i = 0;
#if XSIMD_WITH_SSE2
        if constexpr (N == 4) {
            // Byte j holds codes 2j (low nibble) and 2j+1 (high nibble): interleave the two.
            for (; i + 16 <= n; i += 16) {
                const __m128i p = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(packed + i / 2));
                const __m128i mask = _mm_set1_epi8(0x0f);
                const __m128i lo = _mm_and_si128(p, mask);
                const __m128i hi = _mm_and_si128(_mm_srli_epi16(p, 4), mask);
                _mm_storeu_si128(reinterpret_cast<__m128i*>(fields + i), _mm_unpacklo_epi8(lo, hi));
            }
        }
#endif
        for (; i + 8 <= n; i += 8) {
            std::uint64_t v = 0;
            std::memcpy(&v, packed + i / 8 * N, N);
            v = swar::expand8<N>(v);
            std::memcpy(fields + i, &v, 8);
        }
        if (i < n) {
            const auto rest = static_cast<std::size_t>(n - i);
            const std::uint64_t v = swar::expand8<N>(swar::load_le(packed + i / 8 * N, (rest * N + 7) / 8));
            swar::store_le(fields + i, v, rest);
        }
    }
}

}  // namespace lowbit::kernels
