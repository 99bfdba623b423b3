// lowbit/kernels/vector_ranges.hpp - group ranges and quantization parameters on xsimd batches.
//
// The first half of the vector quantizer (lowbit/kernels/quantize_vector.hpp): the range of a
// row or of W groups at once (one group per lane), and the parameters of W groups computed
// lane-wise with the formulas of lowbit/quant/params.hpp, so that every value equals what the
// scalar try_group_params gives.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <type_traits>

#include "lowbit/core/lanes.hpp"
#include "lowbit/kernels/simd_ops.hpp"
#include "lowbit/quant/params.hpp"
#include "lowbit/policy/scheme.hpp"

namespace lowbit::kernels {

template <class Scheme, class XA>
struct vector_ranges {
    using F = xsimd::batch<float, XA>;
    using I = xsimd::batch<std::int32_t, XA>;
    using params_t = group_params<Scheme>;
    static constexpr index_t W = static_cast<index_t>(F::size);
    static constexpr std::size_t lanes = F::size;

    static constexpr std::int32_t inf_bits = 0x7f800000;
    static I abs_bits(const F& v) { return xsimd::bitwise_cast<I>(v) & I(0x7fffffff); }
    static F int_max(const F& a, const F& b) {
        return xsimd::bitwise_cast<F>(xsimd::max(xsimd::bitwise_cast<I>(a), xsimd::bitwise_cast<I>(b)));
    }

    // [lo, hi] of n contiguous floats folded into lo / hi; false if one is not finite. A symmetric
    // scheme needs only amax = max(-lo, hi) = max |x|: it folds -amax into lo and amax into hi,
    // which gives the reference's amax exactly. Four accumulators hide the latency of max.
    static bool fold_range(const float* x, index_t n, float& lo, float& hi) {
        const index_t full = n - n % (4 * W);
        if (full > 0) {
            I m0(0), m1(0), m2(0), m3(0);
            F lo0 = F::load_unaligned(x), hi0 = lo0, lo1 = lo0, hi1 = lo0;
            for (index_t i = 0; i < full; i += 4 * W) {
                const F v0 = F::load_unaligned(x + i), v1 = F::load_unaligned(x + i + W);
                const F v2 = F::load_unaligned(x + i + 2 * W), v3 = F::load_unaligned(x + i + 3 * W);
                m0 = xsimd::max(m0, abs_bits(v0));
                m1 = xsimd::max(m1, abs_bits(v1));
                m2 = xsimd::max(m2, abs_bits(v2));
                m3 = xsimd::max(m3, abs_bits(v3));
                if constexpr (Scheme::has_zero_point) {
                    lo0 = xsimd::min(lo0, xsimd::min(v0, v1));
                    hi0 = xsimd::max(hi0, xsimd::max(v0, v1));
                    lo1 = xsimd::min(lo1, xsimd::min(v2, v3));
                    hi1 = xsimd::max(hi1, xsimd::max(v2, v3));
                }
            }
            const I m = xsimd::max(xsimd::max(m0, m1), xsimd::max(m2, m3));
            if (xsimd::any(m >= I(inf_bits))) return false;
            if constexpr (Scheme::has_zero_point) {
                lo = lanes::min(lo, reduce_min(xsimd::min(lo0, lo1)));
                hi = lanes::max(hi, reduce_max(xsimd::max(hi0, hi1)));
            } else {
                const float amax = reduce_max(xsimd::bitwise_cast<F>(m));
                lo = lanes::min(lo, -amax);
                hi = lanes::max(hi, amax);
            }
        }
        for (index_t i = full; i < n; ++i) {
            if (!std::isfinite(x[i])) return false;
            if constexpr (Scheme::has_zero_point) {
                lo = lanes::min(lo, x[i]);
                hi = lanes::max(hi, x[i]);
            } else {
                lo = lanes::min(lo, -std::fabs(x[i]));
                hi = lanes::max(hi, std::fabs(x[i]));
            }
        }
        return true;
    }

    // Are all n floats finite?
    static bool finite(const float* x, index_t n) {
        const index_t full = n - n % W;
        I m(0);
        for (index_t i = 0; i < full; i += W) m = xsimd::max(m, abs_bits(F::load_unaligned(x + i)));
        if (xsimd::any(m >= I(inf_bits))) return false;
        for (index_t i = full; i < n; ++i)
            if (!std::isfinite(x[i])) return false;
        return true;
    }

