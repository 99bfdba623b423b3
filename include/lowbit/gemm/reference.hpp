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
// Every vector kernel must give the same int32 and the same floats, bit for bit.
#pragma once

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

}  // namespace lowbit::gemm::reference
