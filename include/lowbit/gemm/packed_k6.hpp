// lowbit/gemm/packed_k6.hpp - 6-bit weights with a signed 8-bit scale per group of 16 and an fp16
// factor per 256: GGUF Q6_K's structure, packed for the grouped kernels.
//
// Weight n, k of group g (16 wide) in super-block S (256 wide) is
//     w = fl(fl(d[n][S] sc[n][g]) (c - 32)),
// codes c 0..63, sc -128..127, fp16 d: exactly how ggml dequantizes Q6_K, so a repacked tensor
// (gguf_weights.hpp) keeps every bit, in 6.625 bits per weight (the file: 6.5625).
// Panels of 16 output channels; inside a panel, per super-block: a head of the 16 groups' 16 sc
// (256 bytes), the 16 channels' d (fp16, 32 bytes) and 32 bytes of padding, then 16 group records
// of three 64-byte chunks, all cache-line aligned:
//     2 chunks with the low four bits of the codes in the packed_s4 layout (byte 4 j + b of chunk
//       i: k = 8 i + b in the low nibble, k = 8 i + 4 + b in the high one),
//     1 chunk with their top two bits: bits 2 h, 2 h + 1 of byte 4 j + b for k = 4 h + b.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>
#include <vector>

#include <xsimd/xsimd.hpp>

#include "lowbit/core/error.hpp"
#include "lowbit/core/half.hpp"
#include "lowbit/core/unfused.hpp"
#include "lowbit/gemm/packed_k4.hpp"
#include "lowbit/gemm/packed_s8.hpp"

namespace lowbit::gemm {

struct packed_k6 : detail::super_block_panels<packed_k6> {
    static constexpr int bits = 6;
    static constexpr std::int64_t group = 16, super_group = 256, groups_per_super = 16;
    static constexpr int zero_point = 32;
    static constexpr std::int64_t head_bytes = 320;         // 16 x 16 sc, 16 d (fp16), padding
    static constexpr std::int64_t d_offset = 256;           // of the d in the head
    static constexpr std::int64_t record_bytes = 3 * 64;    // nibbles, top bits
    static constexpr std::int64_t super_bytes = head_bytes + groups_per_super * record_bytes;

    std::int64_t code_bytes() const { return 128; }  // the nibble chunks; the top bits follow
    int code(const std::uint8_t* rec, std::int64_t j, std::int64_t kk) const {
        return nibble(rec, j, kk) | (((rec[128 + 4 * j + kk % 4] >> (2 * (kk / 4))) & 3) << 4);
    }
    // Group g's scale fl(d sc) for channel j (hd: the group's head).
    float scale(const std::uint8_t* hd, std::int64_t g, std::int64_t j) const { return detail::signed_group_scale<packed_k6>(hd, g, j); }
};

// Packs n rows of k 6-bit codes (rows ldc apart) with, per channel, fp16 d per 256 and signed
// scales per 16. k is a multiple of 256.
inline packed_k6 pack_k6(const std::uint8_t* codes, std::int64_t ldc, std::int64_t n, std::int64_t k, const fp16* d, const std::int8_t* sc) {
    detail::check_super_blocks("pack_k6", n, k, ldc, codes != nullptr && d != nullptr && sc != nullptr);
    packed_k6 p = detail::zeroed<packed_k6>(n, k);
    for (std::int64_t c = 0; c < n; ++c) {
        const std::int64_t panel = c / panel_cols, j = c % panel_cols;
        detail::store_super_factors(p, "pack_k6", "d", c, d, packed_k6::d_offset);
        for (std::int64_t g = 0; g < p.groups; ++g) {
            std::uint8_t* rec = p.record(panel, g);
            p.head(panel, g)[g % packed_k6::groups_per_super * panel_cols + j] = static_cast<std::uint8_t>(sc[c * p.groups + g]);
            for (std::int64_t kk = 0; kk < packed_k6::group; ++kk) {
                const std::uint8_t code = codes[c * ldc + g * packed_k6::group + kk];
                if (code > 63) lowbit::detail::fail("pack_k6: code ", int{code}, " of channel ", c, ", column ", g * packed_k6::group + kk, " is not 0..63");
                std::uint8_t& low = rec[(kk / 8) * 64 + 4 * j + kk % 4];
                low = static_cast<std::uint8_t>(low | ((code & 15) << ((kk % 8) < 4 ? 0 : 4)));
                std::uint8_t& top = rec[128 + 4 * j + kk % 4];
                top = static_cast<std::uint8_t>(top | ((code >> 4) << (2 * (kk / 4))));
            }
        }
    }
    return p;
}

// w[n][k] = fl(fl(d sc) (c - 32)) (rows ldw floats apart): ggml's Q6_K dequantization.
inline void dequantize_weights(const packed_k6& p, float* w, std::int64_t ldw) {
    detail::dequantize_super_blocks(p, w, ldw, [&](const std::uint8_t* hd, const std::uint8_t* rec, std::int64_t g, std::int64_t j, std::int64_t kk) {
        return p.scale(hd, g, j) * static_cast<float>(p.code(rec, j, kk) - packed_k6::zero_point);
    });
}

}  // namespace lowbit::gemm
