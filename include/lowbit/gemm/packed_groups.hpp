// lowbit/gemm/packed_groups.hpp - 4-bit or 8-bit weights in groups along K, packed once for the
// grouped kernels (W4A8, W8A8 per group, weight-only W4).
//
// Weight n, k of group g = k / G is  w = s[n][g] (c[n][k] - z[n][g]),  unsigned codes c of B bits
// (B = 4 or 8), one scale s per group (f32, or f16 to save bytes), and an integer zero point z per
// group (affine), or z = 2^(B-1) for every group (symmetric: signed codes -8..7 or -128..127 are
// c - z). G is 32, 64 or 128 and divides K. packed_s4 and packed_s8g name the two widths.
//
// Panels of 16 output channels; inside a panel, one record per group, in K order:
//     chunks of 64 bytes, each one VPDPBUSD operand per 4 k, byte 4 j + b for channel j:
//       B = 4: G / 8 chunks; byte 4 j + b of chunk i holds the codes of k = 8 i + b (low nibble)
//              and k = 8 i + 4 + b (high nibble), b = 0..3;
//       B = 8: G / 4 chunks; byte 4 j + b of chunk i is the code of k = 4 i + b;
//     16 scales (f32 or f16), then, if affine, 16 zero points (one byte each).
// A panel's records sit back to back, so a GEMV streams each panel front to back; channels past N
// have zero codes, scales and zero points.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>
#include <type_traits>
#include <vector>

#include <xsimd/xsimd.hpp>

#include "lowbit/core/error.hpp"
#include "lowbit/core/half.hpp"
#include "lowbit/gemm/packed_s8.hpp"

namespace lowbit::gemm {

template <int Bits, class Scale = float>
struct packed_groups {
    static_assert(Bits == 4 || Bits == 8, "grouped weights have 4 or 8 bits");
    static_assert(std::is_same_v<Scale, float> || std::is_same_v<Scale, fp16>, "group scales are float or lowbit::fp16");
    using scale_type = Scale;
    static constexpr int bits = Bits;
    static constexpr std::int64_t chunk_k = Bits == 4 ? 8 : 4;    // k per 64-byte chunk
    static constexpr int max_code = (1 << Bits) - 1;
    static constexpr int symmetric_zero_point = 1 << (Bits - 1);
    std::int64_t n = 0, k = 0, group = 0, groups = 0, panels = 0;
    bool affine = false;
    std::int64_t record_bytes = 0;  // one group of one panel
    std::vector<std::uint8_t, xsimd::aligned_allocator<std::uint8_t, 64>> data;

    const std::uint8_t* record(std::int64_t panel, std::int64_t g) const { return data.data() + (panel * groups + g) * record_bytes; }
    std::int64_t code_bytes() const { return group / chunk_k * 64; }  // of a record; its scales follow
    std::int64_t panel_bytes() const { return groups * record_bytes; }

