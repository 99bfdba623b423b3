// lowbit/gemm/packed_k2.hpp - 2-bit weights with a 4-bit scale and a 4-bit minimum per group of 16
// and fp16 factors per 256: GGUF Q2_K's structure, packed for the grouped kernels.
//
// Weight n, k of group g (16 wide) in super-block S (256 wide) is
//     w = fl(fl(d[n][S] sc[n][g]) c) - fl(dmin[n][S] m[n][g]),
// codes c 0..3, sc and m 0..15 (one byte, m in the high nibble, as the file has them), fp16 d and
// dmin: exactly how ggml dequantizes Q2_K, so a repacked tensor (gguf_weights.hpp) keeps every bit,
// in 2.625 bits per weight, the file's size.
// Panels of 16 output channels; inside a panel, per super-block: a head of the 16 groups' 16
// (sc | m << 4) bytes (256 bytes), then 16 d and 16 dmin (fp16, 64 bytes), then 16 group records of
// one 64-byte chunk: bits 2 h, 2 h + 1 of byte 4 j + b hold the code of k = 4 h + b. Every record
// and head is cache-line aligned.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>
#include <vector>

#include "lowbit/core/error.hpp"
#include "lowbit/core/half.hpp"
#include "lowbit/core/unfused.hpp"
#include "lowbit/gemm/packed_k4.hpp"
#include "lowbit/gemm/packed_s8.hpp"

namespace lowbit::gemm {

struct packed_k2 : detail::super_block_panels<packed_k2> {
    static constexpr int bits = 2;
    static constexpr std::int64_t group = 16, super_group = 256, groups_per_super = 16;
    static constexpr std::int64_t head_bytes = 320;         // 16 x 16 (sc | m << 4), 16 d, 16 dmin (fp16)
    static constexpr std::int64_t d_offset = 256, dmin_offset = 288;
    static constexpr std::int64_t record_bytes = 64;
    static constexpr std::int64_t super_bytes = head_bytes + groups_per_super * record_bytes;

    std::int64_t code_bytes() const { return 64; }
    int code(const std::uint8_t* rec, std::int64_t j, std::int64_t kk) const { return two_bits(rec, j, kk); }
    // Group g's scale fl(d sc) and minimum fl(dmin m) for channel j (hd: the group's head).
    float scale(const std::uint8_t* hd, std::int64_t g, std::int64_t j) const {
        return unfused(detail::half_at(hd + d_offset, j) * static_cast<float>(terms(hd, g, j) & 15));
    }
    float min(const std::uint8_t* hd, std::int64_t g, std::int64_t j) const {
        return unfused(detail::half_at(hd + dmin_offset, j) * static_cast<float>(terms(hd, g, j) >> 4));
    }

private:
    static int terms(const std::uint8_t* hd, std::int64_t g, std::int64_t j) { return hd[g % groups_per_super * panel_cols + j]; }
};

// Packs n rows of k 2-bit codes (rows ldc apart) with, per channel, fp16 d and dmin per 256 and
// the byte sc | m << 4 per 16. k is a multiple of 256.
inline packed_k2 pack_k2(const std::uint8_t* codes, std::int64_t ldc, std::int64_t n, std::int64_t k, const fp16* d, const fp16* dmin,
                         const std::uint8_t* scales_mins) {
    detail::check_super_blocks("pack_k2", n, k, ldc, codes != nullptr && d != nullptr && dmin != nullptr && scales_mins != nullptr);
    packed_k2 p = detail::zeroed<packed_k2>(n, k);
    for (std::int64_t c = 0; c < n; ++c) {
        const std::int64_t panel = c / panel_cols, j = c % panel_cols;
        detail::store_super_factors(p, "pack_k2", "d", c, d, packed_k2::d_offset);
        detail::store_super_factors(p, "pack_k2", "dmin", c, dmin, packed_k2::dmin_offset);
        for (std::int64_t g = 0; g < p.groups; ++g) {
            p.head(panel, g)[g % packed_k2::groups_per_super * panel_cols + j] = scales_mins[c * p.groups + g];
            std::uint8_t* rec = p.record(panel, g);
            for (std::int64_t kk = 0; kk < packed_k2::group; ++kk) {
                const std::uint8_t code = codes[c * ldc + g * packed_k2::group + kk];
                if (code > 3) lowbit::detail::fail("pack_k2: code ", int{code}, " of channel ", c, ", column ", g * packed_k2::group + kk, " is not 0..3");
                rec[4 * j + kk % 4] = static_cast<std::uint8_t>(rec[4 * j + kk % 4] | code << (2 * (kk / 4)));
            }
        }
    }
    return p;
}

// w[n][k] = fl(fl(d sc) c) - fl(dmin m) (rows ldw floats apart): ggml's Q2_K dequantization.
inline void dequantize_weights(const packed_k2& p, float* w, std::int64_t ldw) {
    detail::dequantize_super_blocks(p, w, ldw, [&](const std::uint8_t* hd, const std::uint8_t* rec, std::int64_t g, std::int64_t j, std::int64_t kk) {
        return unfused(p.scale(hd, g, j) * static_cast<float>(p.code(rec, j, kk))) - p.min(hd, g, j);
    });
}

}  // namespace lowbit::gemm
