// lowbit/gemm/matmul.hpp - int8 x int8 products for linear layers: C[M x N] = A[M x K] * W^T.
//
//     auto w = lowbit::gemm::pack_s8(w_int8, k, n, k, w_scales);           // once, at load time
//     lowbit::gemm::linear_w8a8(x, k, m, w, y, n);                          // y = x W^T, W8A8
//
//     lowbit::gemm::activations_u8 a;                                       // or in two steps:
//     lowbit::gemm::quantize_activations(x, k, m, k, a);
//     lowbit::gemm::matmul_s32(a, w, acc, n);                               // exact int32
//
// Results are those of gemm/reference.hpp bit for bit, for every tag and thread count. Work is
// split over blocks of 32 output channels (2 panels), each block's weights staying in L1/L2 while
// every row of A passes over them in tiles of up to 6 rows.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>

#include "lowbit/arch/native.hpp"
#include "lowbit/core/error.hpp"
#include "lowbit/core/parallel.hpp"
#include "lowbit/gemm/activations_u8.hpp"
#include "lowbit/gemm/kernel_s8.hpp"
#include "lowbit/gemm/packed_s8.hpp"

namespace lowbit::gemm {

namespace detail {

inline constexpr int tile_rows = 6;
inline constexpr int block_panels = 2;  // 6 x 2 tiles: 12 zmm accumulators, measured fastest of 3x4 .. 8x2

template <int NP, class Arch>
void run_rows(const std::uint8_t* u, std::int64_t ldu, int rows, const std::int8_t* w, std::int64_t k4, const std::int32_t* sums, std::int32_t* tile,
              Arch arch) {
    constexpr std::int64_t ld = block_panels * panel_cols;
    switch (rows) {
        case 1: run_tile<1, NP>(u, ldu, w, k4, sums, tile, ld, arch); break;
        case 2: run_tile<2, NP>(u, ldu, w, k4, sums, tile, ld, arch); break;
        case 3: run_tile<3, NP>(u, ldu, w, k4, sums, tile, ld, arch); break;
        case 4: run_tile<4, NP>(u, ldu, w, k4, sums, tile, ld, arch); break;
        case 5: run_tile<5, NP>(u, ldu, w, k4, sums, tile, ld, arch); break;
        default: run_tile<6, NP>(u, ldu, w, k4, sums, tile, ld, arch); break;
    }
}

// Calls out(row, col, tile_row, count) for each tile of int32 sums: `count` columns from `col`.
template <class Arch, class Out>
void for_each_tile(const activations_u8& a, const packed_s8& w, int threads, Out&& out) {
    const std::int64_t blocks = (w.panels + block_panels - 1) / block_panels;
    parallel_for(blocks, threads, [&](std::int64_t b0, std::int64_t b1) {
        alignas(64) std::int32_t tile[tile_rows * block_panels * panel_cols];
        for (std::int64_t b = b0; b < b1; ++b) {
            const std::int64_t p0 = b * block_panels;
            const int np = static_cast<int>(std::min<std::int64_t>(block_panels, w.panels - p0));
            const std::int64_t c0 = p0 * panel_cols, cols = std::min<std::int64_t>(np * panel_cols, w.n - c0);
            const std::int8_t* panels = w.panel(p0);
            const std::int32_t* sums = w.col_sums.data() + c0;
            for (std::int64_t r0 = 0; r0 < a.m; r0 += tile_rows) {
                const int rows = static_cast<int>(std::min<std::int64_t>(tile_rows, a.m - r0));
                const std::uint8_t* u = a.row(r0);
                if (np == 1) run_rows<1>(u, a.k4, rows, panels, w.k4, sums, tile, Arch{});
                else run_rows<block_panels>(u, a.k4, rows, panels, w.k4, sums, tile, Arch{});
                for (int r = 0; r < rows; ++r) out(r0 + r, c0, tile + r * block_panels * panel_cols, cols);
            }
        }
    });
}

inline void check_operands(const char* op, const activations_u8& a, const packed_s8& w, const void* c, std::int64_t ldc, int threads) {
    if (w.n < 1 || w.data.empty()) lowbit::detail::fail(op, ": the weights are not packed");
    if (a.k != w.k) lowbit::detail::fail(op, ": the activations have k = ", a.k, ", the weights k = ", w.k);
    if (c == nullptr) lowbit::detail::fail(op, ": the output is null");
    if (ldc < w.n) lowbit::detail::fail(op, ": output row stride ", ldc, " is less than n = ", w.n);
    if (threads < 1) lowbit::detail::fail(op, ": threads = ", threads, " must be at least 1");
}

}  // namespace detail

// acc[m][n] (rows ldc apart) = sum_k a[m][k] * W[n][k], exactly.
template <class Arch = arch::native>
void matmul_s32(const activations_u8& a, const packed_s8& w, std::int32_t* acc, std::int64_t ldc, int threads = 1) {
    detail::check_operands("matmul_s32", a, w, acc, ldc, threads);
    detail::for_each_tile<Arch>(a, w, threads, [&](std::int64_t r, std::int64_t c0, const std::int32_t* t, std::int64_t cols) {
        std::memcpy(acc + r * ldc + c0, t, static_cast<std::size_t>(cols) * sizeof(std::int32_t));
    });
}

// y[m][n] (rows ldy apart) = float(acc[m][n]) * (s_a[m] * s_w[n]): the W8A8 linear layer with
// activations quantized per row on the fly and per-channel weight scales from the packing.
template <class Arch = arch::native>
void linear_w8a8(const float* x, std::int64_t ldx, std::int64_t m, const packed_s8& w, float* y, std::int64_t ldy, int threads = 1) {
    if (w.scales.empty()) lowbit::detail::fail("linear_w8a8: the packed weights have no scales");
    activations_u8 a;
    quantize_activations<Arch>(x, ldx, m, w.k, a);
    detail::check_operands("linear_w8a8", a, w, y, ldy, threads);
    detail::for_each_tile<Arch>(a, w, threads, [&](std::int64_t r, std::int64_t c0, const std::int32_t* t, std::int64_t cols) {
        const float sa = a.scales[static_cast<std::size_t>(r)];
        const float* sw = w.scales.data() + c0;
        float* out = y + r * ldy + c0;
        for (std::int64_t c = 0; c < cols; ++c) out[c] = static_cast<float>(t[c]) * (sa * sw[c]);
    });
}

}  // namespace lowbit::gemm
