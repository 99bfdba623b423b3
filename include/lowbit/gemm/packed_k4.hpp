// lowbit/gemm/packed_k4.hpp - 4-bit (or 5-bit) weights with a scale and a minimum per group of 32
// built from per-super-block fp16 factors: GGUF Q4_K's (Q5_K's) structure, packed for the grouped
// kernels.
//
// Weight n, k of group g (32 wide) in super-block S (256 wide) is
//     w = fl(fl(d[n][S] sc[n][g]) c) - fl(dmin[n][S] m[n][g]),
// codes c 0..15 (0..31), integer sub-scales sc and sub-minima m (0..63), fp16 d and dmin: exactly
// how ggml dequantizes Q4_K and Q5_K, so a repacked tensor (gguf_weights.hpp) keeps every bit.
// Panels of 16 output channels; inside a panel, per super-block: a head of 16 d then 16 dmin
// (fp16, 64 bytes), then 8 group records of the packed_s4 code chunks (256 bytes), for 5-bit codes
// a chunk of their fifth bits (bit h of byte 4 j + b for k = 4 h + b, 64 bytes), then 16 sc and
// 16 m bytes. Per 16 x 256 weights 2368 bytes, 4.625 bits per weight (Q4_K: 4.5), or 2880, 5.625
// (Q5_K: 5.5).
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>
#include <vector>

#include <xsimd/xsimd.hpp>

#include "lowbit/core/error.hpp"
#include "lowbit/core/half.hpp"
#include "lowbit/core/unfused.hpp"
#include "lowbit/gemm/packed_s8.hpp"

namespace lowbit::gemm {

namespace detail {

// The arguments every packing of GGUF k-quant structure checks: n x k codes in rows ldc apart,
// k in whole super-blocks of 256, no input null.
inline void check_super_blocks(const char* op, std::int64_t n, std::int64_t k, std::int64_t ldc, bool inputs_present) {
    if (n < 1 || k < 1) lowbit::detail::fail(op, ": the weights are ", n, " x ", k, "; both must be at least 1");
    if (k % 256 != 0) lowbit::detail::fail(op, ": k = ", k, " is not a multiple of 256");
    if (k > max_k) lowbit::detail::fail(op, ": k = ", k, " exceeds ", max_k);
    if (n > max_weights / k) lowbit::detail::fail(op, ": ", n, " x ", k, " weights exceed ", max_weights);
    if (ldc < k) lowbit::detail::fail(op, ": row stride ", ldc, " is less than k = ", k);
    if (!inputs_present) lowbit::detail::fail(op, ": an input is null");
}

// What the packings of GGUF k-quant structure share: panels of 16 channels, each a run of
// super-blocks of a head (Derived::head_bytes) then group records (Derived::record_bytes each),
// with the low four bits of the codes in the packed_s4 chunk layout at the start of a record.
template <class Derived>
struct super_block_panels {
    std::int64_t n = 0, k = 0, groups = 0, panels = 0;
    std::vector<std::uint8_t, xsimd::aligned_allocator<std::uint8_t, 64>> data;

