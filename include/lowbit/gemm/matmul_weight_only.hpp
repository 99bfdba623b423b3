// lowbit/gemm/matmul_weight_only.hpp - weight-only linear layers: float activations, int8 or 4-bit
// weights dequantized in registers, f32 FMA, for engines that do not quantize activations.
//
//     auto w8 = lowbit::gemm::pack_s8(w_int8, k, n, k, scales);                 // per-channel scales
//     auto w4 = lowbit::gemm::pack_s4(codes, k, n, k, 32, scales);              // the W4A8 packing
//     lowbit::gemm::linear_weight_only(x, k, m, w8, y, n, pool);                // y = x W^T (f32)
//     lowbit::gemm::linear_weight_only(x, k, m, w4, y, n, gemm::epilogue{gemm::bias{b}}, pool);
//
// The same packings as the integer kernels serve here, so an engine keeps one copy of its weights
// whichever path it runs. Results are those of gemm/reference.hpp (linear_w8_f32, linear_w4_f32) bit
// for bit, for every tag and thread count; they enter the epilogue as float.
#pragma once

#include <algorithm>
#include <cstdint>
#include <type_traits>
#include <vector>

#include "lowbit/arch/native.hpp"
#include "lowbit/core/error.hpp"
#include "lowbit/core/parallel.hpp"
#include "lowbit/gemm/activations_u8.hpp"
#include "lowbit/gemm/epilogue.hpp"
#include "lowbit/gemm/driver.hpp"
#include "lowbit/gemm/kernel_weight_only.hpp"
#include "lowbit/gemm/packed_groups.hpp"
#include "lowbit/gemm/packed_s8.hpp"

namespace lowbit::gemm {

namespace detail {

template <class Arch>
void check_weight_only_args(const char* op, const float* x, std::int64_t ldx, std::int64_t m, std::int64_t k, std::int64_t n, const void* y,
                                   std::int64_t ldy) {
    if (m < 1) lowbit::detail::fail(op, ": m = ", m, " must be at least 1");
    if (x == nullptr || y == nullptr) lowbit::detail::fail(op, ": the activations or the output are null");
    if (ldx < k) lowbit::detail::fail(op, ": row stride ", ldx, " is less than k = ", k);
    if (ldy < n) lowbit::detail::fail(op, ": output row stride ", ldy, " is less than n = ", n);
    for (std::int64_t r = 0; r < m; ++r) find_row_range(op, x + r * ldx, r, k, Arch{});  // NaN / Inf is an error
}

}  // namespace detail

// y[m][n] = the epilogue of x W^T for int8 weights with per-channel scales.
template <class Arch = arch::native, class Out, class... Stages>
void linear_weight_only(const float* x, std::int64_t ldx, std::int64_t m, const packed_s8& w, Out* y, std::int64_t ldy, const epilogue<Stages...>& ep,
                        parallelism how = 1) {
    if (w.n < 1 || w.data.empty()) lowbit::detail::fail("linear_weight_only: the weights are not packed");
    if (w.scales.empty()) lowbit::detail::fail("linear_weight_only: the packed int8 weights have no scales");
    detail::check_weight_only_args<Arch>("linear_weight_only", x, ldx, m, w.k, w.n, y, ldy);
    ep.check(w.n, nullptr);
    std::vector<float> padded;  // K padded to k4 with zeros, when it is not already
    const float* xs = x;
    std::int64_t ldxs = ldx;
    if (w.k4 != w.k) {
        padded.assign(static_cast<std::size_t>(m * w.k4), 0.f);
        for (std::int64_t r = 0; r < m; ++r) std::copy(x + r * ldx, x + r * ldx + w.k, padded.begin() + r * w.k4);
        xs = padded.data();
        ldxs = w.k4;
    }
    using shape = detail::weight_only_tile_shape<Arch>;
    detail::for_each_float_tile<Arch, shape::rows, shape::panels>(
        m, w.n, w.panels, nullptr, ep, y, ldy, how, [&](std::int64_t p0, int np, std::int64_t r0, int rows, std::int64_t prefetch, float* out) {
            const detail::w8f_args t{xs + r0 * ldxs, ldxs, w.panel(p0), w.k4, w.scales.data() + p0 * panel_cols, out, shape::panels * panel_cols,
                                     prefetch >= 0 ? w.panel(prefetch) : nullptr};
            if (np == shape::panels) detail::with_rows<shape::rows>(rows, [&](auto mr) { detail::run_w8f_tile<decltype(mr)::value, shape::panels>(t, Arch{}); });
            else detail::with_rows<shape::rows>(rows, [&](auto mr) { detail::run_w8f_tile<decltype(mr)::value, 1>(t, Arch{}); });
        });
}

// y[m][n] = the epilogue of x W^T for 4-bit grouped weights.
template <class Arch = arch::native, class Scale, class Out, class... Stages>
void linear_weight_only(const float* x, std::int64_t ldx, std::int64_t m, const packed_s4<Scale>& w, Out* y, std::int64_t ldy,
                        const epilogue<Stages...>& ep, parallelism how = 1) {
    if (w.n < 1 || w.data.empty()) lowbit::detail::fail("linear_weight_only: the weights are not packed");
    if (w.minima) lowbit::detail::fail("linear_weight_only: weights with float minima (GGUF Q4_1) run with int8 activations only (linear_a8)");
    detail::check_weight_only_args<Arch>("linear_weight_only", x, ldx, m, w.k, w.n, y, ldy);
    ep.check(w.n, nullptr);
    std::vector<float> xsums;  // affine: the sum of each row's group, in K order
    if (w.affine) {
        xsums.assign(static_cast<std::size_t>(m * w.groups), 0.f);
        for (std::int64_t r = 0; r < m; ++r)
            for (std::int64_t g = 0; g < w.groups; ++g) {
                float s = 0.f;
                for (std::int64_t i = g * w.group; i < (g + 1) * w.group; ++i) s += x[r * ldx + i];
                xsums[static_cast<std::size_t>(r * w.groups + g)] = s;
            }
    }
    using shape = detail::weight_only_tile_shape<Arch>;
    detail::for_each_float_tile<Arch, shape::rows, shape::panels>(
        m, w.n, w.panels, nullptr, ep, y, ldy, how, [&](std::int64_t p0, int np, std::int64_t r0, int rows, std::int64_t prefetch, float* out) {
            const detail::w4f_args<Scale> t{x + r0 * ldx, ldx, w.affine ? xsums.data() + r0 * w.groups : nullptr, w.groups, &w, p0, out, shape::panels * panel_cols, prefetch};
            if (np == shape::panels) detail::with_rows<shape::rows>(rows, [&](auto mr) { detail::run_w4f_tile<decltype(mr)::value, shape::panels>(t, Arch{}); });
            else detail::with_rows<shape::rows>(rows, [&](auto mr) { detail::run_w4f_tile<decltype(mr)::value, 1>(t, Arch{}); });
        });
}

template <class Arch = arch::native, class Weights>
void linear_weight_only(const float* x, std::int64_t ldx, std::int64_t m, const Weights& w, float* y, std::int64_t ldy, parallelism how = 1) {
    linear_weight_only<Arch>(x, ldx, m, w, y, ldy, epilogue<>{}, how);
}

}  // namespace lowbit::gemm
