// lowbit/gemm/matmul_grouped.hpp - linear layers with grouped weights x int8 activations: W4A8, and
// W8A8 with a scale per group of int8 weights.
//
//     auto w = lowbit::gemm::pack_s4(codes, k, n, k, 32, scales);          // once (symmetric, z = 8)
//     lowbit::gemm::linear_w4a8(x, k, m, w, y, n, pool);                   // y = x W^T (f32)
//     lowbit::gemm::linear_w4a8(x, k, m, w, y, n, gemm::epilogue{gemm::bias{b}, gemm::silu{}}, pool);
//     auto w8 = lowbit::gemm::pack_s8g(w_int8, k, n, k, 32, scales);       // int8, a scale per 32
//     lowbit::gemm::linear_w8a8(x, k, m, w8, y, n, pool);
//
// The activations are quantized per row, symmetric (quantize_activations), or per block as ggml
// does (activations_gguf.hpp: every group's factors times its block's scale); each group's integer
// dot is exact and the groups are summed in float (gemm/reference.hpp, matmul_grouped_a8). The result
// enters the epilogue as float, so its stages are the float ones (bias, activations,
// requantize_float). Results are those of the reference bit for bit, for every tag and thread
// count: matmul_grouped_a8 for packed_groups without minima or levels and per-row activations, the
// scalar tile in kernel_grouped.hpp for the rest. Work is split over blocks of output channels as for W8A8
// (matmul.hpp); M = 1 streams each panel's records front to back, prefetching ahead of the stream.
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
#include "lowbit/gemm/kernel_grouped.hpp"
#include "lowbit/gemm/packed_groups.hpp"