    // Column-wise ranges for per_channel<1>: lanes are columns.
    static bool fold_columns(const float* x, index_t cols, float* lo, float* hi) {
        const index_t full = cols - cols % W;
        for (index_t c = 0; c < full; c += W) {
            const F v = F::load_unaligned(x + c);
            if (xsimd::any(abs_bits(v) >= I(inf_bits))) return false;
            xsimd::min(F::load_unaligned(lo + c), v).store_unaligned(lo + c);
            xsimd::max(F::load_unaligned(hi + c), v).store_unaligned(hi + c);
        }
        for (index_t c = full; c < cols; ++c) {
            if (!std::isfinite(x[c])) return false;
            lo[c] = lanes::min(lo[c], x[c]);
            hi[c] = lanes::max(hi[c], x[c]);
        }
        return true;
    }

    // Parameters of W groups, one per lane, in arrays the codes loop broadcasts from.
    struct block {
        alignas(64) float inv[lanes];
        alignas(64) float lo[lanes];
        alignas(64) float hi[lanes];
        alignas(64) float scale[lanes];
        alignas(64) std::int32_t zp[lanes];
        alignas(64) typename Scheme::scale_type stored[lanes];
    };

    static constexpr bool lane_wise_params =
        std::is_same_v<typename Scheme::scale_storage, scale_f32> ||
        (std::is_same_v<typename Scheme::scale_storage, scale_f16> && has_f16_round_trip<XA>);

    // The parameters of W groups from their ranges (lane k = group k), as try_group_params
    // computes them; false when one group's range cannot be represented.
    static bool block_params(F lo, F hi, block& b) {
        if constexpr (!lane_wise_params) {
            alignas(64) float l[lanes], h[lanes];
            lo.store_aligned(l);
            hi.store_aligned(h);
            for (std::size_t k = 0; k < lanes; ++k) {
                params_t p;
                float raw;
                if (!try_group_params<Scheme>(l[k], h[k], raw, p)) return false;
                b.inv[k] = p.inv_scale;
                b.lo[k] = static_cast<float>(Scheme::qmin - p.zero_point);
                b.hi[k] = static_cast<float>(Scheme::qmax - p.zero_point);
                b.scale[k] = p.scale;
                b.zp[k] = p.zero_point;
                b.stored[k] = p.stored;
            }
            return true;
        } else {
            if constexpr (Scheme::range::clips) {
                lo = lo * F(Scheme::range::ratio());
                hi = hi * F(Scheme::range::ratio());
            }
            F raw;
            xsimd::batch_bool<float, XA> zero;
            if constexpr (Scheme::has_zero_point) {
                lo = xsimd::min(lo, F(0.0f));
                hi = xsimd::max(hi, F(0.0f));
                raw = (hi - lo) / F(static_cast<float>(Scheme::qmax - Scheme::qmin));
                zero = hi == lo;
            } else {
                const F amax = xsimd::max(-lo, hi);
                raw = amax / F(static_cast<float>(Scheme::qmax));
                zero = amax == F(0.0f);
            }
            F scale = raw;
            if constexpr (std::is_same_v<typename Scheme::scale_storage, scale_f16>)
                scale = f16_round_trip(raw, reinterpret_cast<std::uint16_t*>(b.stored));
            const F inv = F(1.0f) / scale;
            const F inf(std::numeric_limits<float>::infinity());
            const auto finite = (xsimd::abs(raw) < inf) & (xsimd::abs(scale) < inf) & (scale != F(0.0f)) & (xsimd::abs(inv) < inf);
            const auto bad = (!zero) & (!finite);
            if (xsimd::any(bad)) return false;
            xsimd::select(zero, F(0.0f), scale).store_aligned(b.scale);
            xsimd::select(zero, F(0.0f), inv).store_aligned(b.inv);
            if constexpr (std::is_same_v<typename Scheme::scale_storage, scale_f32>) scale.store_aligned(b.stored);
            I zp(0);
            if constexpr (Scheme::has_zero_point) {
                const I shift = xsimd::batch_cast<std::int32_t>(xsimd::nearbyint(lo * xsimd::select(zero, F(0.0f), inv)));
                const F clamped = xsimd::batch_cast<float>(
                    xsimd::min(xsimd::max(I(Scheme::qmin) - shift, I(Scheme::qmin)), I(Scheme::qmax)));
                zp = xsimd::batch_cast<std::int32_t>(xsimd::select(zero, F(0.0f), clamped));
            }
            zp.store_aligned(b.zp);
            xsimd::batch_cast<float>(I(Scheme::qmin) - zp).store_aligned(b.lo);
            xsimd::batch_cast<float>(I(Scheme::qmax) - zp).store_aligned(b.hi);
            return true;
        }
    }
};

}  // namespace lowbit::kernels
