// lowbit/gemm/packed_s4.hpp - 4-bit weights in groups along K, packed once for the W4A8 kernels.
//
// Weight n, k of group g = k / G is  w = s[n][g] (c[n][k] - z[n][g]),  codes c in 0..15, one
// scale s per group (f32, or f16 to save bytes), and an integer zero point z in 0..15 per group
// (affine), or z = 8 for every group (symmetric: signed codes -8..7 are c - 8). G is 32, 64 or 128
// and divides K.
//
// Panels of 16 output channels; inside a panel, one record per group, in K order:
//     G / 8 chunks of 64 bytes: byte 4 j + b of chunk i holds channel j's codes for
//         k = 8 i + b (low nibble) and k = 8 i + 4 + b (high nibble), b = 0..3,
//     so the low nibbles of a chunk are one VPDPBUSD operand (4 k per channel), the high ones the next;
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

template <class Scale = float>
struct packed_s4 {
    static_assert(std::is_same_v<Scale, float> || std::is_same_v<Scale, fp16>, "W4 scales are float or lowbit::fp16");
    using scale_type = Scale;
    std::int64_t n = 0, k = 0, group = 0, groups = 0, panels = 0;
    bool affine = false;
    std::int64_t record_bytes = 0;  // one group of one panel
    std::vector<std::uint8_t, xsimd::aligned_allocator<std::uint8_t, 64>> data;

    const std::uint8_t* record(std::int64_t panel, std::int64_t g) const { return data.data() + (panel * groups + g) * record_bytes; }
    std::size_t bytes() const { return data.size(); }
};

inline constexpr bool valid_w4_group(std::int64_t g) { return g == 32 || g == 64 || g == 128; }

// Packs codes (n rows of k bytes, each 0..15, rows ldc apart) with scales (n x k / group, finite)
// and zero points (n x k / group, each 0..15; null for symmetric weights, z = 8).
template <class Scale>
packed_s4<Scale> pack_s4(const std::uint8_t* codes, std::int64_t ldc, std::int64_t n, std::int64_t k, std::int64_t group, const Scale* scales,
                         const std::uint8_t* zero_points = nullptr) {
    if (n < 1 || k < 1) lowbit::detail::fail("pack_s4: the weights are ", n, " x ", k, "; both must be at least 1");
    if (!valid_w4_group(group)) lowbit::detail::fail("pack_s4: group size ", group, " is not 32, 64 or 128");
    if (k % group != 0) lowbit::detail::fail("pack_s4: group size ", group, " does not divide k = ", k);
    if (k > max_k) lowbit::detail::fail("pack_s4: k = ", k, " exceeds ", max_k);
    if (ldc < k) lowbit::detail::fail("pack_s4: row stride ", ldc, " is less than k = ", k);
    if (codes == nullptr || scales == nullptr) lowbit::detail::fail("pack_s4: the codes or the scales are null");
    packed_s4<Scale> p;
    p.n = n;
    p.k = k;
    p.group = group;
    p.groups = k / group;
    p.panels = (n + panel_cols - 1) / panel_cols;
    p.affine = zero_points != nullptr;
    p.record_bytes = 8 * group + panel_cols * static_cast<std::int64_t>(sizeof(Scale)) + (p.affine ? panel_cols : 0);
    p.data.assign(static_cast<std::size_t>(p.panels * p.groups * p.record_bytes), 0);
    for (std::int64_t c = 0; c < n; ++c) {
        const std::int64_t panel = c / panel_cols, j = c % panel_cols;
        for (std::int64_t g = 0; g < p.groups; ++g) {
            std::uint8_t* rec = p.data.data() + (panel * p.groups + g) * p.record_bytes;
            for (std::int64_t kk = 0; kk < group; ++kk) {
                const std::uint8_t code = codes[c * ldc + g * group + kk];
                if (code > 15) lowbit::detail::fail("pack_s4: code ", int{code}, " of channel ", c, ", column ", g * group + kk, " is not 0..15");
                const std::int64_t i = kk / 8, b = kk % 4;
                const int shift = (kk % 8) < 4 ? 0 : 4;
                rec[i * 64 + 4 * j + b] = static_cast<std::uint8_t>(rec[i * 64 + 4 * j + b] | (code << shift));
            }
            const Scale s = scales[c * p.groups + g];
            float sf;
            if constexpr (std::is_same_v<Scale, float>) sf = s;
            else sf = s.to_float();
            if (!std::isfinite(sf)) lowbit::detail::fail("pack_s4: scale ", sf, " of channel ", c, ", group ", g, " is not finite");
            std::memcpy(rec + 8 * group + j * static_cast<std::int64_t>(sizeof(Scale)), &s, sizeof(Scale));
            if (p.affine) {
                const std::uint8_t z = zero_points[c * p.groups + g];
                if (z > 15) lowbit::detail::fail("pack_s4: zero point ", int{z}, " of channel ", c, ", group ", g, " is not 0..15");
                rec[8 * group + panel_cols * static_cast<std::int64_t>(sizeof(Scale)) + j] = z;
            }
        }
    }
    return p;
}

}  // namespace lowbit::gemm
