// lowbit/formats/gguf/kquant_phases.hpp - the k-quant quantizers (Q2_K .. Q6_K) as four phases.
//
// ggml quantizes a 256-weight super-block in four steps, and so does lowbit:
//   A. search: per sub-block (16 or 32 weights), element weights and a scale search (search.hpp)
//      give a float scale, a minimum (affine types) and provisional codes;
//   B. scales: the sub-block scales (and minima) are quantized against fp16 super-scales;
//   C. requantize: every element is quantized again, by division, against the decoded sub-block
//      scale d_j (and minimum m_j), exactly as the decoder will see them;
//   D. pack: the codes go into the block's bit fields.
// A and C hold nearly all of the work and act on independent sub-blocks / elements, so the vector
// kernels (vector_kquants.hpp) replace exactly those two and reuse B and D from here. The reference
// quantize_row of each type is `search_ref`, `set_scales`, `sub_scales`, `requantize_ref`, `pack`.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <type_traits>

#include "lowbit/formats/gguf/arithmetic.hpp"
#include "lowbit/formats/gguf/search.hpp"
#include "lowbit/formats/gguf/types.hpp"

namespace lowbit::gguf::reference::detail {

// What phase A leaves for B, C and D (sub-block arrays have room for 16 sub-blocks).
struct kquant_work {
    float scales[16];
    float mins[16];          // the_min of the affine searches (>= 0: the subtracted minimum)
    float sw[16];            // sum of the element weights of each sub-block (importance path)
    std::uint8_t L[super_block];  // codes, offset to be non-negative
};

// Per type: sub-block size, code range [lo, hi] (stored as l - lo), affine or not.
template <class T> struct kquant_traits;
template <> struct kquant_traits<q2_K> { static constexpr int sub = 16, lo = 0, hi = 3; };
template <> struct kquant_traits<q3_K> { static constexpr int sub = 16, lo = -4, hi = 3; };
template <> struct kquant_traits<q4_K> { static constexpr int sub = 32, lo = 0, hi = 15; };
template <> struct kquant_traits<q5_K> { static constexpr int sub = 32, lo = 0, hi = 31; };
template <> struct kquant_traits<q6_K> { static constexpr int sub = 16, lo = -32, hi = 31; };

// ---- shared bit layouts ----

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

inline float sum_squares(const float* x, int n) {
    float sum = 0.f;
    for (int j = 0; j < n; ++j) sum += mul(x[j], x[j]);
    return sum;
}

// Importance-path element weights qw * sqrt(sigma2 + x^2) and their sum.
inline float importance_weights(const float* x, const float* qw, float sigma2, int n, float* weight) {
    for (int l = 0; l < n; ++l) weight[l] = mul(qw[l], std::sqrt(sigma2 + mul(x[l], x[l])));
    float sum = 0.f;
    for (int l = 0; l < n; ++l) sum += weight[l];
    return sum;
}

// ---- A: search (reference) ----

// sigma2 of the importance path's element weights qw * sqrt(sigma2 + x^2): the mean square of the
// super-block (Q2_K) or twice it (the others).
template <class T>
inline float importance_sigma2(const float* x) {
    const float sum = sum_squares(x, super_block);
    return std::is_same_v<T, q2_K> ? sum / super_block : 2 * sum / super_block;
}

inline void search_ref(q2_K, const float* x, const float* qwb, kquant_work& w) {
    std::uint8_t Laux[16];
    float weights[16];
    const float sigma2 = qwb ? importance_sigma2<q2_K>(x) : 0.f;
    for (int j = 0; j < 16; ++j) {
        const float* xs = x + 16 * j;
        if (qwb) {
            w.sw[j] = importance_weights(xs, qwb + 16 * j, sigma2, 16, weights);
            w.scales[j] = make_qkx3_quants(16, 3, xs, weights, w.L + 16 * j, &w.mins[j], Laux, -0.9f, 0.05f, 36, false);
        } else {
            for (int l = 0; l < 16; ++l) weights[l] = std::fabs(xs[l]);
            w.scales[j] = make_qkx2_quants(16, 3, xs, weights, w.L + 16 * j, &w.mins[j], Laux, -0.5f, 0.1f, 15, true);
        }
    }
}

inline void search_ref(q3_K, const float* x, const float* qwb, kquant_work& w) {
    auto* L = reinterpret_cast<std::int8_t*>(w.L);
    const float sigma2 = qwb ? importance_sigma2<q3_K>(x) : 0.f;
    for (int j = 0; j < 16; ++j) {
        if (qwb) {
            float weight[16];
            w.sw[j] = importance_weights(x + 16 * j, qwb + 16 * j, sigma2, 16, weight);
            w.scales[j] = make_qx_quants(16, 4, x + 16 * j, L + 16 * j, weight);
        } else {
            w.scales[j] = make_q3_quants(16, 4, x + 16 * j, L + 16 * j);
        }
    }
}

template <class T>
inline void search_k4(const float* x, const float* qwb, kquant_work& w) {
    constexpr int nmax = kquant_traits<T>::hi;
    std::uint8_t Laux[32];
    float weights[32];
    const float sigma2 = qwb ? importance_sigma2<T>(x) : 0.f;
    for (int j = 0; j < 8; ++j) {
        const float* xs = x + 32 * j;
        if (qwb) {
            w.sw[j] = importance_weights(xs, qwb + 32 * j, sigma2, 32, weights);
            w.scales[j] = make_qkx3_quants(32, nmax, xs, weights, w.L + 32 * j, &w.mins[j], Laux, -0.9f, 0.05f, 36, false);
        } else {
            const float av_x = std::sqrt(sum_squares(xs, 32) / 32);
            for (int l = 0; l < 32; ++l) weights[l] = av_x + std::fabs(xs[l]);
            constexpr bool q4 = nmax == 15;
            w.scales[j] = make_qkx2_quants(32, nmax, xs, weights, w.L + 32 * j, &w.mins[j], Laux, q4 ? -1.f : -0.5f, 0.1f,
                                           q4 ? 20 : 15, false);
        }
    }
}
inline void search_ref(q4_K, const float* x, const float* qwb, kquant_work& w) { search_k4<q4_K>(x, qwb, w); }
inline void search_ref(q5_K, const float* x, const float* qwb, kquant_work& w) { search_k4<q5_K>(x, qwb, w); }

inline void search_ref(q6_K, const float* x, const float* qwb, kquant_work& w) {
    auto* L = reinterpret_cast<std::int8_t*>(w.L);
    for (int j = 0; j < 16; ++j) w.scales[j] = make_qx_quants(16, 32, x + 16 * j, L + 16 * j, qwb ? qwb + 16 * j : nullptr);
}

// ---- B: sub-block scales against fp16 super-scales; false means "store an all-zero block" ----

inline bool set_scales(q2_K, const kquant_work& w, bool importance, block_q2_K& y) {
    if (importance) {
        std::uint8_t Ls[16], Lm[16];
        const float dm = make_qp_quants(16, 15, w.scales, Ls, w.sw);
        const float mm = make_qp_quants(16, 15, w.mins, Lm, w.sw);
        y.d = to_half(dm, "q2_K", "super-scale");
        y.dmin = to_half(mm, "q2_K", "super-minimum");
        for (int j = 0; j < 16; ++j) y.scales[j] = static_cast<std::uint8_t>(Ls[j] | (Lm[j] << 4));
        return true;
    }
    float max_scale = 0.f, max_min = 0.f;
    for (int j = 0; j < 16; ++j) {
        if (w.scales[j] > max_scale) max_scale = w.scales[j];
        if (w.mins[j] > max_min) max_min = w.mins[j];
    }
    if (max_scale > 0.f) {
        const float iscale = 15.f / max_scale;
        for (int j = 0; j < 16; ++j) y.scales[j] = static_cast<std::uint8_t>(nearest_int(mul(iscale, w.scales[j])));
        y.d = to_half(max_scale / 15.f, "q2_K", "super-scale");
    }
    if (max_min > 0.f) {
        const float iscale = 15.f / max_min;
        // (unsigned: a subnormal max_min makes iscale infinite and nearest_int(NaN) negative; ggml's
        // shift then keeps the low bits, which the unsigned shift reproduces without overflow.)
        for (int j = 0; j < 16; ++j)
            y.scales[j] = static_cast<std::uint8_t>(y.scales[j] | (static_cast<unsigned>(nearest_int(mul(iscale, w.mins[j]))) << 4));
        y.dmin = to_half(max_min / 15.f, "q2_K", "super-minimum");
    }
    return true;
}

inline bool set_scales(q3_K, const kquant_work& w, bool importance, block_q3_K& y) {
    int sl[16] = {};
    if (importance) {
        std::int8_t Ls[16];
        const float d_block = make_qx_quants(16, 32, w.scales, Ls, w.sw);
        for (int j = 0; j < 16; ++j) sl[j] = Ls[j];
        pack_scales_q3(sl, y.scales);
        y.d = to_half(d_block, "q3_K", "super-scale");
        return true;
    }
    float amax = 0.f;
    const float max_scale = signed_absmax(w.scales, 16, amax);
    if (max_scale != 0.f) {
        const float iscale = -32.f / max_scale;
        for (int j = 0; j < 16; ++j) {
            // ggml stores nearest_int into an int8_t before clamping.
            const auto l8 = static_cast<std::int8_t>(nearest_int(mul(iscale, w.scales[j])));
            sl[j] = std::max(-32, std::min(31, static_cast<int>(l8))) + 32;
        }
        pack_scales_q3(sl, y.scales);
        y.d = to_half(1 / iscale, "q3_K", "super-scale");
    }
    return true;
}

template <class T, class Block>
inline bool set_scales_k4(const kquant_work& w, bool importance, Block& y) {
    std::uint8_t ls[8], lm[8];
    if (importance) {
        const float d_block = make_qp_quants(8, 63, w.scales, ls, w.sw);
        const float m_block = make_qp_quants(8, 63, w.mins, lm, w.sw);
        if constexpr (std::is_same_v<T, q5_K>) {  // ggml's Q5_K clamps here, its Q4_K does not (only wrapped codes differ)
            for (int j = 0; j < 8; ++j) {
                ls[j] = std::min<std::uint8_t>(63, ls[j]);
                lm[j] = std::min<std::uint8_t>(63, lm[j]);
            }
        }
        pack_scale_min_k4(ls, lm, y.scales);
        y.d = to_half(d_block, T::name, "super-scale");
        y.dmin = to_half(m_block, T::name, "super-minimum");
        return true;
    }
    float max_scale = 0.f, max_min = 0.f;
    for (int j = 0; j < 8; ++j) {
        if (w.scales[j] > max_scale) max_scale = w.scales[j];
        if (w.mins[j] > max_min) max_min = w.mins[j];
    }
    const float inv_scale = max_scale > 0.f ? 63.f / max_scale : 0.f;
    const float inv_min = max_min > 0.f ? 63.f / max_min : 0.f;
    for (int j = 0; j < 8; ++j) {
        ls[j] = std::min<std::uint8_t>(63, static_cast<std::uint8_t>(nearest_int(mul(inv_scale, w.scales[j]))));
        lm[j] = std::min<std::uint8_t>(63, static_cast<std::uint8_t>(nearest_int(mul(inv_min, w.mins[j]))));
    }
    pack_scale_min_k4(ls, lm, y.scales);
    y.d = to_half(max_scale / 63.f, T::name, "super-scale");
    y.dmin = to_half(max_min / 63.f, T::name, "super-minimum");
    return true;
}
inline bool set_scales(q4_K, const kquant_work& w, bool importance, block_q4_K& y) { return set_scales_k4<q4_K>(w, importance, y); }
inline bool set_scales(q5_K, const kquant_work& w, bool importance, block_q5_K& y) { return set_scales_k4<q5_K>(w, importance, y); }

inline bool set_scales(q6_K, const kquant_work& w, bool, block_q6_K& y) {
    float max_abs_scale = 0.f;
    const float max_scale = signed_absmax(w.scales, 16, max_abs_scale);
    if (max_abs_scale < group_max_eps) return false;
    const float iscale = -128.f / max_scale;
    y.d = to_half(1 / iscale, "q6_K", "super-scale");
    for (int j = 0; j < 16; ++j) y.scales[j] = static_cast<std::int8_t>(std::min(127, nearest_int(mul(iscale, w.scales[j]))));
    return true;
}

// ---- C: decoded sub-block scales d_j, minima m_j, and the reference requantization ----

inline void sub_scales(const block_q2_K& y, float* d, float* m) {
    const float d_all = from_half(y.d), m_all = from_half(y.dmin);
    for (int j = 0; j < 16; ++j) {
        d[j] = mul(d_all, static_cast<float>(y.scales[j] & 0xf));
        m[j] = mul(m_all, static_cast<float>(y.scales[j] >> 4));
    }
}

inline void sub_scales(const block_q3_K& y, float* d, float* m) {
    const float d_all = from_half(y.d);
    for (int j = 0; j < 16; ++j) {
        d[j] = mul(d_all, static_cast<float>(scale_q3(y.scales, j)));
        m[j] = 0.f;
    }
}

template <class Block>
inline void sub_scales_k4(const Block& y, float* d, float* m) {
    const float d_all = from_half(y.d), m_all = from_half(y.dmin);
    for (int j = 0; j < 8; ++j) {
        int sc = 0, mn = 0;
        scale_min_k4(j, y.scales, sc, mn);
        d[j] = mul(d_all, static_cast<float>(sc));
        m[j] = mul(m_all, static_cast<float>(mn));
    }
}
inline void sub_scales(const block_q4_K& y, float* d, float* m) { sub_scales_k4(y, d, m); }
inline void sub_scales(const block_q5_K& y, float* d, float* m) { sub_scales_k4(y, d, m); }

inline void sub_scales(const block_q6_K& y, float* d, float* m) {
    const float d_all = from_half(y.d);
    for (int j = 0; j < 16; ++j) {
        d[j] = mul(d_all, static_cast<float>(y.scales[j]));
        m[j] = 0.f;
    }
}

// l = nearest_int((x + m_j) / d_j) clamped to [lo, hi], stored as l - lo; sub-blocks whose decoded
// scale is 0 keep their search codes. (x + 0 is x except for -0, which divides and rounds alike.)
template <class T>
inline void requantize_ref(const float* x, const float* d, const float* m, std::uint8_t* L) {
    using tr = kquant_traits<T>;
    for (int j = 0; j < super_block / tr::sub; ++j) {
        if (d[j] == 0.f) continue;
        for (int ii = 0; ii < tr::sub; ++ii) {
            const int l = std::max(tr::lo, std::min(tr::hi, nearest_int((x[tr::sub * j + ii] + m[j]) / d[j])));
            L[tr::sub * j + ii] = static_cast<std::uint8_t>(l - tr::lo);
        }
    }
}

// ---- D: pack ----

inline void pack(const std::uint8_t* L, block_q2_K& y) { pack_2bit(L, y.qs); }

inline void pack(const std::uint8_t* L, block_q3_K& y) {
    // Codes 0..7: the high bit of element 32 b + m goes to bit b of hmask[m], the low two bits to
    // qs. (ggml tests l > 3 and subtracts 4; for codes 0..7 that is this bit arithmetic, in an order
    // the compiler vectorizes.)
    std::uint8_t low[super_block];
    for (int b = 0; b < 8; ++b)
        for (int m = 0; m < 32; ++m) {
            y.hmask[m] = static_cast<std::uint8_t>(y.hmask[m] | ((L[32 * b + m] >> 2) << b));
            low[32 * b + m] = static_cast<std::uint8_t>(L[32 * b + m] & 3);
        }
    pack_2bit(low, y.qs);
}

inline void pack(const std::uint8_t* L, block_q4_K& y) {
    for (int j = 0; j < super_block; j += 64)
        for (int l = 0; l < 32; ++l) y.qs[j / 2 + l] = static_cast<std::uint8_t>(L[j + l] | (L[j + l + 32] << 4));
}

inline void pack(const std::uint8_t* L, block_q5_K& y) {
    // 64 elements per group: low nibbles of elements j and j + 32 in byte j, their fifth bits in bits
    // 2g and 2g + 1 of qh[j] (codes are 0..31: ggml's "if (l > 15) l -= 16, set the bit").
    for (int g = 0; g < 4; ++g) {
        for (int j = 0; j < 32; ++j) {
            const int l1 = L[64 * g + j], l2 = L[64 * g + j + 32];
            y.qh[j] = static_cast<std::uint8_t>(y.qh[j] | ((l1 >> 4) << (2 * g)) | ((l2 >> 4) << (2 * g + 1)));
            y.qs[32 * g + j] = static_cast<std::uint8_t>((l1 & 15) | ((l2 & 15) << 4));
        }
    }
}

inline void pack(const std::uint8_t* L, block_q6_K& y) {
    for (int g = 0; g < 2; ++g) {  // 128 elements per group
        const std::uint8_t* Lg = L + 128 * g;
        for (int l = 0; l < 32; ++l) {
            y.ql[64 * g + l] = static_cast<std::uint8_t>((Lg[l] & 0xf) | ((Lg[l + 64] & 0xf) << 4));
            y.ql[64 * g + l + 32] = static_cast<std::uint8_t>((Lg[l + 32] & 0xf) | ((Lg[l + 96] & 0xf) << 4));
            y.qh[32 * g + l] = static_cast<std::uint8_t>((Lg[l] >> 4) | ((Lg[l + 32] >> 4) << 2) | ((Lg[l + 64] >> 4) << 4)
                                                         | ((Lg[l + 96] >> 4) << 6));
        }
    }
}

// Phases B, C (given requantized codes in w.L) and D for one super-block: `requantize(x, d, m, L)`
// is the reference's or a vector kernel's.
template <class T, class Requantize>
inline typename T::block finish_block(const float* x, kquant_work& w, bool importance, Requantize&& requantize) {
    typename T::block y{};
    if (!set_scales(T{}, w, importance, y)) return typename T::block{};
    float d[16], m[16];
    sub_scales(y, d, m);
    requantize(x, d, m, w.L);
    pack(w.L, y);
    return y;
}

}  // namespace lowbit::gguf::reference::detail

