// lowbit/gemm/tile_args.hpp - what a micro-kernel call works on (kernel_s8.hpp).
#pragma once

#include <cstdint>

namespace lowbit::gemm::detail {

struct tile_args {
    const std::uint8_t* u;          // activation rows (u = q + 128), `ldu` bytes apart
    std::int64_t ldu;
    const std::int8_t* w;           // the first packed panel of the tile
    std::int64_t k4;                // K padded to 4: bytes per panel row
    const std::int32_t* col_sums;   // the tile's column sums
    std::int32_t* acc;              // output sums, rows `ldc` apart
    std::int64_t ldc;
    const std::int8_t* prefetch;    // panels to pull into L2 at the pace of this tile (same layout as w)
    int prefetch_panels;            // how many, 0 for none
};

}  // namespace lowbit::gemm::detail
