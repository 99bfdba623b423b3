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
// epilogue's scalar formulas, for every tag, thread count and blocking. Work is split over blocks
// of output channels (tile_shape panels), each block's weights staying in L2 while every row of A
// passes over them in tiles (in passes over K when the block is too large: blocking.hpp); M = 1
// (decoding) therefore splits over N too.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <type_traits>
#include <vector>

#include <xsimd/xsimd.hpp>

#include "lowbit/arch/native.hpp"
#include "lowbit/core/error.hpp"
#include "lowbit/core/parallel.hpp"
#include "lowbit/gemm/activations_u8.hpp"
#include "lowbit/gemm/blocking.hpp"
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

// Calls f(r0, rows, i, tiles) for the row tiles of m rows: full tiles of RowsMax, except that a short
// last tile shares its rows with the one before (two 5-row tiles rather than 8 and 2).
template <int RowsMax, class F>
void for_each_row_tile(std::int64_t m, F&& f) {
    const std::int64_t tiles = (m + RowsMax - 1) / RowsMax, rest = m % RowsMax;
    const bool share = tiles >= 2 && rest != 0 && 2 * rest < RowsMax;
    std::int64_t r0 = 0;
    for (std::int64_t i = 0; i < tiles; ++i) {
        int rows = RowsMax;
        if (i == tiles - 1 && rest != 0) rows = static_cast<int>(share ? (RowsMax + rest) / 2 : rest);
        else if (i == tiles - 2 && share) rows = static_cast<int>(RowsMax + rest - (RowsMax + rest) / 2);
        f(r0, rows, i, tiles);
        r0 += rows;
    }
}

// Calls out(row, col, sums, count) for each row of A and each block of columns: `count` int32 sums
// (writable scratch) of columns from `col`, each sum_k (q - z) W with the row's activation zero
// point z. The walk over K and M follows `plan` (blocking.hpp).
template <class Arch, class Out>
void for_each_tile(const activations_u8& a, const packed_s8& w, parallelism how, const blocking& plan, Out&& out) {
    constexpr int rows_max = tile_shape<Arch>::rows, block_panels = tile_shape<Arch>::panels;
    constexpr std::int64_t ld = block_panels * panel_cols;
    const std::int64_t blocks = (w.panels + block_panels - 1) / block_panels, panel_bytes = w.k4 * panel_cols;
    const std::int64_t k_pass = std::min(plan.k_pass, w.k4), passes = (w.k4 + k_pass - 1) / k_pass;
    const std::int64_t m_pass = passes > 1 ? std::min(plan.m_pass, a.m) : a.m, m_blocks = (a.m + m_pass - 1) / m_pass;
    parallel_for(blocks, how, [&](std::int64_t b0, std::int64_t b1) {
        // One tile on the stack when K is whole (the epilogue follows each tile), else the sums of
        // m_pass rows.
        alignas(64) std::int32_t tile[static_cast<std::size_t>(rows_max * ld)];
        std::vector<std::int32_t, xsimd::aligned_allocator<std::int32_t, 64>> carried(passes > 1 ? static_cast<std::size_t>(m_pass * ld) : 0);
        std::int32_t* const scratch = passes > 1 ? carried.data() : tile;
        for (std::int64_t b = b0; b < b1; ++b) {
            const std::int64_t p0 = b * block_panels;
            const int np = static_cast<int>(std::min<std::int64_t>(block_panels, w.panels - p0));
            const std::int64_t c0 = p0 * panel_cols, cols = std::min<std::int64_t>(np * panel_cols, w.n - c0);
            const std::int8_t* panels = w.panel(p0);
            const std::int32_t* sums = w.col_sums.data() + c0;
            const auto finish = [&](std::int64_t r0, int rows, std::int32_t* acc) {
                for (int r = 0; r < rows; ++r) {
                    std::int32_t* row = acc + r * ld;
                    if (!a.zero_points.empty()) {
                        const std::int32_t z = a.zero_points[static_cast<std::size_t>(r0 + r)];
                        for (std::int64_t c = 0; c < cols; ++c) row[c] -= z * sums[c];  // exact: |result| < 2^31 (packed_s8.hpp)
                    }
                    out(r0 + r, c0, row, cols);
                }
            };
            for (std::int64_t mb = 0; mb < m_blocks; ++mb) {
                const std::int64_t m0 = mb * m_pass, rows_in_block = std::min(m_pass, a.m - m0);
                for (std::int64_t pass = 0; pass < passes; ++pass) {
                    const std::int64_t k0 = pass * k_pass, groups = std::min(k_pass, w.k4 - k0) / 4;
                    // The first row tiles pull the weights of the next step into L2, a panel each,
                    // while this one computes (decoding and small batches are bound by that
                    // stream): this block's next pass (its last `groups` groups of 4, so that a
                    // shorter last pass stays inside the panel), else, when more rows follow, this
                    // block's first pass, else the next full block's first.
                    const std::int8_t* next = nullptr;
                    int next_panels = np;
                    if (pass + 1 < passes) next = panels + std::min(k0 + k_pass, w.k4 - 4 * groups) * panel_cols;
                    else if (mb + 1 < m_blocks) next = panels;
                    else if (b + 1 < b1 && (b + 2) * block_panels <= w.panels) next = panels + block_panels * panel_bytes, next_panels = block_panels;
                    for_each_row_tile<rows_max>(rows_in_block, [&](std::int64_t r0, int rows, std::int64_t i, std::int64_t tiles) {
                        std::int32_t* acc = passes > 1 ? scratch + r0 * ld : scratch;
                        const int prefetch = next == nullptr || i >= next_panels ? 0 : tiles == 1 ? next_panels : 1;
                        const tile_args t{a.row(m0 + r0) + k0, a.k4, panels + k0 * panel_cols, panel_bytes, groups, sums, acc, ld, pass > 0,
                                          prefetch > 0 ? next + (tiles == 1 ? 0 : i * panel_bytes) : nullptr, prefetch};
                        if constexpr (block_panels == 1) run_rows<1>(t, rows, Arch{});
                        else if (np == 1) run_rows<1>(t, rows, Arch{});
                        else run_rows<block_panels>(t, rows, Arch{});
                        if (passes == 1) finish(m0 + r0, rows, acc);
                    });
                }
                if (passes > 1) finish(m0, static_cast<int>(rows_in_block), scratch);
            }
        }
    });
}

}  // namespace detail

