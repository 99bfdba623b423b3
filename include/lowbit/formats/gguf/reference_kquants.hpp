// lowbit/formats/gguf/reference_kquants.hpp - Q2_K, Q3_K, Q4_K, Q5_K, Q6_K and Q8_K: the scalar
// specification, bit-exact with ggml's quantize_row_<type>_ref, quantize_<type> (importance
// weighted) and dequantize_row_<type>.
//
// A super-block holds 256 weights in sub-blocks of 16 (Q2_K, Q3_K, Q6_K) or 32 (Q4_K, Q5_K). Each
// sub-block gets a scale (and for Q2_K / Q4_K / Q5_K a minimum) from a search (search.hpp); the
// sub-block scales are themselves quantized against an fp16 super-scale, and then every element is
// re-quantized, by division, against the scale as the decoder will see it (fp16 super-scale decoded
// times the integer sub-scale). Q8_K (the activation format of the k-quant dot products) has an fp32
// d = 1 / (-127 / m), m the signed element of largest magnitude, so d is negative when m > 0.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "lowbit/formats/gguf/arithmetic.hpp"
#include "lowbit/formats/gguf/search.hpp"
#include "lowbit/formats/gguf/types.hpp"

namespace lowbit::gguf::reference {

namespace detail {

inline float block_mean_square_x2(const float* x) {  // 2 * sum(x^2) / 256
    float sum = 0.f;
    for (int j = 0; j < super_block; ++j) sum += mul(x[j], x[j]);
    return 2 * sum / super_block;
}

// Two-bit codes: byte l of each 32-byte group holds elements l, l + 32, l + 64, l + 96 of its 128.
inline void pack_2bit(const std::uint8_t* L, std::uint8_t* qs) {
    for (int j = 0; j < super_block; j += 128)
        for (int l = 0; l < 32; ++l)
            qs[j / 4 + l] = static_cast<std::uint8_t>(L[j + l] | (L[j + l + 32] << 2) | (L[j + l + 64] << 4) | (L[j + l + 96] << 6));
}

inline int unpack_2bit(const std::uint8_t* qs, int i) {  // element i of 256
    const int group = i / 128, r = i % 128;
    return (qs[32 * group + r % 32] >> (2 * (r / 32))) & 3;
}

// Q4_K / Q5_K: eight 6-bit scales and minima in 12 bytes.
inline void pack_scale_min_k4(const std::uint8_t* ls, const std::uint8_t* lm, std::uint8_t* scales) {
    for (int j = 0; j < 8; ++j) {
        if (j < 4) {
            scales[j] = ls[j];
            scales[j + 4] = lm[j];
        } else {
            scales[j + 4] = static_cast<std::uint8_t>((ls[j] & 0xf) | ((lm[j] & 0xf) << 4));
            scales[j - 4] = static_cast<std::uint8_t>(scales[j - 4] | ((ls[j] >> 4) << 6));
            scales[j] = static_cast<std::uint8_t>(scales[j] | ((lm[j] >> 4) << 6));
        }
    }
}

inline void scale_min_k4(int j, const std::uint8_t* q, int& d, int& m) {
    if (j < 4) {
        d = q[j] & 63;
        m = q[j + 4] & 63;
    } else {
        d = (q[j + 4] & 0xf) | ((q[j - 4] >> 6) << 4);
        m = (q[j + 4] >> 4) | ((q[j] >> 6) << 4);
    }
}

// Q3_K: sixteen 6-bit codes (scale + 32) in 12 bytes.
inline void pack_scales_q3(const int* l, std::uint8_t* scales) {
    std::memset(scales, 0, 12);
    for (int j = 0; j < 16; ++j) {
        const int v = l[j];
        if (j < 8) scales[j] = static_cast<std::uint8_t>(v & 0xf);
        else scales[j - 8] = static_cast<std::uint8_t>(scales[j - 8] | ((v & 0xf) << 4));
        scales[j % 4 + 8] = static_cast<std::uint8_t>(scales[j % 4 + 8] | ((v >> 4) << (2 * (j / 4))));
    }
}

inline int scale_q3(const std::uint8_t* scales, int j) {  // signed, -32..31
    const int low = j < 8 ? (scales[j] & 0xf) : (scales[j - 8] >> 4);
    return (low | (((scales[8 + j % 4] >> (2 * (j / 4))) & 3) << 4)) - 32;
}

// Re-quantizes every element of sub-blocks of `size` against the decoded scale d_j (and minimum
// m_j for affine types): l = nearest_int((x + m_j) / d_j) clamped to [lo, hi], stored as l - lo.
template <class ScaleOf>
inline void requantize(const float* x, int size, int lo, int hi, ScaleOf scale_of, std::uint8_t* L) {
    for (int j = 0; j < super_block / size; ++j) {
        float d = 0.f, m = 0.f;
        scale_of(j, d, m);
        if (d == 0.f) continue;
        for (int ii = 0; ii < size; ++ii) {
            const int l = std::max(lo, std::min(hi, nearest_int((x[size * j + ii] + m) / d)));
            L[size * j + ii] = static_cast<std::uint8_t>(l - lo);
        }
    }
}

}  // namespace detail

// ---- Q2_K ----
inline void quantize_row(q2_K, const float* x, std::int64_t n, std::byte* out, const float* importance) {
    using namespace detail;
    for (std::size_t b = 0; b < blocks_in(n, super_block); ++b, x += super_block) {
        block_q2_K y{};
        std::uint8_t L[super_block], Laux[16];
        float weights[16], mins[16], scales[16];
        if (importance) {
            const float* qwb = importance + super_block * b;
            float sumx2 = 0.f;
            for (int j = 0; j < super_block; ++j) sumx2 += mul(x[j], x[j]);
            const float sigma2 = sumx2 / super_block;
            float sw[16] = {};
            for (int j = 0; j < 16; ++j) {
                for (int l = 0; l < 16; ++l) weights[l] = mul(qwb[16 * j + l], std::sqrt(sigma2 + mul(x[16 * j + l], x[16 * j + l])));
                for (int l = 0; l < 16; ++l) sw[j] += weights[l];
                scales[j] = make_qkx3_quants(16, 3, x + 16 * j, weights, L + 16 * j, &mins[j], Laux, -0.9f, 0.05f, 36, false);
            }
            std::uint8_t Ls[16], Lm[16];
            const float dm = make_qp_quants(16, 15, scales, Ls, sw);
            const float mm = make_qp_quants(16, 15, mins, Lm, sw);
            y.d = to_half(dm, "q2_K", "super-scale");
            y.dmin = to_half(mm, "q2_K", "super-minimum");
            for (int j = 0; j < 16; ++j) y.scales[j] = static_cast<std::uint8_t>(Ls[j] | (Lm[j] << 4));
        } else {
            float max_scale = 0.f, max_min = 0.f;
            for (int j = 0; j < 16; ++j) {
                for (int l = 0; l < 16; ++l) weights[l] = std::fabs(x[16 * j + l]);
                scales[j] = make_qkx2_quants(16, 3, x + 16 * j, weights, L + 16 * j, &mins[j], Laux, -0.5f, 0.1f, 15, true);
                if (scales[j] > max_scale) max_scale = scales[j];
                if (mins[j] > max_min) max_min = mins[j];
            }
            if (max_scale > 0.f) {
                const float iscale = 15.f / max_scale;
                for (int j = 0; j < 16; ++j) y.scales[j] = static_cast<std::uint8_t>(nearest_int(mul(iscale, scales[j])));
                y.d = to_half(max_scale / 15.f, "q2_K", "super-scale");
            }
            if (max_min > 0.f) {
                const float iscale = 15.f / max_min;
                for (int j = 0; j < 16; ++j)
                    y.scales[j] = static_cast<std::uint8_t>(y.scales[j] | (nearest_int(mul(iscale, mins[j])) << 4));
                y.dmin = to_half(max_min / 15.f, "q2_K", "super-minimum");
            }
        }
        const float d_all = from_half(y.d), m_all = from_half(y.dmin);
        requantize(x, 16, 0, 3, [&](int j, float& d, float& m) {
            d = mul(d_all, static_cast<float>(y.scales[j] & 0xf));
            m = mul(m_all, static_cast<float>(y.scales[j] >> 4));
        }, L);
        pack_2bit(L, y.qs);
        store_block(y, out + b * sizeof y);
    }
}

inline void dequantize_row(q2_K, const std::byte* in, std::int64_t n, float* y) {
    using namespace detail;
    for (std::size_t b = 0; b < blocks_in(n, super_block); ++b, y += super_block) {
        const auto blk = load_block<block_q2_K>(in + b * sizeof(block_q2_K));
        const float d = from_half(blk.d), min = from_half(blk.dmin);
        for (int i = 0; i < super_block; ++i) {
            const int sc = blk.scales[i / 16];
            const float dl = mul(d, static_cast<float>(sc & 0xf)), ml = mul(min, static_cast<float>(sc >> 4));
            y[i] = mul(dl, static_cast<float>(unpack_2bit(blk.qs, i))) - ml;
        }
    }
}

// ---- Q3_K ----
inline void quantize_row(q3_K, const float* x, std::int64_t n, std::byte* out, const float* importance) {
    using namespace detail;
    for (std::size_t b = 0; b < blocks_in(n, super_block); ++b, x += super_block) {
        block_q3_K y{};
        std::int8_t L[super_block];
        float scales[16];
        int sl[16] = {};
        if (importance) {
            const float* qwb = importance + super_block * b;
            const float sigma2 = block_mean_square_x2(x);
            float weight[16], sw[16];
            for (int j = 0; j < 16; ++j) {
                for (int l = 0; l < 16; ++l) weight[l] = mul(qwb[16 * j + l], std::sqrt(sigma2 + mul(x[16 * j + l], x[16 * j + l])));
                float sumw = 0.f;
                for (int l = 0; l < 16; ++l) sumw += weight[l];
                sw[j] = sumw;
                scales[j] = make_qx_quants(16, 4, x + 16 * j, L + 16 * j, weight);
            }
            std::int8_t Ls[16];
            const float d_block = make_qx_quants(16, 32, scales, Ls, sw);
            for (int j = 0; j < 16; ++j) sl[j] = Ls[j];
            pack_scales_q3(sl, y.scales);
            y.d = to_half(d_block, "q3_K", "super-scale");
        } else {
            float max_scale = 0.f, amax = 0.f;
            for (int j = 0; j < 16; ++j) {
                scales[j] = make_q3_quants(16, 4, x + 16 * j, L + 16 * j);
                const float scale = std::fabs(scales[j]);
                if (scale > amax) {
                    amax = scale;
                    max_scale = scales[j];
                }
            }
            if (max_scale != 0.f) {
                const float iscale = -32.f / max_scale;
                for (int j = 0; j < 16; ++j) {
                    // ggml stores nearest_int into an int8_t before clamping.
                    const auto l8 = static_cast<std::int8_t>(nearest_int(mul(iscale, scales[j])));
                    sl[j] = std::max(-32, std::min(31, static_cast<int>(l8))) + 32;
                }
                pack_scales_q3(sl, y.scales);
                y.d = to_half(1 / iscale, "q3_K", "super-scale");
            }
        }
        const float d_all = from_half(y.d);
        auto* Lu = reinterpret_cast<std::uint8_t*>(L);
        requantize(x, 16, -4, 3, [&](int j, float& d, float& m) {
            d = mul(d_all, static_cast<float>(scale_q3(y.scales, j)));
            m = 0.f;
        }, Lu);
        // Codes 0..7: the high bit goes to hmask (bit j / 32 of byte j % 32), the low two to qs.
        std::uint8_t low[super_block];
        for (int j = 0; j < super_block; ++j) {
            int l = Lu[j];
            if (l > 3) {
                y.hmask[j % 32] = static_cast<std::uint8_t>(y.hmask[j % 32] | (1u << (j / 32)));
                l -= 4;
            }
            low[j] = static_cast<std::uint8_t>(l);
        }
        pack_2bit(low, y.qs);
        store_block(y, out + b * sizeof y);
    }
}

inline void dequantize_row(q3_K, const std::byte* in, std::int64_t n, float* y) {
    using namespace detail;
    for (std::size_t b = 0; b < blocks_in(n, super_block); ++b, y += super_block) {
        const auto blk = load_block<block_q3_K>(in + b * sizeof(block_q3_K));
        const float d_all = from_half(blk.d);
        for (int i = 0; i < super_block; ++i) {
            const float dl = mul(d_all, static_cast<float>(scale_q3(blk.scales, i / 16)));
            const int high = (blk.hmask[i % 32] >> (i / 32)) & 1;
            y[i] = mul(dl, static_cast<float>(unpack_2bit(blk.qs, i) - (high ? 0 : 4)));
        }
    }
}

// ---- Q4_K / Q5_K ----
namespace detail {

// Sub-block scales and minima of Q4_K / Q5_K (nmax 15 / 31) into the block's 6-bit fields, the
// fp16 super-scales, and the re-quantized codes L (0..nmax).
template <class Block>
inline void quantize_k4_scales(const float* x, const float* qwb, int nmax, const char* format, Block& y, std::uint8_t* L) {
    std::uint8_t Laux[32], ls[8], lm[8];
    float weights[32], mins[8], scales[8];
    if (qwb) {
        float sum_x2 = 0.f;
        for (int l = 0; l < super_block; ++l) sum_x2 += mul(x[l], x[l]);
        const float sigma2 = 2 * sum_x2 / super_block;
        float sw[8];
        for (int j = 0; j < 8; ++j) {
            for (int l = 0; l < 32; ++l) weights[l] = mul(qwb[32 * j + l], std::sqrt(sigma2 + mul(x[32 * j + l], x[32 * j + l])));
            float sumw = 0.f;
            for (int l = 0; l < 32; ++l) sumw += weights[l];
            sw[j] = sumw;
            scales[j] = make_qkx3_quants(32, nmax, x + 32 * j, weights, L + 32 * j, &mins[j], Laux, -0.9f, 0.05f, 36, false);
        }
        const float d_block = make_qp_quants(8, 63, scales, ls, sw);
        const float m_block = make_qp_quants(8, 63, mins, lm, sw);
        if (nmax == 31) {  // ggml's Q5_K clamps here, its Q4_K does not (it matters only for wrapped codes)
            for (int j = 0; j < 8; ++j) {
                ls[j] = std::min<std::uint8_t>(63, ls[j]);
                lm[j] = std::min<std::uint8_t>(63, lm[j]);
            }
        }
        pack_scale_min_k4(ls, lm, y.scales);
        y.d = to_half(d_block, format, "super-scale");
        y.dmin = to_half(m_block, format, "super-minimum");
    } else {
        const bool q4 = nmax == 15;
        float max_scale = 0.f, max_min = 0.f;
        for (int j = 0; j < 8; ++j) {
            float sum_x2 = 0.f;
            for (int l = 0; l < 32; ++l) sum_x2 += mul(x[32 * j + l], x[32 * j + l]);
            const float av_x = std::sqrt(sum_x2 / 32);
            for (int l = 0; l < 32; ++l) weights[l] = av_x + std::fabs(x[32 * j + l]);
            scales[j] = make_qkx2_quants(32, nmax, x + 32 * j, weights, L + 32 * j, &mins[j], Laux, q4 ? -1.f : -0.5f, 0.1f,
                                         q4 ? 20 : 15, false);
            if (scales[j] > max_scale) max_scale = scales[j];
            if (mins[j] > max_min) max_min = mins[j];
        }
        const float inv_scale = max_scale > 0.f ? 63.f / max_scale : 0.f;
        const float inv_min = max_min > 0.f ? 63.f / max_min : 0.f;
        for (int j = 0; j < 8; ++j) {
            ls[j] = std::min<std::uint8_t>(63, static_cast<std::uint8_t>(nearest_int(mul(inv_scale, scales[j]))));
            lm[j] = std::min<std::uint8_t>(63, static_cast<std::uint8_t>(nearest_int(mul(inv_min, mins[j]))));
        }
        pack_scale_min_k4(ls, lm, y.scales);
        y.d = to_half(max_scale / 63.f, format, "super-scale");
        y.dmin = to_half(max_min / 63.f, format, "super-minimum");
    }
    const float d_all = from_half(y.d), m_all = from_half(y.dmin);
    requantize(x, 32, 0, nmax, [&](int j, float& d, float& m) {
        int sc = 0, mn = 0;
        scale_min_k4(j, y.scales, sc, mn);
        d = mul(d_all, static_cast<float>(sc));
        m = mul(m_all, static_cast<float>(mn));
    }, L);
}

}  // namespace detail

inline void quantize_row(q4_K, const float* x, std::int64_t n, std::byte* out, const float* importance) {
    using namespace detail;
    for (std::size_t b = 0; b < blocks_in(n, super_block); ++b, x += super_block) {
        block_q4_K y{};
        std::uint8_t L[super_block];
        quantize_k4_scales(x, importance ? importance + super_block * b : nullptr, 15, "q4_K", y, L);
        for (int j = 0; j < super_block; j += 64)
            for (int l = 0; l < 32; ++l) y.qs[j / 2 + l] = static_cast<std::uint8_t>(L[j + l] | (L[j + l + 32] << 4));
        store_block(y, out + b * sizeof y);
    }
}

inline void quantize_row(q5_K, const float* x, std::int64_t n, std::byte* out, const float* importance) {
    using namespace detail;
    for (std::size_t b = 0; b < blocks_in(n, super_block); ++b, x += super_block) {
        block_q5_K y{};
        std::uint8_t L[super_block];
        quantize_k4_scales(x, importance ? importance + super_block * b : nullptr, 31, "q5_K", y, L);
        for (int g = 0; g < 4; ++g) {  // 64 elements per group: low nibbles, high nibbles, two qh bits
            for (int j = 0; j < 32; ++j) {
                int l1 = L[64 * g + j], l2 = L[64 * g + j + 32];
                if (l1 > 15) {
                    l1 -= 16;
                    y.qh[j] = static_cast<std::uint8_t>(y.qh[j] | (1u << (2 * g)));
                }
                if (l2 > 15) {
                    l2 -= 16;
                    y.qh[j] = static_cast<std::uint8_t>(y.qh[j] | (2u << (2 * g)));
                }
                y.qs[32 * g + j] = static_cast<std::uint8_t>(l1 | (l2 << 4));
            }
        }
        store_block(y, out + b * sizeof y);
    }
}

namespace detail {
template <class Block, bool Five>
inline void dequantize_k4(const std::byte* in, std::int64_t n, float* y) {
    for (std::size_t b = 0; b < blocks_in(n, super_block); ++b) {
        const auto blk = load_block<Block>(in + b * sizeof(Block));
        const float d = from_half(blk.d), min = from_half(blk.dmin);
        for (int g = 0; g < 4; ++g) {
            for (int half = 0; half < 2; ++half, y += 32) {
                int sc = 0, m = 0;
                scale_min_k4(2 * g + half, blk.scales, sc, m);
                const float dl = mul(d, static_cast<float>(sc)), ml = mul(min, static_cast<float>(m));
                for (int l = 0; l < 32; ++l) {
                    int q = half ? (blk.qs[32 * g + l] >> 4) : (blk.qs[32 * g + l] & 0xf);
                    if constexpr (Five) q += (blk.qh[l] >> (2 * g + half)) & 1 ? 16 : 0;
                    y[l] = mul(dl, static_cast<float>(q)) - ml;
                }
            }
        }
    }
}
}  // namespace detail

inline void dequantize_row(q4_K, const std::byte* in, std::int64_t n, float* y) { detail::dequantize_k4<block_q4_K, false>(in, n, y); }
inline void dequantize_row(q5_K, const std::byte* in, std::int64_t n, float* y) { detail::dequantize_k4<block_q5_K, true>(in, n, y); }

// ---- Q6_K ----
inline void quantize_row(q6_K, const float* x, std::int64_t n, std::byte* out, const float* importance) {
    using namespace detail;
    for (std::size_t b = 0; b < blocks_in(n, super_block); ++b, x += super_block) {
        block_q6_K y{};
        std::int8_t L[super_block];
        float scales[16];
        float max_scale = 0.f, max_abs_scale = 0.f;
        for (int ib = 0; ib < 16; ++ib) {
            const float* qw = importance ? importance + super_block * b + 16 * ib : nullptr;
            scales[ib] = make_qx_quants(16, 32, x + 16 * ib, L + 16 * ib, qw);
            const float abs_scale = std::fabs(scales[ib]);
            if (abs_scale > max_abs_scale) {
                max_abs_scale = abs_scale;
                max_scale = scales[ib];
            }
        }
        if (max_abs_scale < group_max_eps) {  // an all-zero block: every byte 0
            store_block(y, out + b * sizeof y);
            continue;
        }
        const float iscale = -128.f / max_scale;
        y.d = to_half(1 / iscale, "q6_K", "super-scale");
        for (int ib = 0; ib < 16; ++ib)
            y.scales[ib] = static_cast<std::int8_t>(std::min(127, nearest_int(mul(iscale, scales[ib]))));
        const float d_all = from_half(y.d);
        auto* Lu = reinterpret_cast<std::uint8_t*>(L);
        requantize(x, 16, -32, 31, [&](int j, float& d, float& m) {
            d = mul(d_all, static_cast<float>(y.scales[j]));
            m = 0.f;
        }, Lu);
        for (int g = 0; g < 2; ++g) {  // 128 elements per group
            const std::uint8_t* Lg = Lu + 128 * g;
            for (int l = 0; l < 32; ++l) {
                y.ql[64 * g + l] = static_cast<std::uint8_t>((Lg[l] & 0xf) | ((Lg[l + 64] & 0xf) << 4));
                y.ql[64 * g + l + 32] = static_cast<std::uint8_t>((Lg[l + 32] & 0xf) | ((Lg[l + 96] & 0xf) << 4));
                y.qh[32 * g + l] = static_cast<std::uint8_t>((Lg[l] >> 4) | ((Lg[l + 32] >> 4) << 2) | ((Lg[l + 64] >> 4) << 4)
                                                             | ((Lg[l + 96] >> 4) << 6));
            }
        }
        store_block(y, out + b * sizeof y);
    }
}

inline void dequantize_row(q6_K, const std::byte* in, std::int64_t n, float* y) {
    using namespace detail;
    for (std::size_t b = 0; b < blocks_in(n, super_block); ++b, y += super_block) {
        const auto blk = load_block<block_q6_K>(in + b * sizeof(block_q6_K));
        const float d = from_half(blk.d);
        for (int i = 0; i < super_block; ++i) {
            const int g = i / 128, r = i % 128, quarter = r / 32, l = r % 32;
            const std::uint8_t low = blk.ql[64 * g + l + 32 * (quarter & 1)];
            const int q = ((quarter < 2 ? low & 0xf : low >> 4) | (((blk.qh[32 * g + l] >> (2 * quarter)) & 3) << 4)) - 32;
            y[i] = mul(mul(d, static_cast<float>(blk.scales[i / 16])), static_cast<float>(q));
        }
    }
}

// ---- Q8_K ----
inline void quantize_row(q8_K, const float* x, std::int64_t n, std::byte* out, const float*) {
    using namespace detail;
    for (std::size_t b = 0; b < blocks_in(n, super_block); ++b, x += super_block) {
        block_q8_K y{};
        float max = 0.f, amax = 0.f;
        for (int j = 0; j < super_block; ++j) {
            const float ax = std::fabs(x[j]);
            if (ax > amax) {
                amax = ax;
                max = x[j];
            }
        }
        if (amax != 0.f) {
            const float iscale = -127.f / max;
            for (int j = 0; j < super_block; ++j) y.qs[j] = static_cast<std::int8_t>(std::min(127, nearest_int(mul(iscale, x[j]))));
            for (int j = 0; j < 16; ++j) {
                int sum = 0;
                for (int ii = 0; ii < 16; ++ii) sum += y.qs[16 * j + ii];
                y.bsums[j] = static_cast<std::int16_t>(sum);
            }
            y.d = 1 / iscale;
        }
        store_block(y, out + b * sizeof y);
    }
}

inline void dequantize_row(q8_K, const std::byte* in, std::int64_t n, float* y) {
    using namespace detail;
    for (std::size_t b = 0; b < blocks_in(n, super_block); ++b, y += super_block) {
        const auto blk = load_block<block_q8_K>(in + b * sizeof(block_q8_K));
        for (int j = 0; j < super_block; ++j) y[j] = mul(blk.d, static_cast<float>(blk.qs[j]));
    }
}

}  // namespace lowbit::gguf::reference
