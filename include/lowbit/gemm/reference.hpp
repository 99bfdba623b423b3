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
// Grouped weights (packed_groups.hpp: W4A8, W8A8 per group): 4-bit or 8-bit codes c with a scale s
// and a zero point z per group of G along K.
// Each group's integer dot is exact, and the groups are summed in float, in K order, by fused
// multiply-adds, then scaled by the row's activation scale:
//
//     P[g]     = sum_{k in g} A[m][k] * (c[n][k] - z[n][g])          (|P| < 2^22)
//     acc      = fma(float(P[g]), s[n][g], acc)   for g = 0, 1, ...   (acc starts at +0)
//     C[m][n]  = acc * sa[m]
//
// Weight-only layers keep the activations in float and multiply by the dequantized weights with
// fused multiply-adds, in four chains by k mod 4 (K padded to a multiple of 4 with zeros):
//
//   W8 (packed_s8, per-channel scale s):  a_j = fma(x[k], float(W[n][k]), a_j)  for k = j mod 4, in K order
//                                         C[m][n] = ((a_0 + a_1) + (a_2 + a_3)) * s[n]
//   W4 (packed_s4): per group g, with t = 8 for symmetric weights (z = 8) and t = 0 for affine ones,
//                   p_j = fma(x[k], float(c[n][k] - t), p_j)  for k in g, k = j mod 4, in K order
//                   d   = (p_0 + p_1) + (p_2 + p_3),  and if affine  d = fma(float(-z[n][g]), xs_g, d)
//                         with xs_g = x[g G] + x[g G + 1] + ... (in K order)
//                   acc = fma(s[n][g], d, acc)  for g = 0, 1, ...;   C[m][n] = acc
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
// stride ldc, `bits` wide), scales and zero points (N x K / G; zero points null: all 2^(bits-1)).
LOWBIT_NO_AUTOVECTORIZE inline void matmul_grouped_a8(const std::int8_t* a, std::int64_t lda, const float* sa, const std::uint8_t* codes, std::int64_t ldc,
                                                      const float* scales, const std::uint8_t* zero_points, float* y, std::int64_t ldy, std::int64_t m,
                                                      std::int64_t n, std::int64_t k, std::int64_t group, int bits) {
    const std::int64_t groups = k / group;
    for (std::int64_t i = 0; i < m; ++i)
        for (std::int64_t j = 0; j < n; ++j) {
            float acc = 0.f;
            for (std::int64_t g = 0; g < groups; ++g) {
                const std::int32_t z = zero_points != nullptr ? zero_points[j * groups + g] : 1 << (bits - 1);
                std::int32_t p = 0;
                for (std::int64_t kk = g * group; kk < (g + 1) * group; ++kk) p += a[i * lda + kk] * (codes[j * ldc + kk] - z);
                acc = std::fma(static_cast<float>(p), scales[j * groups + g], acc);
            }
            y[i * ldy + j] = acc * sa[i];
        }
}

// Weight-only W8: C (M x N) for float activations X (M x K, stride ldx), int8 W (N x K, stride ldw)
// and per-channel scales.
LOWBIT_NO_AUTOVECTORIZE inline void linear_w8_f32(const float* x, std::int64_t ldx, const std::int8_t* w, std::int64_t ldw, const float* scales, float* y,
                                                  std::int64_t ldy, std::int64_t m, std::int64_t n, std::int64_t k) {
    for (std::int64_t i = 0; i < m; ++i)
        for (std::int64_t j = 0; j < n; ++j) {
            float a[4] = {0.f, 0.f, 0.f, 0.f};
            for (std::int64_t kk = 0; kk < (k + 3) / 4 * 4; ++kk) {
                const float xv = kk < k ? x[i * ldx + kk] : 0.f, wv = kk < k ? static_cast<float>(w[j * ldw + kk]) : 0.f;
                a[kk % 4] = std::fma(xv, wv, a[kk % 4]);
            }
            y[i * ldy + j] = ((a[0] + a[1]) + (a[2] + a[3])) * scales[j];
        }
}

// Weight-only W4: codes (N x K, stride ldc, 0..15), scales and zero points (N x K / G; zero points
// null: symmetric, all 8).
LOWBIT_NO_AUTOVECTORIZE inline void linear_w4_f32(const float* x, std::int64_t ldx, const std::uint8_t* codes, std::int64_t ldc, const float* scales,
                                                  const std::uint8_t* zero_points, float* y, std::int64_t ldy, std::int64_t m, std::int64_t n,
                                                  std::int64_t k, std::int64_t group) {
    const std::int64_t groups = k / group;
    const int t = zero_points != nullptr ? 0 : 8;
    for (std::int64_t i = 0; i < m; ++i)
        for (std::int64_t j = 0; j < n; ++j) {
            float acc = 0.f;
            for (std::int64_t g = 0; g < groups; ++g) {
                float p[4] = {0.f, 0.f, 0.f, 0.f}, xs = 0.f;
                for (std::int64_t kk = g * group; kk < (g + 1) * group; ++kk) {
                    p[kk % 4] = std::fma(x[i * ldx + kk], static_cast<float>(codes[j * ldc + kk] - t), p[kk % 4]);
                    xs += x[i * ldx + kk];
                }
                float d = (p[0] + p[1]) + (p[2] + p[3]);
                if (zero_points != nullptr) d = std::fma(-static_cast<float>(zero_points[j * groups + g]), xs, d);
                acc = std::fma(scales[j * groups + g], d, acc);
            }
            y[i * ldy + j] = acc;
        }
}

}  // namespace lowbit::gemm::reference
