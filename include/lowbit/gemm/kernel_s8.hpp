// lowbit/gemm/kernel_s8.hpp - the int8 micro-kernels: acc = U * W^T - 128 * colsum for a block of
// rows and panels, U unsigned-shifted activations (activations_u8.hpp), W packed (packed_s8.hpp).
//
// run_tile<MR, NP>(..., Arch) computes MR rows x NP panels (16 NP columns) over all of K and
// writes the exact int32 sums of the signed operands. The scalar overload is the layout-aware
// reference every tag falls back to; the AVX-512 VNNI one keeps the MR x NP tile in zmm
// accumulators: per group of 4 k, NP 64-byte weight loads, MR 4-byte activation broadcasts and
// MR x NP VPDPBUSD (u8 x s8 -> int32, no saturation).
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
#endif

}  // namespace lowbit::gemm::detail
