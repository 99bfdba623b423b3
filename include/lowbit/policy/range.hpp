// lowbit/policy/range.hpp - how the clipping range [lo, hi] of a group is chosen.
//
//   range_minmax      lo = min(x), hi = max(x) over the group
//   range_clip<P, Q>  lo = min(x) * ratio, hi = max(x) * ratio, ratio = float(P) / float(Q) (f32
//                     division), 0 < P <= Q. Values outside the clipped range clamp to the end
//                     codes; a ratio below 1 trades outlier error for resolution.
// The ratio is a fraction of integers because C++17 has no float template parameters.
#pragma once

#include "lowbit/policy/axis.hpp"

namespace lowbit {

struct range_minmax {
    using axis = lowbit::axis::range;
    static constexpr bool clips = false;
    static float ratio() { return 1.0f; }
};

template <int P, int Q>
struct range_clip {
    static_assert(P > 0 && Q > 0 && P <= Q, "range_clip<P, Q>: the clipping ratio P/Q must be in (0, 1]");
    using axis = lowbit::axis::range;
    static constexpr bool clips = true;
    static float ratio() { return static_cast<float>(P) / static_cast<float>(Q); }
};

}  // namespace lowbit
