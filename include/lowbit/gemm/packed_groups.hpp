// lowbit/gemm/packed_groups.hpp - 4-, 5- or 8-bit weights in groups along K, packed once for the
// grouped kernels (W4A8, W8A8 per group, weight-only W4, and the GGUF 32-blocks).
//
// Weight n, k of group g = k / G is one of
//     w = s[n][g] (c[n][k] - z)           symmetric: z = 2^(B-1) for every group (signed codes
//                                         -8..7, -16..15 or -128..127 are c - z);
//     w = s[n][g] (c[n][k] - z[n][g])     affine: an integer zero point per group;
//     w = fl(s[n][g] c[n][k]) + m[n][g]   minima: a float minimum per group (GGUF Q4_1 / Q5_1),
// with unsigned codes c of B bits (B = 4, 5 or 8) and one scale s per group (f32, or f16 to save
// bytes; minima for 4- and 5-bit codes only). G is 32, 64 or 128 and divides K (5-bit codes:
// G = 32). packed_s4, packed_s5 and
// packed_s8g name the widths. With a table of 16 int8 levels (Levels, e.g. GGUF IQ4_NL's), the
// 4-bit codes are indices and the weight is s (L[c] + 128 - 128): the kernels look the levels up
// and run them as 8-bit codes L[c] + 128 with z = 128.
//
// Panels of 16 output channels; inside a panel, one record per group, in K order:
//     chunks of 64 bytes, each one VPDPBUSD operand per 4 k, byte 4 j + b for channel j:
//       B = 4, 5: G / 8 chunks; byte 4 j + b of chunk i holds the low four bits of the codes of
//              k = 8 i + b (low nibble) and k = 8 i + 4 + b (high nibble), b = 0..3;
//       B = 5: then a chunk of the fifth bits: bit h of byte 4 j + b for k = 4 h + b;
//       B = 8: G / 4 chunks; byte 4 j + b of chunk i is the code of k = 4 i + b;
//     16 scales (f32 or f16), then, if affine, 16 zero points (one byte each), or, with minima,
//     16 minima (f32 or f16, as the scales).
// A panel's records sit back to back, so a GEMV streams each panel front to back; channels past N
// have zero codes, scales, zero points and minima.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>
#include <type_traits>
#include <vector>

#include <xsimd/xsimd.hpp>

#include "lowbit/core/error.hpp"
#include "lowbit/core/half.hpp"
#include "lowbit/core/unfused.hpp"
#include "lowbit/gemm/packed_s8.hpp"

namespace lowbit::gemm {

// Codes that are the integers they hold (the default), as opposed to indices into a table of
// levels: a Levels type has `static constexpr std::int8_t levels[16]`.
struct linear_codes {};
template <class Levels>
inline constexpr bool has_levels = !std::is_same_v<Levels, linear_codes>;

template <int Bits, class Scale = float, class Levels = linear_codes>
struct packed_groups {
    static_assert(Bits == 4 || Bits == 5 || Bits == 8, "grouped weights have 4, 5 or 8 bits");
    static_assert(std::is_same_v<Scale, float> || std::is_same_v<Scale, fp16>, "group scales are float or lowbit::fp16");
    static_assert(!has_levels<Levels> || Bits == 4, "a table of levels takes 4-bit indices");
    using scale_type = Scale;
    using levels_type = Levels;
    static constexpr int bits = Bits;
    static constexpr std::int64_t chunk_k = Bits == 8 ? 4 : 8;    // k per 64-byte chunk
    static constexpr int max_code = (1 << Bits) - 1;                // of a stored code (or index)
    static constexpr int symmetric_zero_point = has_levels<Levels> ? 128 : 1 << (Bits - 1);
    std::int64_t n = 0, k = 0, group = 0, groups = 0, panels = 0;
    bool affine = false;  // an integer zero point per group
    bool minima = false;  // a float minimum per group
    std::int64_t record_bytes = 0;  // one group of one panel
    std::vector<std::uint8_t, xsimd::aligned_allocator<std::uint8_t, 64>> data;

    const std::uint8_t* record(std::int64_t panel, std::int64_t g) const { return data.data() + (panel * groups + g) * record_bytes; }
    std::int64_t code_bytes() const { return group / chunk_k * 64; }  // the nibble or byte chunks of a record
    std::int64_t scales_offset() const { return code_bytes() + (Bits == 5 ? 64 : 0); }  // after the fifth bits
    std::int64_t panel_bytes() const { return groups * record_bytes; }

