// lowbit/gemm/kernel_s8.hpp - the int8 micro-kernels: for a block of rows of the activations
// (activations_u8.hpp: u = q + 128, q in [-127, 127]) and panels of packed weights (packed_s8.hpp),
// the exact int32 sums acc = sum_k q[k] W[n][k] of the signed operands.
//
// run_tile<MR, NP>(..., Arch) computes MR rows x NP panels (16 NP columns) over a range of K. The
// scalar overload here is the layout-aware reference every tag falls back to. The vector ones:
//   kernel_s8_vnni.hpp     avx512_vnni (zmm) and avx_vnni (ymm): VPDPBUSD on u, minus 128 colsum
//   kernel_s8_maddubs.hpp  avx512bw and avx2 without VNNI: VPMADDUBSW on |w| and sign(w) q
// tile_shape<Arch> is the largest tile the driver asks each of them for.
#pragma once

#include <cstdint>

#include "lowbit/arch/tags.hpp"
#include "lowbit/core/config.hpp"
#include "lowbit/gemm/packed_s8.hpp"
#include "lowbit/gemm/tile_args.hpp"

namespace lowbit::gemm::detail {

// acc[r * ldc + c] for rows r < MR of `u` (rows `ldu` bytes apart) and columns c < 16 NP of the
// panels starting at `w`, over the pass's groups of k; `col_sums` are those columns' sums. The first
// pass over K starts from -128 colsum (the correction for u = q + 128), later ones from acc.
template <int MR, int NP>
LOWBIT_NO_AUTOVECTORIZE void run_tile(const tile_args& t, arch::scalar) {
    for (int r = 0; r < MR; ++r)
        for (int c = 0; c < NP * panel_cols; ++c) {
            const std::int8_t* panel = t.w + (c / panel_cols) * t.panel_bytes;
            const int lane = c % panel_cols;
            std::int32_t& out = t.acc[r * t.ldc + c];
            std::int32_t sum = t.accumulate ? out : -128 * t.col_sums[c];
            for (std::int64_t g = 0; g < t.groups; ++g)
                for (int b = 0; b < 4; ++b)
                    sum += static_cast<std::int32_t>(t.u[r * t.ldu + 4 * g + b]) * static_cast<std::int32_t>(panel[g * 4 * panel_cols + lane * 4 + b]);
            out = sum;
        }
}

// Rows of A x panels of W that stay in registers.
template <class Arch>
struct tile_shape {  // scalar and the 512-bit tags: 6 x 2 (12 zmm accumulators)
    static constexpr int rows = 6, panels = 2;
};
template <>
struct tile_shape<arch::avx512_vnni> {  // 8 x 2: 16 zmm accumulators
    static constexpr int rows = 8, panels = 2;
};
template <>
struct tile_shape<arch::avx2> {  // 16 ymm registers: 4 rows x the two halves of one panel
    static constexpr int rows = 4, panels = 1;
};
template <>
struct tile_shape<arch::avx_vnni> {  // VPDPBUSD needs no scratch: 6 rows x 2 halves, 15 of 16 ymm
    static constexpr int rows = 6, panels = 1;
};

}  // namespace lowbit::gemm::detail

#include "lowbit/gemm/kernel_s8_maddubs.hpp"
#include "lowbit/gemm/kernel_s8_vnni.hpp"