// y[m][n] (rows ldy apart) = the epilogue of sum_k (qa[m][k] - za[m]) W[n][k], walking K and M as
// `plan` says (the same result for every plan).
template <class Arch = arch::native, class Out, class... Stages>
void matmul(const activations_u8& a, const packed_s8& w, const epilogue<Stages...>& ep, Out* y, std::int64_t ldy, parallelism how, const blocking& plan) {
    detail::check_operands("matmul", a, w, y, ldy);
    if (a.block != 0) lowbit::detail::fail("matmul: per-block activation scales (ggml's q8_0 / q8_K) are for the grouped packings; per-channel int8 weights take per-row activations");
    detail::check_blocking("matmul", plan);
    ep.check(w.n, w.scales.empty() ? nullptr : w.scales.data());
    detail::for_each_tile<Arch>(a, w, how, plan, [&](std::int64_t r, std::int64_t c0, std::int32_t* t, std::int64_t cols) {
        const tile_position at{r, c0, a.scales[static_cast<std::size_t>(r)], w.scales.empty() ? nullptr : w.scales.data()};
        detail::run_epilogue<Arch>(ep, at, t, cols, y + r * ldy + c0);
    });
}

// ... with the blocking chosen for the shape and this machine's L2.
template <class Arch = arch::native, class Out, class... Stages>
void matmul(const activations_u8& a, const packed_s8& w, const epilogue<Stages...>& ep, Out* y, std::int64_t ldy, parallelism how = 1) {
    matmul<Arch>(a, w, ep, y, ldy, how, choose_blocking(a.m, w.k4, detail::tile_shape<Arch>::rows, detail::tile_shape<Arch>::panels));
}

// acc[m][n] (rows ldc apart) = sum_k (qa[m][k] - za[m]) W[n][k], exactly.
template <class Arch = arch::native>
void matmul_s32(const activations_u8& a, const packed_s8& w, std::int32_t* acc, std::int64_t ldc, parallelism how = 1) {
    matmul<Arch>(a, w, epilogue<>{}, acc, ldc, how);
}

template <class Arch = arch::native>
void matmul_s32(const activations_u8& a, const packed_s8& w, std::int32_t* acc, std::int64_t ldc, parallelism how, const blocking& plan) {
    matmul<Arch>(a, w, epilogue<>{}, acc, ldc, how, plan);
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