    // The level c stands for, as an unsigned code (L[c] + 128).
    static constexpr int level_code(int c) {
        if constexpr (has_levels<Levels>) return Levels::levels[c] + 128;
        else return c;
    }
    // Channel j's code for k = kk of a record (for levels: L[c] + 128), its scale, zero point and minimum.
    int code(const std::uint8_t* rec, std::int64_t j, std::int64_t kk) const {
        if constexpr (Bits == 8) return rec[(kk / 4) * 64 + 4 * j + kk % 4];
        const int low = (rec[(kk / 8) * 64 + 4 * j + kk % 4] >> ((kk % 8) < 4 ? 0 : 4)) & 15;
        if constexpr (Bits == 5) return low | (((rec[code_bytes() + 4 * j + kk % 4] >> (kk / 4)) & 1) << 4);
        return level_code(low);
    }
    float scale(const std::uint8_t* rec, std::int64_t j) const { return read(rec + scales_offset() + j * scale_size); }
    int zero_point(const std::uint8_t* rec, std::int64_t j) const { return affine ? rec[scales_offset() + panel_cols * scale_size + j] : symmetric_zero_point; }
    float minimum(const std::uint8_t* rec, std::int64_t j) const { return read(rec + scales_offset() + panel_cols * scale_size + j * scale_size); }
    std::size_t bytes() const { return data.size(); }

private:
    static constexpr std::int64_t scale_size = sizeof(Scale);
    static float read(const std::uint8_t* p) {
        Scale s;
        std::memcpy(&s, p, sizeof s);
        if constexpr (std::is_same_v<Scale, float>) return s;
        else return s.to_float();
    }
};

template <class Scale = float>
using packed_s4 = packed_groups<4, Scale>;
template <class Scale = float>
using packed_s5 = packed_groups<5, Scale>;
template <class Scale = float>
using packed_s8g = packed_groups<8, Scale>;

inline constexpr bool valid_weight_group(std::int64_t g) { return g == 32 || g == 64 || g == 128; }

// Packs codes (n rows of k bytes, each 0 .. 2^Bits - 1, rows ldc apart) with scales (n x k / group,
// finite) and either zero points (n x k / group codes), or minima (4- and 5-bit codes; n x k /
// group, finite), or neither (symmetric: z = 2^(Bits-1), or 128 with Levels, whose codes are
// indices into its table).
template <int Bits, class Levels = linear_codes, class Scale>
packed_groups<Bits, Scale, Levels> pack_groups(const std::uint8_t* codes, std::int64_t ldc, std::int64_t n, std::int64_t k, std::int64_t group,
                                               const Scale* scales, const std::uint8_t* zero_points = nullptr, const Scale* minima = nullptr) {
    using packed = packed_groups<Bits, Scale, Levels>;
    const char* op = Bits == 4 ? "pack_s4" : Bits == 5 ? "pack_s5" : "pack_s8g";
    if (n < 1 || k < 1) lowbit::detail::fail(op, ": the weights are ", n, " x ", k, "; both must be at least 1");
    if (!valid_weight_group(group)) lowbit::detail::fail(op, ": group size ", group, " is not 32, 64 or 128");
    if (Bits == 5 && group != 32) lowbit::detail::fail(op, ": group size ", group, " is not 32 (5-bit codes come in groups of 32)");
    if (k % group != 0) lowbit::detail::fail(op, ": group size ", group, " does not divide k = ", k);
    if (k > max_k) lowbit::detail::fail(op, ": k = ", k, " exceeds ", max_k);
    if (n > max_weights / k) lowbit::detail::fail(op, ": ", n, " x ", k, " weights exceed ", max_weights);
    if (ldc < k) lowbit::detail::fail(op, ": row stride ", ldc, " is less than k = ", k);
    if (codes == nullptr || scales == nullptr) lowbit::detail::fail(op, ": the codes or the scales are null");
    if (zero_points != nullptr && minima != nullptr) lowbit::detail::fail(op, ": zero points and minima are exclusive");
    if (has_levels<Levels> && (zero_points != nullptr || minima != nullptr)) lowbit::detail::fail(op, ": codes with levels take no zero points or minima");
    if (Bits == 8 && minima != nullptr) lowbit::detail::fail(op, ": minima are for 4- and 5-bit codes (GGUF Q4_1, Q5_1); 8-bit codes take zero points");
    const auto finite = [&](const char* what, Scale v, std::int64_t c, std::int64_t g) {
        float f;
        if constexpr (std::is_same_v<Scale, float>) f = v;
        else f = v.to_float();
        if (!std::isfinite(f)) lowbit::detail::fail(op, ": ", what, " ", f, " of channel ", c, ", group ", g, " is not finite");
    };
    packed p;
    p.n = n;
    p.k = k;
    p.group = group;
    p.groups = k / group;
    p.panels = (n + panel_cols - 1) / panel_cols;
    p.affine = zero_points != nullptr;
    p.minima = minima != nullptr;
    constexpr std::int64_t scale_size = sizeof(Scale);
    const std::int64_t code_bytes = p.code_bytes(), terms = p.scales_offset();
    p.record_bytes = terms + panel_cols * scale_size + (p.affine ? panel_cols : 0) + (p.minima ? panel_cols * scale_size : 0);
    p.data.assign(static_cast<std::size_t>(p.panels * p.groups * p.record_bytes), 0);
    for (std::int64_t c = 0; c < n; ++c) {
        const std::int64_t panel = c / panel_cols, j = c % panel_cols;
        for (std::int64_t g = 0; g < p.groups; ++g) {
            std::uint8_t* rec = p.data.data() + (panel * p.groups + g) * p.record_bytes;
            for (std::int64_t kk = 0; kk < group; ++kk) {
                const std::uint8_t code = codes[c * ldc + g * group + kk];
                if (code > packed::max_code)
                    lowbit::detail::fail(op, ": code ", int{code}, " of channel ", c, ", column ", g * group + kk, " is not 0..", packed::max_code);
                const std::int64_t i = kk / packed::chunk_k, b = kk % 4;
                const int shift = Bits != 8 && (kk % 8) >= 4 ? 4 : 0;
                const int low = Bits == 8 ? code : code & 15;
                rec[i * 64 + 4 * j + b] = static_cast<std::uint8_t>(rec[i * 64 + 4 * j + b] | low << shift);
                if constexpr (Bits == 5) rec[code_bytes + 4 * j + b] = static_cast<std::uint8_t>(rec[code_bytes + 4 * j + b] | (code >> 4) << (kk / 4));
            }
            finite("scale", scales[c * p.groups + g], c, g);
            std::memcpy(rec + terms + j * scale_size, &scales[c * p.groups + g], sizeof(Scale));
            if (p.affine) {
                const std::uint8_t z = zero_points[c * p.groups + g];
                if (z > packed::max_code) lowbit::detail::fail(op, ": zero point ", int{z}, " of channel ", c, ", group ", g, " is not 0..", packed::max_code);
                rec[terms + panel_cols * scale_size + j] = z;
            }
            if (p.minima) {
                finite("minimum", minima[c * p.groups + g], c, g);
                std::memcpy(rec + terms + panel_cols * scale_size + j * scale_size, &minima[c * p.groups + g], sizeof(Scale));
            }
        }
    }
    return p;
}

// The weights the kernels multiply by (rows ldw floats apart): w = float(c - z) * s, or with minima
// fl(float(c) * s) + m: what the caller packed, or what a repacked GGUF tensor holds
// (gguf_weights.hpp).
template <int Bits, class Scale, class Levels>
void dequantize_weights(const packed_groups<Bits, Scale, Levels>& p, float* w, std::int64_t ldw) {
    detail::check_weights_output(p.n >= 1 && !p.data.empty(), w, ldw, p.k);
    for (std::int64_t c = 0; c < p.n; ++c)
        for (std::int64_t g = 0; g < p.groups; ++g) {
            const std::uint8_t* rec = p.record(c / panel_cols, g);
            const std::int64_t j = c % panel_cols;
            const float s = p.scale(rec, j);
            const int z = p.minima ? 0 : p.zero_point(rec, j);
            const float m = p.minima ? p.minimum(rec, j) : 0.f;
            for (std::int64_t kk = 0; kk < p.group; ++kk) {
                float& out = w[c * ldw + g * p.group + kk];
                out = static_cast<float>(p.code(rec, j, kk) - z) * s;
                if (p.minima) out = unfused(out) + m;
            }
        }
}

// 4-bit codes 0..15 (zero points and minima null: symmetric, z = 8).
template <class Scale>
packed_s4<Scale> pack_s4(const std::uint8_t* codes, std::int64_t ldc, std::int64_t n, std::int64_t k, std::int64_t group, const Scale* scales,
                         const std::uint8_t* zero_points = nullptr, const Scale* minima = nullptr) {
    return pack_groups<4>(codes, ldc, n, k, group, scales, zero_points, minima);
}

// 5-bit codes 0..31 in groups of 32 (zero points and minima null: symmetric, z = 16).
template <class Scale>
packed_s5<Scale> pack_s5(const std::uint8_t* codes, std::int64_t ldc, std::int64_t n, std::int64_t k, std::int64_t group, const Scale* scales,
                         const std::uint8_t* zero_points = nullptr, const Scale* minima = nullptr) {
    return pack_groups<5>(codes, ldc, n, k, group, scales, zero_points, minima);
}

// Signed int8 weights -128..127 with a scale per group (symmetric: stored as codes w + 128, z = 128).
template <class Scale>
packed_s8g<Scale> pack_s8g(const std::int8_t* w, std::int64_t ldw, std::int64_t n, std::int64_t k, std::int64_t group, const Scale* scales) {
    if (w == nullptr) lowbit::detail::fail("pack_s8g: the weights are null");
    if (n < 1 || k < 1 || ldw < k) return pack_groups<8>(reinterpret_cast<const std::uint8_t*>(w), ldw, n, k, group, scales);  // reports the shape
    std::vector<std::uint8_t> codes(static_cast<std::size_t>(n * k));
    for (std::int64_t r = 0; r < n; ++r)
        for (std::int64_t i = 0; i < k; ++i) codes[static_cast<std::size_t>(r * k + i)] = static_cast<std::uint8_t>(w[r * ldw + i] + 128);
    return pack_groups<8>(codes.data(), k, n, k, group, scales);
}

}  // namespace lowbit::gemm