namespace lowbit::gguf::reference {

template <class T>
inline void quantize_kquant_row(const float* x, std::int64_t n, std::byte* out, const float* importance) {
    for (std::size_t b = 0; b < detail::blocks_in(n, super_block); ++b, x += super_block) {
        detail::kquant_work w;
        detail::search_ref(T{}, x, importance ? importance + super_block * b : nullptr, w);
        const auto y = detail::finish_block<T>(x, w, importance != nullptr, detail::requantize_ref<T>);
        detail::store_block(y, out + b * sizeof y);
    }
}

inline void quantize_row(q2_K, const float* x, std::int64_t n, std::byte* out, const float* imp) { quantize_kquant_row<q2_K>(x, n, out, imp); }
inline void quantize_row(q3_K, const float* x, std::int64_t n, std::byte* out, const float* imp) { quantize_kquant_row<q3_K>(x, n, out, imp); }
inline void quantize_row(q4_K, const float* x, std::int64_t n, std::byte* out, const float* imp) { quantize_kquant_row<q4_K>(x, n, out, imp); }
inline void quantize_row(q5_K, const float* x, std::int64_t n, std::byte* out, const float* imp) { quantize_kquant_row<q5_K>(x, n, out, imp); }
inline void quantize_row(q6_K, const float* x, std::int64_t n, std::byte* out, const float* imp) { quantize_kquant_row<q6_K>(x, n, out, imp); }

}  // namespace lowbit::gguf::reference
