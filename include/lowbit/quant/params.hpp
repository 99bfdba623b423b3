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

// `who` (the calling function), g and cols name the group in messages ("quantize: row 3, group 1");
// the text is built only on failure.
template <class Scheme>
group_params<Scheme> compute_group_params(float lo, float hi, const char* who, index_t g, index_t cols) {
    auto where = [&] { return std::string(who) + ": " + Scheme::granularity::describe(g, cols); };
    using storage = typename Scheme::scale_storage;
    constexpr int qmin = Scheme::qmin;
    constexpr int qmax = Scheme::qmax;
    if constexpr (Scheme::range::clips) {
        const float ratio = Scheme::range::ratio();
        lo *= ratio;
        hi *= ratio;
    }
    float raw;
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
    group_params<Scheme> p;
    if (zero_range) {
        p.stored = storage::encode(0.0f);
        return p;
    }
    if (!std::isfinite(raw))
        detail::fail(where(), ": the range [", lo, ", ", hi, "] gives a scale that overflows f32");
    p.stored = storage::encode(raw);
    p.scale = storage::decode(p.stored);
    if (!std::isfinite(p.scale))
        detail::fail(where(), ": the scale ", raw, " of the range [", lo, ", ", hi, "] overflows ", storage::name,
                     " storage");
    if (p.scale == 0.0f)
        detail::fail(where(), ": the scale ", raw, " of the range [", lo, ", ", hi, "] underflows to zero in ",
                     storage::name, " storage");
    p.inv_scale = 1.0f / p.scale;
    if (!std::isfinite(p.inv_scale))
        detail::fail(where(), ": the scale ", p.scale, " of the range [", lo, ", ", hi,
                     "] is so small that its reciprocal overflows f32");
    if constexpr (Scheme::has_zero_point) {
        const int shift = static_cast<int>(round_nearest_even::apply(lo * p.inv_scale));
        p.zero_point = std::clamp(qmin - shift, qmin, qmax);
    }
    return p;
}

}  // namespace lowbit
