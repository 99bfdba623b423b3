// lowbit/gemm/kernel_s8.hpp - the int8 micro-kernels: acc = U * W^T - 128 * colsum for a block of
// rows and panels, U unsigned-shifted activations (activations_u8.hpp), W packed (packed_s8.hpp).
//
// run_tile<MR, NP>(..., Arch) computes MR rows x NP panels (16 NP columns) over all of K and
// writes the exact int32 sums of the signed operands. The scalar overload is the layout-aware
// reference every tag falls back to; the AVX-512 VNNI one keeps the MR x NP tile in zmm
// accumulators: per group of 4 k, NP 64-byte weight loads, MR 4-byte activation broadcasts and
// MR x NP VPDPBUSD (u8 x s8 -> int32, no saturation). The full 6 x 2 tile, where the time goes,
// is written out with named accumulators (see there).
#pragma once

#include <cstdint>

#include "lowbit/arch/tags.hpp"
#include "lowbit/core/config.hpp"
#include "lowbit/gemm/packed_s8.hpp"
#if defined(__AVX512VNNI__) && defined(__AVX512BW__)
#include <immintrin.h>
#endif

namespace lowbit::gemm::detail {

// acc[r * ldc + c] for rows r < MR of `u` (rows `ldu` bytes apart) and columns c < 16 NP of the
// panels starting at `w`; `col_sums` are those columns' sums.
template <int MR, int NP>
LOWBIT_NO_AUTOVECTORIZE void run_tile(const std::uint8_t* u, std::int64_t ldu, const std::int8_t* w, std::int64_t k4, const std::int32_t* col_sums,
                                      std::int32_t* acc, std::int64_t ldc, arch::scalar) {
    for (int r = 0; r < MR; ++r)
        for (int c = 0; c < NP * panel_cols; ++c) {
            const std::int8_t* panel = w + (c / panel_cols) * k4 * panel_cols;
            const int lane = c % panel_cols;
            std::int32_t sum = 0;
            for (std::int64_t g = 0; g < k4 / 4; ++g)
                for (int b = 0; b < 4; ++b)
                    sum += static_cast<std::int32_t>(u[r * ldu + 4 * g + b]) * static_cast<std::int32_t>(panel[g * 4 * panel_cols + lane * 4 + b]);
            acc[r * ldc + c] = sum - 128 * col_sums[c];
        }
}

#if defined(__AVX512VNNI__) && defined(__AVX512BW__)
template <int MR, int NP>
LOWBIT_ALWAYS_INLINE void run_tile(const std::uint8_t* u, std::int64_t ldu, const std::int8_t* w, std::int64_t k4, const std::int32_t* col_sums,
                                   std::int32_t* acc, std::int64_t ldc, arch::avx512_vnni) {
    constexpr auto mr = static_cast<std::size_t>(MR), np = static_cast<std::size_t>(NP);
    __m512i sum[mr][np];
    for (int r = 0; r < MR; ++r)
        for (int j = 0; j < NP; ++j) sum[r][j] = _mm512_setzero_si512();
    const std::int64_t panel_bytes = k4 * panel_cols;
    for (std::int64_t g = 0; g < k4 / 4; ++g) {
        __m512i wj[np];
        for (int j = 0; j < NP; ++j) wj[j] = _mm512_load_si512(w + j * panel_bytes + g * 64);
        for (int r = 0; r < MR; ++r) {
            std::int32_t four;
            __builtin_memcpy(&four, u + r * ldu + 4 * g, 4);
            const __m512i a = _mm512_set1_epi32(four);
            for (int j = 0; j < NP; ++j) sum[r][j] = _mm512_dpbusd_epi32(sum[r][j], a, wj[j]);
        }
    }
    for (int j = 0; j < NP; ++j) {
        const __m512i shift = _mm512_slli_epi32(_mm512_loadu_si512(col_sums + j * panel_cols), 7);
        for (int r = 0; r < MR; ++r) _mm512_storeu_si512(acc + r * ldc + j * panel_cols, _mm512_sub_epi32(sum[r][j], shift));
    }
}

// The full 6 x 2 tile with its twelve accumulators as named variables: g++ 12 at -O2 keeps
// arrays of vector registers in memory across the loop (3x slower), named variables in registers.
template <>
LOWBIT_ALWAYS_INLINE void run_tile<6, 2>(const std::uint8_t* u, std::int64_t ldu, const std::int8_t* w, std::int64_t k4, const std::int32_t* col_sums,
                                         std::int32_t* acc, std::int64_t ldc, arch::avx512_vnni) {
    __m512i c00 = _mm512_setzero_si512(), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00;
    __m512i c30 = c00, c31 = c00, c40 = c00, c41 = c00, c50 = c00, c51 = c00;
    const std::int8_t* w1 = w + k4 * panel_cols;
    for (std::int64_t g = 0; g < k4 / 4; ++g) {
        const __m512i b0 = _mm512_load_si512(w + g * 64), b1 = _mm512_load_si512(w1 + g * 64);
        const auto row = [&](int r, __m512i& c0, __m512i& c1) {
            std::int32_t four;
            __builtin_memcpy(&four, u + r * ldu + 4 * g, 4);
            const __m512i a = _mm512_set1_epi32(four);
            c0 = _mm512_dpbusd_epi32(c0, a, b0);
            c1 = _mm512_dpbusd_epi32(c1, a, b1);
        };
        row(0, c00, c01);
        row(1, c10, c11);
        row(2, c20, c21);
        row(3, c30, c31);
        row(4, c40, c41);
        row(5, c50, c51);
    }
    const __m512i s0 = _mm512_slli_epi32(_mm512_loadu_si512(col_sums), 7), s1 = _mm512_slli_epi32(_mm512_loadu_si512(col_sums + panel_cols), 7);
    const __m512i out[6][2] = {{c00, c01}, {c10, c11}, {c20, c21}, {c30, c31}, {c40, c41}, {c50, c51}};
    for (int r = 0; r < 6; ++r) {
        _mm512_storeu_si512(acc + r * ldc, _mm512_sub_epi32(out[r][0], s0));
        _mm512_storeu_si512(acc + r * ldc + panel_cols, _mm512_sub_epi32(out[r][1], s1));
    }
}
#endif

}  // namespace lowbit::gemm::detail
