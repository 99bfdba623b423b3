// lowbit/gemm/reference.hpp - the specification of the int8 matrix products.
//
// A linear layer computes C[M x N] = A[M x K] * W^T with W stored N x K (row n holds the K input
// weights of output n). For int8 operands the exact product is an int32 per output:
//
//     acc[m][n] = sum_k A[m][k] * W[n][k]        (|acc| <= K * 128 * 128 < 2^31 for K <= 2^17)
//
// and the W8A8 float output with per-row activation scales sa and per-channel weight scales sw is
//
//     C[m][n] = float(acc[m][n]) * (sa[m] * sw[n])          (two float roundings, in this order)
//
// W4A8 (packed_s4.hpp): 4-bit codes c with a scale s and a zero point z per group of G along K.
// Each group's integer dot is exact, and the groups are summed in float, in K order, by fused
// multiply-adds, then scaled by the row's activation scale:
//
//     P[g]     = sum_{k in g} A[m][k] * (c[n][k] - z[n][g])          (|P| < 2^18)
//     acc      = fma(float(P[g]), s[n][g], acc)   for g = 0, 1, ...   (acc starts at +0)
//     C[m][n]  = acc * sa[m]
//
// Every vector kernel must give the same int32 and the same floats, bit for bit.
#pragma once

#include <cmath>
#include <cstdint>

#include "lowbit/core/config.hpp"

namespace lowbit::gemm::reference {

LOWBIT_NO_AUTOVECTORIZE inline std::int32_t dot_s8(const std::int8_t* a, const std::int8_t* w, std::int64_t k) {
    std::int32_t sum = 0;
    for (std::int64_t i = 0; i < k; ++i) sum += static_cast<std::int32_t>(a[i]) * static_cast<std::int32_t>(w[i]);
    return sum;
}

// acc (M x N, row stride ldc) = A (M x K, stride lda) * W^T (W: N x K, stride ldw).
inline void matmul_s8_s32(const std::int8_t* a, std::int64_t lda, const std::int8_t* w, std::int64_t ldw, std::int32_t* acc, std::int64_t ldc,
                          std::int64_t m, std::int64_t n, std::int64_t k) {
    for (std::int64_t i = 0; i < m; ++i)
        for (std::int64_t j = 0; j < n; ++j) acc[i * ldc + j] = dot_s8(a + i * lda, w + j * ldw, k);
}

inline float dequantize(std::int32_t acc, float activation_scale, float weight_scale) {
    return static_cast<float>(acc) * (activation_scale * weight_scale);
}

// C (M x N, stride ldy) for activation codes A (M x K, stride lda) with row scales sa, codes (N x K,
// stride ldc, 0..15), scales and zero points (N x K / G; zero points null: all 8).
LOWBIT_NO_AUTOVECTORIZE inline void matmul_w4a8(const std::int8_t* a, std::int64_t lda, const float* sa, const std::uint8_t* codes, std::int64_t ldc,
                                                const float* scales, const std::uint8_t* zero_points, float* y, std::int64_t ldy, std::int64_t m,
                                                std::int64_t n, std::int64_t k, std::int64_t group) {
    const std::int64_t groups = k / group;
    for (std::int64_t i = 0; i < m; ++i)
        for (std::int64_t j = 0; j < n; ++j) {
            float acc = 0.f;
            for (std::int64_t g = 0; g < groups; ++g) {
                const std::int32_t z = zero_points != nullptr ? zero_points[j * groups + g] : 8;
                std::int32_t p = 0;
                for (std::int64_t kk = g * group; kk < (g + 1) * group; ++kk) p += a[i * lda + kk] * (codes[j * ldc + kk] - z);
                acc = std::fma(static_cast<float>(p), scales[j * groups + g], acc);
            }
            y[i * ldy + j] = acc * sa[i];
        }
}

}  // namespace lowbit::gemm::reference
