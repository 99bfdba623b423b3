// lowbit/gemm/matmul.hpp - int8 x int8 products for linear layers: C[M x N] = A[M x K] * W^T.
//
//     auto w = lowbit::gemm::pack_s8(w_int8, k, n, k, w_scales);           // once, at load time
//     lowbit::thread_pool pool(2);                                          // once, by the engine
//     lowbit::gemm::linear_w8a8(x, k, m, w, y, n, pool);                    // y = x W^T (f32)
//     lowbit::gemm::linear_w8a8(x, k, m, w, y, n,                           // with an epilogue
//                               gemm::epilogue{gemm::dequantize{}, gemm::bias{b}, gemm::gelu{}}, pool);
//
//     lowbit::gemm::activations_u8 a;                                       // or in two steps:
//     lowbit::gemm::quantize_activations(x, k, m, k, a);                    //   (or _affine, _static)
//     lowbit::gemm::matmul(a, w, epilogue, y, ldy, pool);                   //   any epilogue and output
//     lowbit::gemm::matmul_s32(a, w, acc, n);                               //   the exact int32
//
// Integer results are those of gemm/reference.hpp bit for bit, and float results those of the
// epilogue's scalar formulas, for every tag and thread count. Work is split over blocks of output
// channels (tile_shape panels), each block's weights staying in L1/L2 while every row of A passes
// over them in tiles; M = 1 (decoding) therefore splits over N too.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <type_traits>

#include "lowbit/arch/native.hpp"
#include "lowbit/core/error.hpp"
#include "lowbit/core/parallel.hpp"
#include "lowbit/gemm/activations_u8.hpp"
#include "lowbit/gemm/epilogue.hpp"
#include "lowbit/gemm/epilogue_run.hpp"
#include "lowbit/gemm/driver.hpp"
#include "lowbit/gemm/kernel_s8.hpp"
#include "lowbit/gemm/packed_s8.hpp"

