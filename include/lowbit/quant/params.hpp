// lowbit/quant/params.hpp - scale and zero point of one group, from its range. Normative.
//
// Input: lo = min(x), hi = max(x) over the group's (finite) values. All arithmetic is f32.
//   1. range policy:  lo = lo * ratio, hi = hi * ratio            (range_clip only)
//   2. mapping:       symmetric: amax = max(-lo, hi),        raw = amax / qmax
//                     affine:    lo = min(lo, 0), hi = max(hi, 0), raw = (hi - lo) / (qmax - qmin)
//   3. zero range:    if amax == 0 (symmetric) or hi == lo (affine; then both are 0):
//                     stored = encode(0), scale = 0, inv_scale = 0, zero_point = 0
//   4. storage:       stored = encode(raw), scale = decode(stored), inv_scale = 1 / scale
//                     raw not finite, scale not finite, scale == 0 or inv_scale not finite is an
//                     error: the range cannot be represented (overflow, or underflow to zero)
//   5. zero point:    affine: zero_point = clamp(qmin - round_nearest_even(lo * inv_scale), qmin, qmax)
//                     symmetric: 0
// Element quantization and dequantization with these parameters are in lowbit/quant/reference.hpp.
#pragma once

#include <algorithm>
#include <cmath>
#include <string>

#include "lowbit/core/error.hpp"
#include "lowbit/core/view.hpp"
#include "lowbit/policy/rounding.hpp"

namespace lowbit {

template <class Scheme>
struct group_params {
    typename Scheme::scale_type stored{};
    float scale = 0.0f;
    float inv_scale = 0.0f;
    int zero_point = 0;
};

// The parameters of a group, or false (and p unspecified) when step 4 finds the range cannot be
// represented. `lo` and `hi` return the range after steps 1 and 2, for messages.
template <class Scheme>
bool try_group_params(float& lo, float& hi, float& raw, group_params<Scheme>& p) {
    using storage = typename Scheme::scale_storage;
    constexpr int qmin = Scheme::qmin;
    constexpr int qmax = Scheme::qmax;
    if constexpr (Scheme::range::clips) {
        const float ratio = Scheme::range::ratio();
        lo *= ratio;
        hi *= ratio;
    }
    bool zero_range;
    if constexpr (Scheme::has_zero_point) {
        lo = std::min(lo, 0.0f);
        hi = std::max(hi, 0.0f);
        raw = (hi - lo) / static_cast<float>(qmax - qmin);
        zero_range = hi == lo;
    } else {
        const float amax = std::max(-lo, hi);
        raw = amax / static_cast<float>(qmax);
        zero_range = amax == 0.0f;
    }
    p = group_params<Scheme>{};
    if (zero_range) {
        p.stored = storage::encode(0.0f);
        return true;
    }
    if (!std::isfinite(raw)) return false;
    p.stored = storage::encode(raw);
    p.scale = storage::decode(p.stored);
    if (!std::isfinite(p.scale) || p.scale == 0.0f) return false;
    p.inv_scale = 1.0f / p.scale;
    if (!std::isfinite(p.inv_scale)) return false;
    if constexpr (Scheme::has_zero_point) {
        const int shift = static_cast<int>(round_nearest_even::apply(lo * p.inv_scale));
        p.zero_point = std::clamp(qmin - shift, qmin, qmax);
    }
    return true;
}

// The same, throwing a lowbit::error that says why. `who` (the calling function), g and cols name
// the group in the message ("quantize: row 3, group 1").
template <class Scheme>
group_params<Scheme> compute_group_params(float lo, float hi, const char* who, index_t g, index_t cols) {
    group_params<Scheme> p;
    float raw = 0.0f;
    if (try_group_params<Scheme>(lo, hi, raw, p)) return p;
    using storage = typename Scheme::scale_storage;
    const std::string where = std::string(who) + ": " + Scheme::granularity::describe(g, cols);
    if (!std::isfinite(raw)) detail::fail(where, ": the range [", lo, ", ", hi, "] gives a scale that overflows f32");
    const float scale = storage::decode(storage::encode(raw));
    if (!std::isfinite(scale))
        detail::fail(where, ": the scale ", raw, " of the range [", lo, ", ", hi, "] overflows ", storage::name, " storage");
    if (scale == 0.0f)
        detail::fail(where, ": the scale ", raw, " of the range [", lo, ", ", hi, "] underflows to zero in ", storage::name,
                     " storage");
    detail::fail(where, ": the scale ", scale, " of the range [", lo, ", ", hi,
                 "] is so small that its reciprocal overflows f32");
}

}  // namespace lowbit