    std::int64_t panel_bytes() const { return groups / Derived::groups_per_super * Derived::super_bytes; }
    const std::uint8_t* head(std::int64_t panel, std::int64_t g) const { return data.data() + offset(panel, g); }
    const std::uint8_t* record(std::int64_t panel, std::int64_t g) const { return head(panel, g) + record_offset(g); }
    std::uint8_t* head(std::int64_t panel, std::int64_t g) { return data.data() + offset(panel, g); }
    std::uint8_t* record(std::int64_t panel, std::int64_t g) { return head(panel, g) + record_offset(g); }
    std::size_t bytes() const { return data.size(); }
    // The low four bits of channel j's code for k = kk of a record.
    static int nibble(const std::uint8_t* rec, std::int64_t j, std::int64_t kk) { return (rec[(kk / 8) * 64 + 4 * j + kk % 4] >> ((kk % 8) < 4 ? 0 : 4)) & 15; }
    // ... or its low two bits, for a record of one 64-byte chunk of 16 k: bits 2 h, 2 h + 1 of
    // byte 4 j + b for k = 4 h + b.
    static int two_bits(const std::uint8_t* rec, std::int64_t j, std::int64_t kk) { return (rec[4 * j + kk % 4] >> (2 * (kk / 4))) & 3; }

private:
    std::int64_t offset(std::int64_t panel, std::int64_t g) const { return panel * panel_bytes() + g / Derived::groups_per_super * Derived::super_bytes; }
    static std::int64_t record_offset(std::int64_t g) { return Derived::head_bytes + g % Derived::groups_per_super * Derived::record_bytes; }
};

// A packing of n x k weights with every byte zero, ready to fill.
template <class Packed>
Packed zeroed(std::int64_t n, std::int64_t k) {
    Packed p;
    p.n = n;
    p.k = k;
    p.groups = k / Packed::group;
    p.panels = (n + panel_cols - 1) / panel_cols;
    p.data.assign(static_cast<std::size_t>(p.panels * p.panel_bytes()), 0);
    return p;
}

// The fp16 at p + 2 i.
inline float half_at(const std::uint8_t* p, std::int64_t i) {
    fp16 h;
    std::memcpy(&h, p + 2 * i, 2);
    return h.to_float();
}

// Stores channel c's fp16 factor per super-block (`what`: d or dmin, factors[c * supers + s], each
// finite) at `offset` in the heads.
template <class Packed>
void store_super_factors(Packed& p, const char* op, const char* what, std::int64_t c, const fp16* factors, std::int64_t offset) {
    const std::int64_t supers = p.k / Packed::super_group, panel = c / panel_cols, j = c % panel_cols;
    for (std::int64_t s = 0; s < supers; ++s) {
        const fp16 f = factors[c * supers + s];
        if (!std::isfinite(f.to_float())) lowbit::detail::fail(op, ": ", what, " of channel ", c, ", super-block ", s, " is not finite");
        std::memcpy(p.head(panel, s * Packed::groups_per_super) + offset + 2 * j, &f, 2);
    }
}

// Group g's scale fl(d sc) for channel j from a head of 16 groups x 16 int8 sc and, at
// Packed::d_offset, 16 fp16 d (Q3_K's and Q6_K's structure).
template <class Packed>
float signed_group_scale(const std::uint8_t* hd, std::int64_t g, std::int64_t j) {
    return unfused(half_at(hd + Packed::d_offset, j) * static_cast<float>(static_cast<std::int8_t>(hd[g % Packed::groups_per_super * panel_cols + j])));
}

// w[c][k] = weight(head, record, g, j, kk) for every weight of a k-quant packing (rows ldw apart).
template <class Packed, class Weight>
void dequantize_super_blocks(const Packed& p, float* w, std::int64_t ldw, Weight&& weight) {
    check_weights_output(p.n >= 1 && !p.data.empty(), w, ldw, p.k);
    for (std::int64_t c = 0; c < p.n; ++c)
        for (std::int64_t g = 0; g < p.groups; ++g) {
            const std::int64_t panel = c / panel_cols, j = c % panel_cols;
            const std::uint8_t *hd = p.head(panel, g), *rec = p.record(panel, g);
            for (std::int64_t kk = 0; kk < Packed::group; ++kk) w[c * ldw + g * Packed::group + kk] = weight(hd, rec, g, j, kk);
        }
}

}  // namespace detail

template <int Bits>
struct basic_packed_k4 : detail::super_block_panels<basic_packed_k4<Bits>> {
    static_assert(Bits == 4 || Bits == 5, "Q4_K / Q5_K structure: 4- or 5-bit codes");
    static constexpr int bits = Bits;
    static constexpr std::int64_t group = 32, super_group = 256, groups_per_super = 8;
    static constexpr std::int64_t head_bytes = 4 * panel_cols;                // 16 d + 16 dmin, fp16
    static constexpr std::int64_t terms_offset = Bits == 5 ? 320 : 256;     // of the 16 sc, then 16 m, in a record
    static constexpr std::int64_t record_bytes = terms_offset + 2 * panel_cols;
    static constexpr std::int64_t super_bytes = head_bytes + groups_per_super * record_bytes;

