// lowbit/gemm/tile_args.hpp - what an int8 micro-kernel call works on (kernel_s8.hpp), and how the
// kernels read their activation operand.
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

// Four activation bytes as one int32 lane (the operand every int8 kernel broadcasts): as stored,
// u = q + 128, or as the signed codes q = u - 128 (bytewise u XOR 0x80).
inline std::int32_t unsigned_four(const std::uint8_t* u) {
    std::int32_t four;
    __builtin_memcpy(&four, u, 4);
    return four;
}
inline std::int32_t signed_four(const std::uint8_t* u) { return static_cast<std::int32_t>(static_cast<std::uint32_t>(unsigned_four(u)) ^ 0x80808080u); }
// Four signed codes as one int32: a plain load, which the compiler folds into a broadcast from memory.
inline std::int32_t four(const std::int8_t* q) { return unsigned_four(reinterpret_cast<const std::uint8_t*>(q)); }

}  // namespace lowbit::gemm::detail
