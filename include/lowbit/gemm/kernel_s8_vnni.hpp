// lowbit/gemm/kernel_s8_vnni.hpp - the int8 tiles with VPDPBUSD (u8 x s8, four products summed
// into each int32 lane, no saturation): AVX-512 VNNI on zmm and AVX-VNNI on ymm.
//
// Per group of 4 k: one 64-byte weight load per panel (a zmm, or two ymm halves), one 4-byte
// activation broadcast per row, a VPDPBUSD per accumulator. The activations are u = q + 128, so
// the sums are corrected by -128 times the column sums (the first pass over K) or added to acc (later passes).
#pragma once

#include <cstddef>
#include <cstdint>

#include "lowbit/arch/tags.hpp"
#include "lowbit/core/config.hpp"
#include "lowbit/gemm/packed_s8.hpp"
#include "lowbit/gemm/tile_args.hpp"
#if (defined(__AVX512VNNI__) && defined(__AVX512BW__)) || defined(__AVXVNNI__)
#include <immintrin.h>
#endif

namespace lowbit::gemm::detail {

#if defined(__AVX512VNNI__) && defined(__AVX512BW__)
// Where the sums of row r, panel j start: acc on a later pass over K, else -128 colsum. A function,
// not a lambda: g++ 12 calls a lambda out of line here, spilling every accumulator around it.
LOWBIT_ALWAYS_INLINE __m512i start_sums(const tile_args& t, int r, int j) {
    if (t.accumulate) return _mm512_loadu_si512(t.acc + r * t.ldc + j * panel_cols);
    return _mm512_sub_epi32(_mm512_setzero_si512(), _mm512_slli_epi32(_mm512_loadu_si512(t.col_sums + j * panel_cols), 7));
}

// Up to 8 x 2: sixteen accumulators as named variables, the ones the tile does not use removed at
// compile time (g++ 12 keeps arrays of vector registers in memory across the loop: 1.5-3x slower).
// The fields of `t` the loop reads are copied to locals: read through the reference, g++ 12 reloads
// them every iteration (M = 512: 1005 -> 537 GOP/s).
template <int MR, int NP>
LOWBIT_ALWAYS_INLINE void run_tile(const tile_args& t, arch::avx512_vnni) {
    static_assert(MR >= 1 && MR <= 8 && NP >= 1 && NP <= 2, "the AVX-512 VNNI tile is at most 8 x 2");
    const std::uint8_t* const u = t.u;
    const std::int64_t ldu = t.ldu;
    const std::int8_t* const w = t.w;
    const std::int64_t panel_bytes = t.panel_bytes, groups = t.groups;
    const std::int8_t* const prefetch = t.prefetch;
    const __m512i z = _mm512_setzero_si512();
    __m512i c00 = start_sums(t, 0, 0), c01 = NP > 1 ? start_sums(t, 0, 1) : z;
    __m512i c10 = z, c11 = z, c20 = z, c21 = z, c30 = z, c31 = z, c40 = z, c41 = z, c50 = z, c51 = z, c60 = z, c61 = z, c70 = z, c71 = z;
    if constexpr (MR > 1) c10 = start_sums(t, 1, 0), c11 = NP > 1 ? start_sums(t, 1, 1) : z;
    if constexpr (MR > 2) c20 = start_sums(t, 2, 0), c21 = NP > 1 ? start_sums(t, 2, 1) : z;
    if constexpr (MR > 3) c30 = start_sums(t, 3, 0), c31 = NP > 1 ? start_sums(t, 3, 1) : z;
    if constexpr (MR > 4) c40 = start_sums(t, 4, 0), c41 = NP > 1 ? start_sums(t, 4, 1) : z;
    if constexpr (MR > 5) c50 = start_sums(t, 5, 0), c51 = NP > 1 ? start_sums(t, 5, 1) : z;
    if constexpr (MR > 6) c60 = start_sums(t, 6, 0), c61 = NP > 1 ? start_sums(t, 6, 1) : z;
    if constexpr (MR > 7) c70 = start_sums(t, 7, 0), c71 = NP > 1 ? start_sums(t, 7, 1) : z;
    const std::int8_t* w1 = w + panel_bytes;
    for (std::int64_t g = 0; g < groups; ++g) {
        const __m512i b0 = _mm512_load_si512(w + g * 64);
        __m512i b1 = b0;
        if constexpr (NP > 1) b1 = _mm512_load_si512(w1 + g * 64);
        if (t.prefetch_panels > 0) _mm_prefetch(reinterpret_cast<const char*>(prefetch + g * 64), _MM_HINT_T1);
        if (NP > 1 && t.prefetch_panels > 1) _mm_prefetch(reinterpret_cast<const char*>(prefetch + panel_bytes + g * 64), _MM_HINT_T1);
        const auto row = [&](int r, __m512i& c0, __m512i& c1) {
            const __m512i a = _mm512_set1_epi32(unsigned_four(u + r * ldu + 4 * g));
            c0 = _mm512_dpbusd_epi32(c0, a, b0);
            if constexpr (NP > 1) c1 = _mm512_dpbusd_epi32(c1, a, b1);
        };
        row(0, c00, c01);
        if constexpr (MR > 1) row(1, c10, c11);
        if constexpr (MR > 2) row(2, c20, c21);
        if constexpr (MR > 3) row(3, c30, c31);
        if constexpr (MR > 4) row(4, c40, c41);
        if constexpr (MR > 5) row(5, c50, c51);
        if constexpr (MR > 6) row(6, c60, c61);
        if constexpr (MR > 7) row(7, c70, c71);
    }
    const __m512i out[8][2] = {{c00, c01}, {c10, c11}, {c20, c21}, {c30, c31}, {c40, c41}, {c50, c51}, {c60, c61}, {c70, c71}};
    for (int j = 0; j < NP; ++j)
        for (int r = 0; r < MR; ++r) _mm512_storeu_si512(t.acc + r * t.ldc + j * panel_cols, out[r][j]);
}
#endif

#if defined(__AVXVNNI__)
// VEX-encoded VPDPBUSD (the AVX-VNNI instruction, not the EVEX one of AVX512-VL): up to 6 rows x
// the two halves of one panel, twelve named accumulators. VEX reaches only ymm0-15, and with an
// array of accumulators g++ 12 puts some in ymm16+ and copies them back and forth around every
// VPDPBUSD (476 -> 350 GOP/s).
template <int MR, int NP>
LOWBIT_ALWAYS_INLINE void run_tile(const tile_args& t, arch::avx_vnni) {
    static_assert(MR >= 1 && MR <= 6 && NP == 1, "the AVX-VNNI tile is at most 6 rows x 1 panel");
    const std::uint8_t* const u = t.u;
    const std::int64_t ldu = t.ldu;
    const std::int8_t* const w = t.w;
    const std::int64_t groups = t.groups;
    const __m256i z = _mm256_setzero_si256();
    __m256i c00 = z, c01 = z, c10 = z, c11 = z, c20 = z, c21 = z, c30 = z, c31 = z, c40 = z, c41 = z, c50 = z, c51 = z;
    for (std::int64_t g = 0; g < groups; ++g) {
        const __m256i b0 = _mm256_load_si256(reinterpret_cast<const __m256i*>(w + g * 64));
        const __m256i b1 = _mm256_load_si256(reinterpret_cast<const __m256i*>(w + g * 64 + 32));
        const auto row = [&](int r, __m256i& lo, __m256i& hi) {
            const __m256i a = _mm256_set1_epi32(unsigned_four(u + r * ldu + 4 * g));
            lo = _mm256_dpbusd_avx_epi32(lo, a, b0);
            hi = _mm256_dpbusd_avx_epi32(hi, a, b1);
        };
        row(0, c00, c01);
        if constexpr (MR > 1) row(1, c10, c11);
        if constexpr (MR > 2) row(2, c20, c21);
        if constexpr (MR > 3) row(3, c30, c31);
        if constexpr (MR > 4) row(4, c40, c41);
        if constexpr (MR > 5) row(5, c50, c51);
    }
    const __m256i out[6][2] = {{c00, c01}, {c10, c11}, {c20, c21}, {c30, c31}, {c40, c41}, {c50, c51}};
    for (int h = 0; h < 2; ++h) {
        const __m256i shift = _mm256_slli_epi32(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(t.col_sums + 8 * h)), 7);
        for (int r = 0; r < MR; ++r) {
            auto* at = reinterpret_cast<__m256i*>(t.acc + r * t.ldc + 8 * h);
            _mm256_storeu_si256(at, _mm256_add_epi32(out[r][h], t.accumulate ? _mm256_loadu_si256(at) : _mm256_sub_epi32(z, shift)));
        }
    }
}
#endif

}  // namespace lowbit::gemm::detail
