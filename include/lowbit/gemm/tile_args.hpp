// lowbit/gemm/tile_args.hpp - what a micro-kernel call works on (kernel_s8.hpp).
#pragma once

#include <cstdint>

namespace lowbit::gemm::detail {

// One pass of a tile over a range of K: rows of activations times panels of weights, both already
// offset to the range's first k.
struct tile_args {
    const std::uint8_t* u;          // activation rows (u = q + 128), `ldu` bytes apart
    std::int64_t ldu;
    const std::int8_t* w;           // the first packed panel of the tile
    std::int64_t panel_bytes;       // distance from one panel to the next (K padded to 4, times 16)
    std::int64_t groups;            // groups of 4 k in this pass
    const std::int32_t* col_sums;   // the tile's column sums
    std::int32_t* acc;              // output sums, rows `ldc` apart
    std::int64_t ldc;
    bool accumulate;                // add to acc (a later pass over K) instead of overwriting it
    const std::int8_t* prefetch;    // panels to pull into L2 at the pace of this tile (same layout as w)
    int prefetch_panels;            // how many, 0 for none
};

}  // namespace lowbit::gemm::detail
