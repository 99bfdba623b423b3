// lowbit/gemm/blocking.hpp - how the int8 driver (matmul.hpp) walks K and M, chosen from the shape
// and the size of L2.
//
// Each thread takes blocks of output channels (tile_shape panels: 32 channels with AVX-512 VNNI,
// 16 with AVX-VNNI and AVX2) and passes every row of A over a block while the block's weights sit
// in L2. That holds while the block takes at most half of L2, leaving room for the activation rows
// that stream past it: 32 x K bytes is 352 KiB at K = 11008 but 896 KiB at K = 28672, about all
// of a 1 MiB L2. Past half of L2, K is split into passes of equal length (the last shorter by up to
// one group of 4 per pass) whose weights take at most a quarter of L2 (the best of the sizes
// measured at M = 512, K = 28672 on Zen 5: 874 -> 1000 GOP/s). The int32 sums of a block of
// `m_pass` rows carry from pass to pass in a scratch buffer and the epilogue runs after the last,
// so results are exact and the same for every blocking. With a single tile of rows (decoding,
// small batches) each weight is used once and a split would only add traffic: K stays whole.
#pragma once

#include <algorithm>
#include <cstdint>
#include <unistd.h>

#include "lowbit/core/error.hpp"
#include "lowbit/gemm/packed_s8.hpp"

namespace lowbit::gemm {

struct blocking {
    std::int64_t k_pass = 0;  // bytes of K (a multiple of 4) per pass over a block of weights
    std::int64_t m_pass = 0;  // rows whose sums carry between passes (all of M when K is whole)
};

// The L2 size the OS reports for this core, or 1 MiB when it does not say.
inline std::int64_t l2_cache_bytes() {
#if defined(_SC_LEVEL2_CACHE_SIZE)
    static const long bytes = sysconf(_SC_LEVEL2_CACHE_SIZE);
    if (bytes > 0) return bytes;
#endif
    return std::int64_t{1} << 20;
}

// The blocking for m rows of K padded to k4, with tiles of tile_rows rows and blocks of
// block_panels panels.
inline blocking choose_blocking(std::int64_t m, std::int64_t k4, int tile_rows, int block_panels, std::int64_t l2_bytes = l2_cache_bytes()) {
    const std::int64_t block_bytes = block_panels * panel_cols * k4, group_bytes = 4 * block_panels * panel_cols;
    if (m <= tile_rows || block_bytes <= l2_bytes / 2) return {k4, m};
    const std::int64_t pass_budget = std::max(l2_bytes / 4, group_bytes), passes = (block_bytes + pass_budget - 1) / pass_budget;
    // Rows per pass: a pass's weights are read once per m_pass rows; 64 tiles amortise that while
    // the carried sums (64 tiles x 8 rows x 32 channels x 4 bytes, 64 KiB on AVX-512) stay in L2.
    return {(k4 / 4 + passes - 1) / passes * 4, std::min<std::int64_t>(m, 64 * tile_rows)};
}

namespace detail {

inline void check_blocking(const char* op, const blocking& plan) {
    if (plan.k_pass < 4 || plan.k_pass % 4 != 0) lowbit::detail::fail(op, ": blocking k_pass = ", plan.k_pass, " is not a positive multiple of 4");
    if (plan.m_pass < 1) lowbit::detail::fail(op, ": blocking m_pass = ", plan.m_pass, " is not positive");
}

}  // namespace detail

}  // namespace lowbit::gemm