namespace lowbit::gemm {

namespace detail {

// run_tile<rows, NP> for a run-time row count. A switch of direct calls, not driver.hpp's
// with_rows: through its lambda g++ 12 runs this kernel at half speed (W8A8 M = 512: 1000 -> 540
// GOP/s); the float-tile kernels do not lose.
template <int NP, class Arch>
void run_rows(const tile_args& t, int rows, Arch arch) {
    static_assert(tile_shape<Arch>::rows <= 8, "run_rows covers tiles of up to 8 rows");
    switch (rows) {
        case 1: run_tile<1, NP>(t, arch); break;
        case 2: run_tile<2, NP>(t, arch); break;
        case 3: run_tile<3, NP>(t, arch); break;
        case 4: run_tile<4, NP>(t, arch); break;
        case 5: if constexpr (tile_shape<Arch>::rows >= 5) run_tile<5, NP>(t, arch); break;
        case 6: if constexpr (tile_shape<Arch>::rows >= 6) run_tile<6, NP>(t, arch); break;
        case 7: if constexpr (tile_shape<Arch>::rows >= 7) run_tile<7, NP>(t, arch); break;
        default: if constexpr (tile_shape<Arch>::rows >= 8) run_tile<8, NP>(t, arch); break;
    }
}

// Calls out(row, col, sums, count) for each row of each tile: `count` int32 sums (writable
// scratch) of columns from `col`, each sum_k (q - z) W with the row's activation zero point z.
template <class Arch, class Out>
void for_each_tile(const activations_u8& a, const packed_s8& w, parallelism how, Out&& out) {
    constexpr int rows_max = tile_shape<Arch>::rows, block_panels = tile_shape<Arch>::panels;
    constexpr std::int64_t ld = block_panels * panel_cols;
    const std::int64_t blocks = (w.panels + block_panels - 1) / block_panels;
    parallel_for(blocks, how, [&](std::int64_t b0, std::int64_t b1) {
        alignas(64) std::int32_t tile[static_cast<std::size_t>(rows_max * ld)];
        for (std::int64_t b = b0; b < b1; ++b) {
            const std::int64_t p0 = b * block_panels;
            const int np = static_cast<int>(std::min<std::int64_t>(block_panels, w.panels - p0));
            const std::int64_t c0 = p0 * panel_cols, cols = std::min<std::int64_t>(np * panel_cols, w.n - c0);
            const std::int8_t* panels = w.panel(p0);
            const std::int32_t* sums = w.col_sums.data() + c0;
            // Row tile i also pulls panel i of the next full block into L2, so that DRAM streams
            // while this block computes (decoding and small batches are bound by it).
            const bool next_full = b + 1 < b1 && (b + 2) * block_panels <= w.panels;
            // Full tiles, except that a short last tile shares its rows with the one before.
            const std::int64_t tiles = (a.m + rows_max - 1) / rows_max, rest = a.m % rows_max;
            const bool share = tiles >= 2 && rest != 0 && 2 * rest < rows_max;
            std::int64_t r0 = 0;
            for (std::int64_t i = 0; i < tiles; ++i) {
                int rows = rows_max;
                if (i == tiles - 1 && rest != 0) rows = static_cast<int>(share ? (rows_max + rest) / 2 : rest);
                else if (i == tiles - 2 && share) rows = static_cast<int>(rows_max + rest - (rows_max + rest) / 2);
                const int prefetch = !next_full || i >= block_panels ? 0 : tiles == 1 ? block_panels : 1;
                const tile_args t{a.row(r0), a.k4, panels, w.k4, sums, tile, ld, prefetch > 0 ? w.panel(p0 + block_panels + i) : nullptr, prefetch};
                if constexpr (block_panels == 1) run_rows<1>(t, rows, Arch{});
                else if (np == 1) run_rows<1>(t, rows, Arch{});
                else run_rows<block_panels>(t, rows, Arch{});
                for (int r = 0; r < rows; ++r) {
                    std::int32_t* row = tile + r * ld;
                    if (!a.zero_points.empty()) {
                        const std::int32_t z = a.zero_points[static_cast<std::size_t>(r0 + r)];
                        for (std::int64_t c = 0; c < cols; ++c) row[c] -= z * sums[c];  // exact: |result| < 2^31 (packed_s8.hpp)
                    }
                    out(r0 + r, c0, row, cols);
                }
                r0 += rows;
            }
        }
    });
}

}  // namespace detail

// y[m][n] (rows ldy apart) = the epilogue of sum_k (qa[m][k] - za[m]) W[n][k].
template <class Arch = arch::native, class Out, class... Stages>
void matmul(const activations_u8& a, const packed_s8& w, const epilogue<Stages...>& ep, Out* y, std::int64_t ldy, parallelism how = 1) {
    detail::check_operands("matmul", a, w, y, ldy);
    ep.check(w.n, w.scales.empty() ? nullptr : w.scales.data());
    detail::for_each_tile<Arch>(a, w, how, [&](std::int64_t r, std::int64_t c0, std::int32_t* t, std::int64_t cols) {
        const tile_position at{r, c0, a.scales[static_cast<std::size_t>(r)], w.scales.empty() ? nullptr : w.scales.data()};
        detail::run_epilogue<Arch>(ep, at, t, cols, y + r * ldy + c0);
    });
}

// acc[m][n] (rows ldc apart) = sum_k (qa[m][k] - za[m]) W[n][k], exactly.
template <class Arch = arch::native>
void matmul_s32(const activations_u8& a, const packed_s8& w, std::int32_t* acc, std::int64_t ldc, parallelism how = 1) {
    matmul<Arch>(a, w, epilogue<>{}, acc, ldc, how);
}

// The W8A8 linear layer: activations quantized per row on the fly (symmetric), then the epilogue.
template <class Arch = arch::native, class Out, class... Stages>
void linear_w8a8(const float* x, std::int64_t ldx, std::int64_t m, const packed_s8& w, Out* y, std::int64_t ldy, const epilogue<Stages...>& ep,
                 parallelism how = 1) {
    if (w.n < 1 || w.data.empty()) lowbit::detail::fail("linear_w8a8: the weights are not packed");
    activations_u8 a;
    quantize_activations<Arch>(x, ldx, m, w.k, a);
    matmul<Arch>(a, w, ep, y, ldy, how);
}

// y[m][n] = float(acc[m][n]) * (s_a[m] * s_w[n]): the plain dequantizing W8A8 layer.
template <class Arch = arch::native>
void linear_w8a8(const float* x, std::int64_t ldx, std::int64_t m, const packed_s8& w, float* y, std::int64_t ldy, parallelism how = 1) {
    linear_w8a8<Arch>(x, ldx, m, w, y, ldy, epilogue<dequantize>{}, how);
}

}  // namespace lowbit::gemm
