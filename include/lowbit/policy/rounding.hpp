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
//
// apply() is written once over lowbit::lanes operations and serves a float (with a 64-bit index)
// and an xsimd batch (with a lanes::index_batch). One exception: on a batch, nearest-even uses the
// instruction's explicit round-to-nearest-even immediate, which yields the same integer for every
// float (tests prove it against the formula, ties included).
#pragma once

#include <cstdint>
#include <type_traits>

#include "lowbit/core/counter_hash.hpp"
#include "lowbit/core/lanes.hpp"
#include "lowbit/policy/axis.hpp"

namespace lowbit {

struct round_nearest_even {
    using axis = lowbit::axis::rounding;
    static constexpr bool is_stochastic = false;
    template <class F, class I = std::uint64_t>
    static F apply(const F& v, const I& = {}) {
        if constexpr (std::is_same_v<F, float>) {
            const F a = lanes::abs(v);
            const F f = lanes::floor(a);
            const F d = a - f;
            const bool up = d > 0.5f || (d == 0.5f && lanes::is_odd(f));
            return lanes::with_sign_of(up ? f + 1.0f : f, v);
        } else {
            return xsimd::nearbyint(v);
        }
    }
};

struct round_half_away {
    using axis = lowbit::axis::rounding;
    static constexpr bool is_stochastic = false;
    template <class F, class I = std::uint64_t>
    static F apply(const F& v, const I& = {}) {
        const F a = lanes::abs(v);
        const F f = lanes::floor(a);
        return lanes::with_sign_of(lanes::select(a - f >= F(0.5f), f + F(1.0f), f), v);
    }
};

struct round_half_up {
    using axis = lowbit::axis::rounding;
    static constexpr bool is_stochastic = false;
    template <class F, class I = std::uint64_t>
    static F apply(const F& v, const I& = {}) {
        const F a = lanes::abs(v);
        const F f = lanes::floor(a);
        const F d = a - f;
        // v >= 0: up if d >= 1/2; v < 0: up if d > 1/2.
        const F step = lanes::select(v < F(0.0f), lanes::select(d > F(0.5f), F(1.0f), F(0.0f)),
                                     lanes::select(d >= F(0.5f), F(1.0f), F(0.0f)));
        return lanes::with_sign_of(f + step, v);
    }
};

struct round_toward_zero {
    using axis = lowbit::axis::rounding;
    static constexpr bool is_stochastic = false;
    template <class F, class I = std::uint64_t>
    static F apply(const F& v, const I& = {}) {
        return lanes::with_sign_of(lanes::floor(lanes::abs(v)), v);
    }
};

template <std::uint64_t Seed = 0>
struct round_stochastic {
    using axis = lowbit::axis::rounding;
    static constexpr bool is_stochastic = true;
    static constexpr std::uint64_t seed = Seed;
    template <class F, class I>
    static F apply(const F& v, const I& index) {
        const F a = lanes::abs(v);
        const F f = lanes::floor(a);
        const F u = counter_uniform(counter_key(Seed), index);
        return lanes::with_sign_of(lanes::select(u < a - f, f + F(1.0f), f), v);
    }
};

}  // namespace lowbit