    std::int64_t code_bytes() const { return 256; }  // the nibble chunks; for 5-bit codes the fifth bits follow
    int code(const std::uint8_t* rec, std::int64_t j, std::int64_t kk) const {
        const int low = this->nibble(rec, j, kk);
        if constexpr (Bits == 5) return low | (((rec[256 + 4 * j + kk % 4] >> (kk / 4)) & 1) << 4);
        else return low;
    }
    // The group's scale fl(d sc) and minimum fl(dmin m) of channel j (head and record of one group).
    float scale(const std::uint8_t* hd, const std::uint8_t* rec, std::int64_t j) const {
        return unfused(detail::half_at(hd, j) * static_cast<float>(rec[terms_offset + j]));
    }
    float min(const std::uint8_t* hd, const std::uint8_t* rec, std::int64_t j) const {
        return unfused(detail::half_at(hd, panel_cols + j) * static_cast<float>(rec[terms_offset + panel_cols + j]));
    }
};

using packed_k4 = basic_packed_k4<4>;
using packed_k5 = basic_packed_k4<5>;

template <class T>
inline constexpr bool is_packed_k4 = false;
template <int Bits>
inline constexpr bool is_packed_k4<basic_packed_k4<Bits>> = true;

// Packs n rows of k Bits-bit codes (rows ldc apart) with, per channel, fp16 d and dmin per 256 and
// sub-scales sc and sub-minima m (0..63) per 32. k is a multiple of 256.
template <int Bits>
basic_packed_k4<Bits> pack_k4(const std::uint8_t* codes, std::int64_t ldc, std::int64_t n, std::int64_t k, const fp16* d, const fp16* dmin,
                              const std::uint8_t* sc, const std::uint8_t* m) {
    using packed = basic_packed_k4<Bits>;
    detail::check_super_blocks("pack_k4", n, k, ldc, codes != nullptr && d != nullptr && dmin != nullptr && sc != nullptr && m != nullptr);
    packed p = detail::zeroed<packed>(n, k);
    for (std::int64_t c = 0; c < n; ++c) {
        const std::int64_t panel = c / panel_cols, j = c % panel_cols;
        detail::store_super_factors(p, "pack_k4", "d", c, d, 0);
        detail::store_super_factors(p, "pack_k4", "dmin", c, dmin, 2 * panel_cols);
        for (std::int64_t g = 0; g < p.groups; ++g) {
            std::uint8_t* rec = p.record(panel, g);
            const std::uint8_t s = sc[c * p.groups + g], mn = m[c * p.groups + g];
            if (s > 63 || mn > 63) lowbit::detail::fail("pack_k4: sub-scale or sub-minimum of channel ", c, ", group ", g, " is not 0..63");
            rec[packed::terms_offset + j] = s;
            rec[packed::terms_offset + panel_cols + j] = mn;
            for (std::int64_t kk = 0; kk < packed::group; ++kk) {
                const std::uint8_t code = codes[c * ldc + g * packed::group + kk];
                if (code >= 1 << Bits)
                    lowbit::detail::fail("pack_k4: code ", int{code}, " of channel ", c, ", column ", g * packed::group + kk, " is not 0..", (1 << Bits) - 1);
                std::uint8_t& byte = rec[(kk / 8) * 64 + 4 * j + kk % 4];
                byte = static_cast<std::uint8_t>(byte | ((code & 15) << ((kk % 8) < 4 ? 0 : 4)));
                if constexpr (Bits == 5) rec[256 + 4 * j + kk % 4] = static_cast<std::uint8_t>(rec[256 + 4 * j + kk % 4] | ((code >> 4) << (kk / 4)));
            }
        }
    }
    return p;
}

// w[n][k] = fl(fl(d sc) c) - fl(dmin m) (rows ldw floats apart): ggml's Q4_K / Q5_K dequantization.
template <int Bits>
void dequantize_weights(const basic_packed_k4<Bits>& p, float* w, std::int64_t ldw) {
    detail::dequantize_super_blocks(p, w, ldw, [&](const std::uint8_t* hd, const std::uint8_t* rec, std::int64_t, std::int64_t j, std::int64_t kk) {
        return unfused(p.scale(hd, rec, j) * static_cast<float>(p.code(rec, j, kk))) - p.min(hd, rec, j);
    });
}

}  // namespace lowbit::gemm
