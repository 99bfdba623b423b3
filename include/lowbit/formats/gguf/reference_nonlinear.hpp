// lowbit/formats/gguf/reference_nonlinear.hpp - IQ4_NL and IQ4_XS (non-linear 4-bit codes) and the
// ternary TQ1_0 / TQ2_0: the scalar specification, bit-exact with ggml.
//
// IQ4_NL / IQ4_XS codes index a fixed 16-entry table of int8 levels; a block of 32 gets the scale
// that maximises the weighted sumqx^2 / sumq2 over 2 * ntry + 1 candidate reciprocal scales
// (itry + table[0]) / m, m the signed absmax. IQ4_XS then quantizes the eight sub-block scales to
// 6 bits against an fp16 super-scale d = -max_scale / 32 (fp32 d used for the requantization) and
// re-picks every code against its sub-block's decoded scale.
// Two IQ4_NL flavours exist in ggml and both are provided: quantize_row (what ggml_quantize_chunk,
// and so every GGUF file, holds: ntry = 7, optional importance) and quantize_row_iq4_nl_ref
// (ggml's quantize_row_iq4_nl_ref: no search, ntry = -1).
// TQ1_0 / TQ2_0 store round(x / amax) in {-1, 0, 1} (lroundf: half away from zero): TQ2_0 as 2-bit
// fields, TQ1_0 as five (four) base-3 digits per byte scaled to 0..255 by a ceiling division so that
// a digit is recovered by a multiply and a shift.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "lowbit/formats/gguf/arithmetic.hpp"
#include "lowbit/formats/gguf/search.hpp"
#include "lowbit/formats/gguf/types.hpp"

