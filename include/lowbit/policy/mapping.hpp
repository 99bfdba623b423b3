// lowbit/policy/mapping.hpp - how a value range becomes a scale and a zero point.
//
// Both mappings see the range [lo, hi] of a group (after the range policy) and a code range
// [qmin, qmax] (from the bits policy). All arithmetic is f32 in the order written here.
//
// symmetric (signed codes only), no zero point:
//   amax  = max(-lo, hi)
//   scale = amax / qmax
// affine, zero point in [qmin, qmax]; the range is first widened to contain 0 so that the real
//   value 0 has an exact code (the zero point) and dequantizes to exactly 0:
//   lo'   = min(lo, 0),  hi' = max(hi, 0)
//   scale = (hi' - lo') / (qmax - qmin)
//   zp    = clamp(qmin - round_nearest_even(lo' * inv_scale), qmin, qmax)
// where inv_scale = 1 / stored scale (see lowbit/quant/params.hpp for storage and zero ranges).
#pragma once

#include "lowbit/policy/axis.hpp"

namespace lowbit {

struct symmetric {
    using axis = lowbit::axis::mapping;
    static constexpr bool has_zero_point = false;
};

struct affine {
    using axis = lowbit::axis::mapping;
    static constexpr bool has_zero_point = true;
};

}  // namespace lowbit
