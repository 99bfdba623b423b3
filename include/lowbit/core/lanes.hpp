// lowbit/core/lanes.hpp - the operations element formulas are written in, for one float and for
// an xsimd batch of floats alike, so that a policy's formula is written once and its scalar and
// vector instances are the same algorithm.
#pragma once

#include <cmath>
#include <cstdint>

#include <xsimd/xsimd.hpp>

namespace lowbit::lanes {

inline float abs(float x) { return std::fabs(x); }
inline float floor(float x) { return std::floor(x); }
inline float select(bool c, float a, float b) { return c ? a : b; }
// min / max as the reference folds ranges: (v < lo) ? v : lo, (hi < v) ? v : hi.
inline float min(float a, float b) { return b < a ? b : a; }
inline float max(float a, float b) { return a < b ? b : a; }

template <class A>
xsimd::batch<float, A> abs(const xsimd::batch<float, A>& x) {
    return xsimd::abs(x);
}
template <class A>
xsimd::batch<float, A> floor(const xsimd::batch<float, A>& x) {
    return xsimd::floor(x);
}
template <class A>
xsimd::batch<float, A> select(const xsimd::batch_bool<float, A>& c, const xsimd::batch<float, A>& a,
                              const xsimd::batch<float, A>& b) {
    return xsimd::select(c, a, b);
}
template <class A>
xsimd::batch<float, A> min(const xsimd::batch<float, A>& a, const xsimd::batch<float, A>& b) {
    return xsimd::select(b < a, b, a);
}
template <class A>
xsimd::batch<float, A> max(const xsimd::batch<float, A>& a, const xsimd::batch<float, A>& b) {
    return xsimd::select(a < b, b, a);
}

// f is an integral float: is it odd? (f - 2 floor(f / 2) is exact.)
template <class F>
auto is_odd(const F& f) {
    return f - F(2.0f) * lanes::floor(f * F(0.5f)) == F(1.0f);
}

// The magnitude m with the sign of v; a zero magnitude becomes -0 only for negative v.
template <class F>
F with_sign_of(const F& m, const F& v) {
    return lanes::select(v < F(0.0f), -m, m);
}

// The flat element indices of a batch: lane k is lo + k (mod 2^32) with the upper 32 bits `hi`,
// valid while lo + k does not wrap (callers split at 2^32 boundaries).
template <class A>
struct index_batch {
    xsimd::batch<std::uint32_t, A> lo;
    std::uint32_t hi;
};

}  // namespace lowbit::lanes
