// lowbit/gemm/packed_s8.hpp - int8 weights packed once for the int8 kernels.
//
// W is N x K (output channel n in row n). Packed, it is a sequence of panels of 16 output channels;
// inside a panel, for each group of 4 consecutive k, the 4 bytes of channel 0, then of channel 1,
// ..., channel 15: 64 bytes per k-group, one AVX-512 register whose int32 lane j is the 4-byte dot
// operand of channel j (VPDPBUSD's layout). K is padded to a multiple of 4 and N to a multiple of
// 16 with zero weights, which add nothing to any product, whatever the activations hold there.
//
// The kernels multiply unsigned activations u = a + 128 by the signed weights, so
//     sum_k a[k] w[k] = sum_k u[k] w[k] - 128 * sum_k w[k];
// the column sums sum_k W[n][k] are computed here, once. Per-channel float scales ride along for
// the dequantizing epilogue. A packed_s8 is a plain value: the engine owns it, nothing is cached.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include <xsimd/xsimd.hpp>

#include "lowbit/core/error.hpp"

namespace lowbit::gemm {

inline constexpr int panel_cols = 16;
inline constexpr std::int64_t max_k = 65536;  // 255 * 128 * 65536 < 2^31: the unsigned-shifted sums fit in int32
inline constexpr std::int64_t max_weights = std::int64_t{1} << 36;  // per packed matrix: far past any model's, far from overflow

struct packed_s8 {
    std::int64_t n = 0, k = 0;
    std::int64_t k4 = 0;      // k rounded up to a multiple of 4
    std::int64_t panels = 0;  // ceil(n / 16)
    std::vector<std::int8_t, xsimd::aligned_allocator<std::int8_t, 64>> data;  // panels * k4 * 16 bytes
    std::vector<std::int32_t> col_sums;                                         // panels * 16: sum_k W[n][k]
    std::vector<float> scales;                                                  // per-channel scales (0 past n), or empty

    const std::int8_t* panel(std::int64_t p) const { return data.data() + p * k4 * panel_cols; }
    std::size_t bytes() const { return data.size() + col_sums.size() * sizeof(std::int32_t) + scales.size() * sizeof(float); }
};

namespace detail {

// What dequantize_weights checks for any packing: it holds weights, and a float output of rows
// at least k wide is given.
inline void check_weights_output(bool packed, const float* w, std::int64_t ldw, std::int64_t k) {
    if (!packed) lowbit::detail::fail("dequantize_weights: the weights are not packed");
    if (w == nullptr) lowbit::detail::fail("dequantize_weights: the output is null");
    if (ldw < k) lowbit::detail::fail("dequantize_weights: output row stride ", ldw, " is less than k = ", k);
}

}  // namespace detail

// The float weights a packed_s8 stands for: w * scale of its channel (1 without scales), n rows of
// k floats, rows ldw apart.
inline void dequantize_weights(const packed_s8& p, float* w, std::int64_t ldw) {
    detail::check_weights_output(p.n > 0, w, ldw, p.k);
    for (std::int64_t c = 0; c < p.n; ++c) {
        const std::int8_t* panel = p.panel(c / panel_cols);
        const float scale = p.scales.empty() ? 1.f : p.scales[static_cast<std::size_t>(c)];
        for (std::int64_t i = 0; i < p.k; ++i)
            w[c * ldw + i] = scale * static_cast<float>(panel[(i / 4) * 4 * panel_cols + (c % panel_cols) * 4 + i % 4]);
    }
}

// Packs W (n rows of k int8, rows ldw apart) with optional per-channel scales (n finite, >= 0).
inline packed_s8 pack_s8(const std::int8_t* w, std::int64_t ldw, std::int64_t n, std::int64_t k, const float* scales = nullptr) {
    if (n < 1 || k < 1) lowbit::detail::fail("pack_s8: the weights are ", n, " x ", k, "; both must be at least 1");
    if (k > max_k) lowbit::detail::fail("pack_s8: k = ", k, " exceeds ", max_k, " (int32 accumulators could overflow)");
    if (ldw < k) lowbit::detail::fail("pack_s8: row stride ", ldw, " is less than k = ", k);
    if (w == nullptr) lowbit::detail::fail("pack_s8: the weights are null");
    packed_s8 p;
    p.n = n;
    p.k = k;
    p.k4 = (k + 3) / 4 * 4;
    p.panels = (n + panel_cols - 1) / panel_cols;
    p.data.assign(static_cast<std::size_t>(p.panels * p.k4 * panel_cols), 0);
    p.col_sums.assign(static_cast<std::size_t>(p.panels * panel_cols), 0);
    for (std::int64_t c = 0; c < n; ++c) {
        const std::int8_t* row = w + c * ldw;
        std::int8_t* panel = p.data.data() + (c / panel_cols) * p.k4 * panel_cols;
        const std::int64_t lane = c % panel_cols;
        std::int32_t sum = 0;
        for (std::int64_t i = 0; i < k; ++i) {
            panel[(i / 4) * 4 * panel_cols + lane * 4 + i % 4] = row[i];
            sum += row[i];
        }
        p.col_sums[static_cast<std::size_t>(c)] = sum;
    }
    if (scales != nullptr) {
        for (std::int64_t c = 0; c < n; ++c)
            if (!std::isfinite(scales[c]) || scales[c] < 0.f) lowbit::detail::fail("pack_s8: scale ", scales[c], " of channel ", c, " is not finite and >= 0");
        p.scales.assign(static_cast<std::size_t>(p.panels * panel_cols), 0.f);  // whole panels: kernels load 16 at a time
        std::copy(scales, scales + n, p.scales.begin());
    }
    return p;
}

}  // namespace lowbit::gemm