    // Channel j's code for k = kk of a record, its scale, and its zero point.
    int code(const std::uint8_t* rec, std::int64_t j, std::int64_t kk) const {
        if constexpr (Bits == 4) return (rec[(kk / 8) * 64 + 4 * j + kk % 4] >> ((kk % 8) < 4 ? 0 : 4)) & 15;
        else return rec[(kk / 4) * 64 + 4 * j + kk % 4];
    }
    float scale(const std::uint8_t* rec, std::int64_t j) const {
        Scale s;
        std::memcpy(&s, rec + code_bytes() + j * static_cast<std::int64_t>(sizeof(Scale)), sizeof s);
        if constexpr (std::is_same_v<Scale, float>) return s;
        else return s.to_float();
    }
    int zero_point(const std::uint8_t* rec, std::int64_t j) const {
        return affine ? rec[code_bytes() + panel_cols * static_cast<std::int64_t>(sizeof(Scale)) + j] : symmetric_zero_point;
    }
    std::size_t bytes() const { return data.size(); }
};

template <class Scale = float>
using packed_s4 = packed_groups<4, Scale>;
template <class Scale = float>
using packed_s8g = packed_groups<8, Scale>;

inline constexpr bool valid_weight_group(std::int64_t g) { return g == 32 || g == 64 || g == 128; }

// Packs codes (n rows of k bytes, each 0 .. 2^Bits - 1, rows ldc apart) with scales (n x k / group,
// finite) and zero points (n x k / group, codes too; null for symmetric weights, z = 2^(Bits-1)).
template <int Bits, class Scale>
packed_groups<Bits, Scale> pack_groups(const std::uint8_t* codes, std::int64_t ldc, std::int64_t n, std::int64_t k, std::int64_t group,
                                       const Scale* scales, const std::uint8_t* zero_points = nullptr) {
    using packed = packed_groups<Bits, Scale>;
    const char* op = Bits == 4 ? "pack_s4" : "pack_s8g";
    if (n < 1 || k < 1) lowbit::detail::fail(op, ": the weights are ", n, " x ", k, "; both must be at least 1");
    if (!valid_weight_group(group)) lowbit::detail::fail(op, ": group size ", group, " is not 32, 64 or 128");
    if (k % group != 0) lowbit::detail::fail(op, ": group size ", group, " does not divide k = ", k);
    if (k > max_k) lowbit::detail::fail(op, ": k = ", k, " exceeds ", max_k);
    if (ldc < k) lowbit::detail::fail(op, ": row stride ", ldc, " is less than k = ", k);
    if (codes == nullptr || scales == nullptr) lowbit::detail::fail(op, ": the codes or the scales are null");
    packed p;
    p.n = n;
    p.k = k;
    p.group = group;
    p.groups = k / group;
    p.panels = (n + panel_cols - 1) / panel_cols;
    p.affine = zero_points != nullptr;
    const std::int64_t code_bytes = group / packed::chunk_k * 64;
    p.record_bytes = code_bytes + panel_cols * static_cast<std::int64_t>(sizeof(Scale)) + (p.affine ? panel_cols : 0);
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
                const int shift = Bits == 4 && (kk % 8) >= 4 ? 4 : 0;
                rec[i * 64 + 4 * j + b] = static_cast<std::uint8_t>(rec[i * 64 + 4 * j + b] | (code << shift));
            }
            const Scale s = scales[c * p.groups + g];
            float sf;
            if constexpr (std::is_same_v<Scale, float>) sf = s;
            else sf = s.to_float();
            if (!std::isfinite(sf)) lowbit::detail::fail(op, ": scale ", sf, " of channel ", c, ", group ", g, " is not finite");
            std::memcpy(rec + code_bytes + j * static_cast<std::int64_t>(sizeof(Scale)), &s, sizeof(Scale));
            if (p.affine) {
                const std::uint8_t z = zero_points[c * p.groups + g];
                if (z > packed::max_code) lowbit::detail::fail(op, ": zero point ", int{z}, " of channel ", c, ", group ", g, " is not 0..", packed::max_code);
                rec[code_bytes + panel_cols * static_cast<std::int64_t>(sizeof(Scale)) + j] = z;
            }
        }
    }
    return p;
}

// The weights the kernels multiply by, w[n][k] = float(c - z) * s (rows ldw floats apart): what
// the caller packed, or what a repacked GGUF tensor holds (gguf_weights.hpp).
template <int Bits, class Scale>
void dequantize_weights(const packed_groups<Bits, Scale>& p, float* w, std::int64_t ldw) {
    detail::check_weights_output(p.n >= 1 && !p.data.empty(), w, ldw, p.k);
    for (std::int64_t c = 0; c < p.n; ++c)
        for (std::int64_t g = 0; g < p.groups; ++g) {
            const std::uint8_t* rec = p.record(c / panel_cols, g);
            const std::int64_t j = c % panel_cols;
            const float s = p.scale(rec, j);
            const int z = p.zero_point(rec, j);
            for (std::int64_t kk = 0; kk < p.group; ++kk) w[c * ldw + g * p.group + kk] = static_cast<float>(p.code(rec, j, kk) - z) * s;
        }
}

// 4-bit codes 0..15 (zero points null: symmetric, z = 8).
template <class Scale>
packed_s4<Scale> pack_s4(const std::uint8_t* codes, std::int64_t ldc, std::int64_t n, std::int64_t k, std::int64_t group, const Scale* scales,
                         const std::uint8_t* zero_points = nullptr) {
    return pack_groups<4>(codes, ldc, n, k, group, scales, zero_points);
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