namespace lowbit::gemm {

namespace detail {

// The signed activation codes q = u - 128 (rows k4 bytes apart), which the kernels broadcast
// straight from memory, and A[r][g] = the sum of row r's codes over group g.
struct signed_activations {
    std::vector<std::int8_t, xsimd::aligned_allocator<std::int8_t, 64>> q;
    std::vector<std::int32_t> sums;
};

inline signed_activations signed_codes(const activations_u8& a, std::int64_t group) {
    const std::int64_t groups = a.k / group;
    signed_activations s;
    s.q.resize(static_cast<std::size_t>(a.m * a.k4));
    s.sums.resize(static_cast<std::size_t>(a.m * groups));
    for (std::int64_t r = 0; r < a.m; ++r) {
        const std::uint8_t* u = a.row(r);
        std::int8_t* q = s.q.data() + r * a.k4;
        for (std::int64_t i = 0; i < a.k; ++i) q[i] = static_cast<std::int8_t>(u[i] ^ 0x80u);
        for (std::int64_t g = 0; g < groups; ++g) {
            std::int32_t sum = 0;
            for (std::int64_t i = g * group; i < (g + 1) * group; ++i) sum += q[i];
            s.sums[static_cast<std::size_t>(r * groups + g)] = sum;
        }
    }
    return s;
}

// da[r][g]: the scale of the activation block that holds weight group g (per-block activations).
template <class Packed>
std::vector<float> group_scales(const activations_u8& a, const Packed& w) {
    if (a.block < 1 || a.k % a.block != 0 || a.block_scales.size() != static_cast<std::size_t>(a.m * (a.k / a.block)))
        lowbit::detail::fail("matmul: the activations' blocks are inconsistent (block ", a.block, ", k = ", a.k, ", ", a.block_scales.size(), " block scales for ",
                             a.m, " rows)");
    if (a.block % w.group != 0) lowbit::detail::fail("matmul: activation blocks of ", a.block, " do not hold whole weight groups of ", w.group);
    const std::int64_t blocks = a.k / a.block;
    std::vector<float> scales(static_cast<std::size_t>(a.m * w.groups));
    for (std::int64_t r = 0; r < a.m; ++r)
        for (std::int64_t g = 0; g < w.groups; ++g)
            scales[static_cast<std::size_t>(r * w.groups + g)] = a.block_scales[static_cast<std::size_t>(r * blocks + g * w.group / a.block)];
    return scales;
}

template <class Arch, class Packed, class Out, class... Stages>
void matmul_grouped(const activations_u8& a, const Packed& w, const epilogue<Stages...>& ep, Out* y, std::int64_t ldy, parallelism how) {
    check_operands("matmul", a, w, y, ldy);
    if (!a.zero_points.empty()) lowbit::detail::fail("matmul: the activations have zero points; grouped weights take symmetric activations");
    ep.check(w.n, nullptr);
    const signed_activations q = signed_codes(a, w.group);
    const std::vector<float> block_scales = a.block != 0 ? group_scales(a, w) : std::vector<float>{};
    using shape = grouped_tile_shape<Arch>;
    for_each_float_tile<Arch, shape::rows, shape::panels>(
        a.m, w.n, w.panels, a.scales.data(), ep, y, ldy, how, [&](std::int64_t p0, int np, std::int64_t r0, int rows, std::int64_t prefetch, float* out) {
            grouped_tile_args<Packed> t{q.q.data() + r0 * a.k4, a.k4, q.sums.data() + r0 * w.groups, w.groups, a.scales.data() + r0,
                                        block_scales.empty() ? nullptr : block_scales.data() + r0 * w.groups, &w, p0, out, shape::panels * panel_cols, prefetch, false};
            if (np == shape::panels && a.m > 1) {
                with_rows<shape::rows>(rows, [&](auto mr) { run_grouped_tile<decltype(mr)::value, shape::panels>(t, Arch{}); });
                return;
            }
            // A GEMV streams one panel at a time, prefetching ahead of that one stream: two panels
            // at once read slower, from DRAM and from L3 (4096^2, medians of 3, two rounds: Q4_0
            // cold / DRAM probe 0.63-0.67 against 0.81-0.84, Q4_K 0.72 against 0.84-0.88; hot
            // Q4_0 195 against 220 GOP/s).
            for (int p = 0; p < np; ++p) {
                t.panel = p0 + p;
                t.out = out + p * panel_cols;
                t.prefetch_panel = -1;
                t.stream = r0 == 0;
                with_rows<shape::rows>(rows, [&](auto mr) { run_grouped_tile<decltype(mr)::value, 1>(t, Arch{}); });
            }
        });
}

}  // namespace detail

// The packings the grouped kernels run: packed_groups (W4A8, W8A8 per group and the GGUF 32-blocks)
// and the GGUF k-quant packings (packed_k2, packed_k3, packed_k4 / packed_k5, packed_k6).
template <class Packed>
inline constexpr bool is_grouped_packing = detail::is_packed_groups<Packed> || is_packed_k4<Packed> || std::is_same_v<Packed, packed_k2> ||
                                           std::is_same_v<Packed, packed_k3> || std::is_same_v<Packed, packed_k6>;

// y[m][n] (rows ldy apart) = the epilogue of the grouped product (float).
template <class Arch = arch::native, class Packed, class Out, class... Stages>
std::enable_if_t<is_grouped_packing<Packed>> matmul(const activations_u8& a, const Packed& w, const epilogue<Stages...>& ep, Out* y, std::int64_t ldy,
                                                    parallelism how = 1) {
    detail::matmul_grouped<Arch>(a, w, ep, y, ldy, how);
}

namespace detail {

// Quantizes the activations per row (symmetric) and runs the grouped product.
template <class Arch, class Packed, class Out, class... Stages>
void linear_grouped(const char* op, const float* x, std::int64_t ldx, std::int64_t m, const Packed& w, Out* y, std::int64_t ldy,
                    const epilogue<Stages...>& ep, parallelism how) {
    if (w.n < 1 || w.data.empty()) lowbit::detail::fail(op, ": the weights are not packed");
    activations_u8 a;
    quantize_activations<Arch>(x, ldx, m, w.k, a);
    matmul<Arch>(a, w, ep, y, ldy, how);
}

}  // namespace detail

// The W4A8 linear layer: activations quantized per row on the fly (symmetric), then the epilogue.
template <class Arch = arch::native, class Scale, class Out, class... Stages>
void linear_w4a8(const float* x, std::int64_t ldx, std::int64_t m, const packed_s4<Scale>& w, Out* y, std::int64_t ldy, const epilogue<Stages...>& ep,
                 parallelism how = 1) {
    detail::linear_grouped<Arch>("linear_w4a8", x, ldx, m, w, y, ldy, ep, how);
}

template <class Arch = arch::native, class Scale>
void linear_w4a8(const float* x, std::int64_t ldx, std::int64_t m, const packed_s4<Scale>& w, float* y, std::int64_t ldy, parallelism how = 1) {
    detail::linear_grouped<Arch>("linear_w4a8", x, ldx, m, w, y, ldy, epilogue<>{}, how);
}

// The W8A8 linear layer with a scale per group of int8 weights.
template <class Arch = arch::native, class Scale, class Out, class... Stages>
void linear_w8a8(const float* x, std::int64_t ldx, std::int64_t m, const packed_s8g<Scale>& w, Out* y, std::int64_t ldy, const epilogue<Stages...>& ep,
                 parallelism how = 1) {
    detail::linear_grouped<Arch>("linear_w8a8", x, ldx, m, w, y, ldy, ep, how);
}

template <class Arch = arch::native, class Scale>
void linear_w8a8(const float* x, std::int64_t ldx, std::int64_t m, const packed_s8g<Scale>& w, float* y, std::int64_t ldy, parallelism how = 1) {
    detail::linear_grouped<Arch>("linear_w8a8", x, ldx, m, w, y, ldy, epilogue<>{}, how);
}

// Any grouped packing (is_grouped_packing: what repack_gguf returns),
// activations quantized per row on the fly, then the epilogue.
template <class Arch = arch::native, class Packed, class Out, class... Stages>
void linear_a8(const float* x, std::int64_t ldx, std::int64_t m, const Packed& w, Out* y, std::int64_t ldy, const epilogue<Stages...>& ep,
               parallelism how = 1) {
    detail::linear_grouped<Arch>("linear_a8", x, ldx, m, w, y, ldy, ep, how);
}

template <class Arch = arch::native, class Packed>
void linear_a8(const float* x, std::int64_t ldx, std::int64_t m, const Packed& w, float* y, std::int64_t ldy, parallelism how = 1) {
    detail::linear_grouped<Arch>("linear_a8", x, ldx, m, w, y, ldy, epilogue<>{}, how);
}

}  // namespace lowbit::gemm
