// lowbit/policy/rounding.hpp - the float -> integer step.
//
// Every mode works on the magnitude a = |v| and puts the sign back, using only floor, an exact
// subtraction and comparisons, so no mode depends on the floating-point environment (MXCSR,
// fesetround) or on the instruction set:
//   f = floor(a), d = a - f   (d is exact: it is the fraction bits of a)
//   round_nearest_even   f + 1 if d > 1/2, or d == 1/2 and f is odd; else f
//   round_half_away      f + 1 if d >= 1/2; else f                 (ties away from zero)
//   round_half_up        v >= 0: f + 1 if d >= 1/2;  v < 0: f + 1 if d > 1/2   (ties toward +Inf)
//   round_toward_zero    f
//   round_stochastic<S>  f + 1 if u < d; else f, where u = counter_uniform(key(S), index) and
//                        index = r * cols + c is the element's flat position in the tensor.
//                        E[result] = v up to the 2^-24 grid of u.
// The result is sign(v) * (the magnitude above), an integral float; -0 and +0 both mean code 0.
#pragma once

#include <cmath>
#include <cstdint>

#include "lowbit/core/counter_hash.hpp"
#include "lowbit/policy/axis.hpp"

namespace lowbit {

namespace detail {
inline bool is_odd_integral(float f) { return f - 2.0f * std::floor(f * 0.5f) == 1.0f; }
inline float with_sign_of(float magnitude, float v) { return v < 0.0f ? -magnitude : magnitude; }
}  // namespace detail

struct round_nearest_even {
    using axis = lowbit::axis::rounding;
    static constexpr bool is_stochastic = false;
    static float apply(float v, std::uint64_t /*index*/ = 0) {
        const float a = std::fabs(v);
        const float f = std::floor(a);
        const float d = a - f;
        const bool up = d > 0.5f || (d == 0.5f && detail::is_odd_integral(f));
        return detail::with_sign_of(up ? f + 1.0f : f, v);
    }
};

struct round_half_away {
    using axis = lowbit::axis::rounding;
    static constexpr bool is_stochastic = false;
    static float apply(float v, std::uint64_t /*index*/ = 0) {
        const float a = std::fabs(v);
        const float f = std::floor(a);
        return detail::with_sign_of(a - f >= 0.5f ? f + 1.0f : f, v);
    }
};

struct round_half_up {
    using axis = lowbit::axis::rounding;
    static constexpr bool is_stochastic = false;
    static float apply(float v, std::uint64_t /*index*/ = 0) {
        const float a = std::fabs(v);
        const float f = std::floor(a);
        const float d = a - f;
        const bool up = v >= 0.0f ? d >= 0.5f : d > 0.5f;
        return detail::with_sign_of(up ? f + 1.0f : f, v);
    }
};

struct round_toward_zero {
    using axis = lowbit::axis::rounding;
    static constexpr bool is_stochastic = false;
    static float apply(float v, std::uint64_t /*index*/ = 0) {
        return detail::with_sign_of(std::floor(std::fabs(v)), v);
    }
};

template <std::uint64_t Seed = 0>
struct round_stochastic {
    using axis = lowbit::axis::rounding;
    static constexpr bool is_stochastic = true;
    static constexpr std::uint64_t seed = Seed;
    static float apply(float v, std::uint64_t index) {
        const float a = std::fabs(v);
        const float f = std::floor(a);
        const float u = counter_uniform(counter_key(Seed), index);
        return detail::with_sign_of(u < a - f ? f + 1.0f : f, v);
    }
};

}  // namespace lowbit
