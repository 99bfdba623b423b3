// lowbit/gemm/driver.hpp - the loop shared by the drivers whose kernels write float tiles
// (grouped weights, weight-only), and the step from a tile's run-time row count to the
// compile-time one its kernel is instantiated for.
#pragma once

#include <algorithm>
#include <cstdint>
#include <type_traits>
#include <utility>

#include "lowbit/core/config.hpp"
#include "lowbit/core/error.hpp"
#include "lowbit/core/parallel.hpp"
#include "lowbit/gemm/activations_u8.hpp"
#include "lowbit/gemm/epilogue.hpp"
#include "lowbit/gemm/epilogue_run.hpp"
#include "lowbit/gemm/packed_s8.hpp"

namespace lowbit::gemm::detail {

// The operands of an integer product of quantized activations and packed weights (any packing
// with n, k and data) into an output with rows ldc apart.
template <class Weights>
void check_operands(const char* op, const activations_u8& a, const Weights& w, const void* c, std::int64_t ldc) {
    if (w.n < 1 || w.data.empty()) lowbit::detail::fail(op, ": the weights are not packed");
    if (a.m < 1 || a.data.empty()) lowbit::detail::fail(op, ": the activations are not quantized");
    if (a.k != w.k) lowbit::detail::fail(op, ": the activations have k = ", a.k, ", the weights k = ", w.k);
    if (c == nullptr) lowbit::detail::fail(op, ": the output is null");
    if (ldc < w.n) lowbit::detail::fail(op, ": output row stride ", ldc, " is less than n = ", w.n);
}

// Calls f(std::integral_constant<int, rows>{}) for 1 <= rows <= Max <= 8.
template <int Max, class F>
LOWBIT_ALWAYS_INLINE void with_rows(int rows, F&& f) {
    static_assert(Max >= 1 && Max <= 8, "tiles have 1 to 8 rows");
    using std::integral_constant;
    switch (rows) {
        case 1: f(integral_constant<int, 1>{}); break;
        case 2: if constexpr (Max >= 2) f(integral_constant<int, 2>{}); break;
        case 3: if constexpr (Max >= 3) f(integral_constant<int, 3>{}); break;
        case 4: if constexpr (Max >= 4) f(integral_constant<int, 4>{}); break;
        case 5: if constexpr (Max >= 5) f(integral_constant<int, 5>{}); break;
        case 6: if constexpr (Max >= 6) f(integral_constant<int, 6>{}); break;
        case 7: if constexpr (Max >= 7) f(integral_constant<int, 7>{}); break;
        default: if constexpr (Max >= 8) f(integral_constant<int, 8>{}); break;
    }
}

// Blocks of BlockPanels panels split over threads; rows in tiles of up to RowsMax.
// `tile(p0, np, r0, rows, prefetch_panel, out)` computes rows r0.. of the np panels from p0 into
// `out` (rows BlockPanels * 16 floats apart), pulling `prefetch_panel` (the next full block of the
// thread, or -1) into L2 on its first row tile; the epilogue then runs on each row. `row_scales`
// (may be null) is what tile_position reports as the rows' activation scales.
template <class Arch, int RowsMax, int BlockPanels, class Tile, class... Stages, class Out>
void for_each_float_tile(std::int64_t m, std::int64_t n, std::int64_t panels, const float* row_scales, const epilogue<Stages...>& ep, Out* y,
                         std::int64_t ldy, parallelism how, Tile&& tile) {
    constexpr std::int64_t ld = BlockPanels * panel_cols;
    const std::int64_t blocks = (panels + BlockPanels - 1) / BlockPanels;
    parallel_for(blocks, how, [&](std::int64_t b0, std::int64_t b1) {
        alignas(64) float out[static_cast<std::size_t>(RowsMax * ld)];
        alignas(64) std::int32_t scratch[static_cast<std::size_t>(ld)];
        for (std::int64_t b = b0; b < b1; ++b) {
            const std::int64_t p0 = b * BlockPanels;
            const int np = static_cast<int>(std::min<std::int64_t>(BlockPanels, panels - p0));
            const std::int64_t c0 = p0 * panel_cols, cols = std::min<std::int64_t>(np * panel_cols, n - c0);
            const bool next_full = b + 1 < b1 && (b + 2) * BlockPanels <= panels;
            for (std::int64_t r0 = 0; r0 < m; r0 += RowsMax) {
                const int rows = static_cast<int>(std::min<std::int64_t>(RowsMax, m - r0));
                tile(p0, np, r0, rows, r0 == 0 && next_full ? p0 + BlockPanels : -1, out);
                for (int r = 0; r < rows; ++r) {
                    const tile_position at{r0 + r, c0, row_scales != nullptr ? row_scales[r0 + r] : 0.f, nullptr};
                    run_stages<0, Arch>(ep.stages, at, out + r * ld, scratch, out + r * ld, cols, y + (r0 + r) * ldy + c0);
                }
            }
        }
    });
}

}  // namespace lowbit::gemm::detail
