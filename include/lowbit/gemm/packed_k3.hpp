// lowbit/gemm/packed_k3.hpp - 3-bit weights with a signed 6-bit scale per group of 16 and an fp16
// factor per 256: GGUF Q3_K's structure, packed for the grouped kernels.
//
// Weight n, k of group g (16 wide) in super-block S (256 wide) is
//     w = fl(fl(d[n][S] sc[n][g]) (c - 4)),
// codes c 0..7 (the file's two low bits, and its "high" bit as bit 2), sc -32..31, fp16 d: exactly
// how ggml dequantizes Q3_K, so a repacked tensor (gguf_weights.hpp) keeps every bit, in 3.625 bits
// per weight (the file: 3.4375).
// Panels of 16 output channels; inside a panel, per super-block: a head of the 16 groups' 16 sc
// (int8, 256 bytes), the 16 channels' d (fp16, 32 bytes), 32 bytes of padding and 8 chunks of the
// codes' bit 2 (chunk i for groups 2 i and 2 i + 1: bit 4 (g % 2) + h of byte 4 j + b for
// k = 4 h + b), then 16 group records of one 64-byte chunk with the two low bits (bits 2 h, 2 h + 1
// of byte 4 j + b for k = 4 h + b). Every chunk is cache-line aligned.
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

struct packed_k3 : detail::super_block_panels<packed_k3> {
    static constexpr int bits = 3;
    static constexpr std::int64_t group = 16, super_group = 256, groups_per_super = 16;
    static constexpr int zero_point = 4;
    static constexpr std::int64_t d_offset = 256, high_offset = 320;  // in the head
    static constexpr std::int64_t head_bytes = high_offset + 8 * 64;
    static constexpr std::int64_t record_bytes = 64;
    static constexpr std::int64_t super_bytes = head_bytes + groups_per_super * record_bytes;

    std::int64_t code_bytes() const { return 64; }
    // The chunk of bit 2 of group g's codes (hd: the group's head), and the bit's position there.
    template <class Byte>
    static Byte* high_chunk(Byte* hd, std::int64_t g) { return hd + high_offset + g % groups_per_super / 2 * 64; }
    static int high_shift(std::int64_t g) { return static_cast<int>(4 * (g % 2)); }
    int code(const std::uint8_t* hd, const std::uint8_t* rec, std::int64_t g, std::int64_t j, std::int64_t kk) const {
        return two_bits(rec, j, kk) | ((high_chunk(hd, g)[4 * j + kk % 4] >> (high_shift(g) + kk / 4)) & 1) << 2;
    }
    // Group g's scale fl(d sc) for channel j.
    float scale(const std::uint8_t* hd, std::int64_t g, std::int64_t j) const { return detail::signed_group_scale<packed_k3>(hd, g, j); }
};

// Packs n rows of k 3-bit codes (rows ldc apart) with, per channel, fp16 d per 256 and signed
// scales -32..31 per 16. k is a multiple of 256.
inline packed_k3 pack_k3(const std::uint8_t* codes, std::int64_t ldc, std::int64_t n, std::int64_t k, const fp16* d, const std::int8_t* sc) {
    detail::check_super_blocks("pack_k3", n, k, ldc, codes != nullptr && d != nullptr && sc != nullptr);
    packed_k3 p = detail::zeroed<packed_k3>(n, k);
    for (std::int64_t c = 0; c < n; ++c) {
        const std::int64_t panel = c / panel_cols, j = c % panel_cols;
        detail::store_super_factors(p, "pack_k3", "d", c, d, packed_k3::d_offset);
        for (std::int64_t g = 0; g < p.groups; ++g) {
            std::uint8_t* hd = p.head(panel, g);
            const std::int8_t scale = sc[c * p.groups + g];
            if (scale < -32 || scale > 31) lowbit::detail::fail("pack_k3: scale ", int{scale}, " of channel ", c, ", group ", g, " is not -32..31");
            hd[g % packed_k3::groups_per_super * panel_cols + j] = static_cast<std::uint8_t>(scale);
            std::uint8_t* rec = p.record(panel, g);
            std::uint8_t* high = packed_k3::high_chunk(hd, g);
            for (std::int64_t kk = 0; kk < packed_k3::group; ++kk) {
                const std::uint8_t code = codes[c * ldc + g * packed_k3::group + kk];
                if (code > 7) lowbit::detail::fail("pack_k3: code ", int{code}, " of channel ", c, ", column ", g * packed_k3::group + kk, " is not 0..7");
                rec[4 * j + kk % 4] = static_cast<std::uint8_t>(rec[4 * j + kk % 4] | (code & 3) << (2 * (kk / 4)));
                high[4 * j + kk % 4] = static_cast<std::uint8_t>(high[4 * j + kk % 4] | (code >> 2) << (packed_k3::high_shift(g) + kk / 4));
            }
        }
    }
    return p;
}

// w[n][k] = fl(fl(d sc) (c - 4)) (rows ldw floats apart): ggml's Q3_K dequantization.
inline void dequantize_weights(const packed_k3& p, float* w, std::int64_t ldw) {
    detail::dequantize_super_blocks(p, w, ldw, [&](const std::uint8_t* hd, const std::uint8_t* rec, std::int64_t g, std::int64_t j, std::int64_t kk) {
        return p.scale(hd, g, j) * static_cast<float>(p.code(hd, rec, g, j, kk) - packed_k3::zero_point);
    });
}

}  // namespace lowbit::gemm