namespace lowbit::gguf {

// The IQ4_NL / IQ4_XS levels (a property of the format).
inline constexpr std::int8_t iq4_levels[16] = {-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113};

namespace reference {

using lowbit::gguf::detail::blocks_in;
namespace detail {

// Index of the nearest level: the largest j with 2x >= levels[j - 1] + levels[j] (exact: 2x and the
// integer sum are both exact), ties to the upper level.
inline int best_index_iq4(float x) {
    const float x2 = x + x;
    int idx = 0;
    for (int step = 8; step > 0; step >>= 1) {
        const int j = idx + step;
        idx = x2 >= static_cast<float>(iq4_levels[j - 1] + iq4_levels[j]) ? j : idx;
    }
    return idx;
}

// ggml's quantize_row_iq4_nl_impl for 16 levels: `size` is 32 (IQ4_NL) or 256 (IQ4_XS).
inline void quantize_iq4(int size, const float* x, const float* qw, int ntry, std::uint16_t& dh, std::uint8_t* q4,
                         std::uint16_t* scales_h, std::uint8_t* scales_l, const char* format) {
    float sigma2 = 0.f;
    for (int j = 0; j < size; ++j) sigma2 += mul(x[j], x[j]);
    sigma2 = mul(sigma2, 2.f / static_cast<float>(size));
    std::memset(q4, 0, static_cast<std::size_t>(size / 2));
    dh = 0;
    std::uint8_t L[super_block];
    float scales[8], weight[32];
    float max_scale = 0.f, amax_scale = 0.f;
    const auto level = [](int l) { return static_cast<float>(iq4_levels[l]); };
    for (int ib = 0; ib < size / 32; ++ib) {
        const float* xb = x + 32 * ib;
        std::uint8_t* Lb = L + 32 * ib;
        for (int j = 0; j < 32; ++j)
            weight[j] = qw ? mul(qw[32 * ib + j], std::sqrt(sigma2 + mul(xb[j], xb[j]))) : mul(xb[j], xb[j]);
        float amax = 0.f;
        const float max = signed_absmax(xb, 32, amax);
        if (amax < group_max_eps) {
            scales[ib] = 0.f;
            std::memset(Lb, 0, 32);
            continue;
        }
        float d = ntry > 0 ? -max / level(0) : max / level(0);
        float id = 1 / d;
        float sumqx = 0.f, sumq2 = 0.f;
        for (int j = 0; j < 32; ++j) {
            const int l = best_index_iq4(mul(id, xb[j]));
            Lb[j] = static_cast<std::uint8_t>(l);
            const float q = level(l), w = weight[j];
            sumqx += mul(mul(w, q), xb[j]);
            sumq2 += mul(mul(w, q), q);
        }
        d = sumq2 > 0.f ? sumqx / sumq2 : 0.f;
        float best = mul(d, sumqx);
        for (int itry = -ntry; itry <= ntry; ++itry) {
            id = static_cast<float>(itry + iq4_levels[0]) / max;
            sumqx = sumq2 = 0.f;
            for (int j = 0; j < 32; ++j) {
                const float q = level(best_index_iq4(mul(id, xb[j]))), w = weight[j];
                sumqx += mul(mul(w, q), xb[j]);
                sumq2 += mul(mul(w, q), q);
            }
            if (sumq2 > 0.f && mul(sumqx, sumqx) > mul(best, sumq2)) {
                d = sumqx / sumq2;
                best = mul(d, sumqx);
            }
        }
        scales[ib] = d;
    }
    max_scale = signed_absmax(scales, size / 32, amax_scale);
    if (size > 32) {
        *scales_h = 0;
        const float d = -max_scale / 32;
        dh = to_half(d, format, "super-scale");
        const float id = d != 0.f ? 1 / d : 0.f;
        for (int ib = 0; ib < size / 32; ++ib) {
            int l = std::max(-32, std::min(31, nearest_int(mul(id, scales[ib]))));
            const float dl = mul(d, static_cast<float>(l));
            const float idl = dl != 0.f ? 1 / dl : 0.f;
            for (int j = 0; j < 32; ++j) L[32 * ib + j] = static_cast<std::uint8_t>(best_index_iq4(mul(idl, x[32 * ib + j])));
            l += 32;
            const auto low = static_cast<std::uint8_t>(l & 0xf);
            if (ib % 2 == 0) scales_l[ib / 2] = low;
            else scales_l[ib / 2] = static_cast<std::uint8_t>(scales_l[ib / 2] | (low << 4));
            *scales_h = static_cast<std::uint16_t>(*scales_h | ((l >> 4) << (2 * ib)));
        }
    } else {
        dh = to_half(scales[0], format, "scale");
        if (ntry > 0) {
            const float id = scales[0] != 0.f ? 1 / scales[0] : 0.f;
            for (int j = 0; j < size; ++j) L[j] = static_cast<std::uint8_t>(best_index_iq4(mul(id, x[j])));
        }
    }
    for (int i = 0; i < size / 32; ++i)
        for (int j = 0; j < 16; ++j) q4[16 * i + j] = static_cast<std::uint8_t>(L[32 * i + j] | (L[32 * i + 16 + j] << 4));
}

}  // namespace detail

inline void quantize_row(iq4_nl, const float* x, std::int64_t n, std::byte* out, const float* importance) {
    for (std::size_t b = 0; b < blocks_in(n, 32); ++b) {
        block_iq4_nl y{};
        detail::quantize_iq4(32, x + 32 * b, importance ? importance + 32 * b : nullptr, 7, y.d, y.qs, nullptr, nullptr, "iq4_nl");
        detail::store_block(y, out + b * sizeof y);
    }
}

// ggml's quantize_row_iq4_nl_ref: the block's own least-squares scale, no candidate search.
inline void quantize_row_iq4_nl_ref(const float* x, std::int64_t n, std::byte* out) {
    for (std::size_t b = 0; b < blocks_in(n, 32); ++b) {
        block_iq4_nl y{};
        detail::quantize_iq4(32, x + 32 * b, nullptr, -1, y.d, y.qs, nullptr, nullptr, "iq4_nl");
        detail::store_block(y, out + b * sizeof y);
    }
}

inline void dequantize_row(iq4_nl, const std::byte* in, std::int64_t n, float* y) {
    using namespace detail;
    for (std::size_t b = 0; b < blocks_in(n, 32); ++b, y += 32) {
        const auto blk = load_block<block_iq4_nl>(in + b * sizeof(block_iq4_nl));
        const float d = from_half(blk.d);
        for (int j = 0; j < 16; ++j) {
            y[j] = mul(d, static_cast<float>(iq4_levels[blk.qs[j] & 0xf]));
            y[j + 16] = mul(d, static_cast<float>(iq4_levels[blk.qs[j] >> 4]));
        }
    }
}

inline void quantize_row(iq4_xs, const float* x, std::int64_t n, std::byte* out, const float* importance) {
    for (std::size_t b = 0; b < blocks_in(n, super_block); ++b) {
        block_iq4_xs y{};
        detail::quantize_iq4(super_block, x + super_block * b, importance ? importance + super_block * b : nullptr, 7, y.d, y.qs,
                             &y.scales_h, y.scales_l, "iq4_xs");
        detail::store_block(y, out + b * sizeof y);
    }
}

inline void dequantize_row(iq4_xs, const std::byte* in, std::int64_t n, float* y) {
    using namespace detail;
    for (std::size_t b = 0; b < blocks_in(n, super_block); ++b) {
        const auto blk = load_block<block_iq4_xs>(in + b * sizeof(block_iq4_xs));
        const float d = from_half(blk.d);
        for (int ib = 0; ib < 8; ++ib, y += 32) {
            const int ls = ((blk.scales_l[ib / 2] >> (4 * (ib % 2))) & 0xf) | (((blk.scales_h >> (2 * ib)) & 3) << 4);
            const float dl = mul(d, static_cast<float>(ls - 32));
            for (int j = 0; j < 16; ++j) {
                y[j] = mul(dl, static_cast<float>(iq4_levels[blk.qs[16 * ib + j] & 0xf]));
                y[j + 16] = mul(dl, static_cast<float>(iq4_levels[blk.qs[16 * ib + j] >> 4]));
            }
        }
    }
}

// ---- TQ1_0 / TQ2_0 ----
namespace detail {

inline float ternary_scale(const float* x, std::uint16_t& dh, const char* format) {
    float amax = 0.f;
    for (int j = 0; j < super_block; ++j) amax = std::max(amax, std::fabs(x[j]));
    dh = to_half(amax, format, "scale");
    return amax != 0.f ? 1.0f / amax : 0.0f;
}

inline int trit(float x, float id) { return lround_x86(mul(x, id)) + 1; }  // -1, 0, 1 -> 0, 1, 2

// `digits` trits (first most significant), padded to five, as ceil(value * 256 / 243).
inline std::uint8_t pack_trits(const float* x, int stride, int digits, float id) {
    std::uint8_t q = 0;
    for (int k = 0; k < digits; ++k) q = static_cast<std::uint8_t>(q * 3 + trit(x[k * stride], id));
    for (int k = digits; k < 5; ++k) q = static_cast<std::uint8_t>(q * 3);
    return static_cast<std::uint8_t>((static_cast<unsigned>(q) * 256 + 242) / 243);
}

inline float unpack_trit(std::uint8_t byte, int k, float d) {  // digit k (0 = most significant)
    static constexpr std::uint8_t pow3[5] = {1, 3, 9, 27, 81};
    const auto q = static_cast<std::uint8_t>(byte * pow3[k]);
    const int xi = (static_cast<int>(q) * 3) >> 8;
    return mul(static_cast<float>(xi - 1), d);
}

}  // namespace detail

inline void quantize_row(tq1_0, const float* x, std::int64_t n, std::byte* out, const float*) {
    using namespace detail;
    for (std::size_t b = 0; b < blocks_in(n, super_block); ++b, x += super_block) {
        block_tq1_0 y{};
        const float id = ternary_scale(x, y.d, "tq1_0");
        for (int m = 0; m < 32; ++m) y.qs[m] = pack_trits(x + m, 32, 5, id);            // elements 0..159
        for (int m = 0; m < 16; ++m) y.qs[32 + m] = pack_trits(x + 160 + m, 16, 5, id);  // 160..239
        for (int j = 0; j < 4; ++j) y.qh[j] = pack_trits(x + 240 + j, 4, 4, id);        // 240..255
        store_block(y, out + b * sizeof y);
    }
}

inline void dequantize_row(tq1_0, const std::byte* in, std::int64_t n, float* y) {
    using namespace detail;
    for (std::size_t b = 0; b < blocks_in(n, super_block); ++b, y += super_block) {
        const auto blk = load_block<block_tq1_0>(in + b * sizeof(block_tq1_0));
        const float d = from_half(blk.d);
        for (int k = 0; k < 5; ++k)
            for (int m = 0; m < 32; ++m) y[32 * k + m] = unpack_trit(blk.qs[m], k, d);
        for (int k = 0; k < 5; ++k)
            for (int m = 0; m < 16; ++m) y[160 + 16 * k + m] = unpack_trit(blk.qs[32 + m], k, d);
        for (int k = 0; k < 4; ++k)
            for (int j = 0; j < 4; ++j) y[240 + 4 * k + j] = unpack_trit(blk.qh[j], k, d);
    }
}

inline void quantize_row(tq2_0, const float* x, std::int64_t n, std::byte* out, const float*) {
    using namespace detail;
    for (std::size_t b = 0; b < blocks_in(n, super_block); ++b, x += super_block) {
        block_tq2_0 y{};
        const float id = ternary_scale(x, y.d, "tq2_0");
        for (int g = 0; g < 2; ++g)
            for (int m = 0; m < 32; ++m) {
                unsigned q = 0;
                for (int k = 0; k < 4; ++k) q += static_cast<unsigned>(trit(x[128 * g + m + 32 * k], id) & 3) << (2 * k);
                y.qs[32 * g + m] = static_cast<std::uint8_t>(q);
            }
        store_block(y, out + b * sizeof y);
    }
}

inline void dequantize_row(tq2_0, const std::byte* in, std::int64_t n, float* y) {
    using namespace detail;
    for (std::size_t b = 0; b < blocks_in(n, super_block); ++b, y += super_block) {
        const auto blk = load_block<block_tq2_0>(in + b * sizeof(block_tq2_0));
        const float d = from_half(blk.d);
        for (int i = 0; i < super_block; ++i) {
            const int q = (blk.qs[32 * (i / 128) + i % 32] >> (2 * ((i % 128) / 32))) & 3;
            y[i] = mul(static_cast<float>(q - 1), d);
        }
    }
}

}  // namespace reference
}  // namespace lowbit::gguf
