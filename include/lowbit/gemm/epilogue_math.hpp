// lowbit/gemm/epilogue_math.hpp - exp and the logistic function for the activation stages, written
// once over lowbit::lanes operations so that a float and an xsimd batch give the same bits.
//
// exp(x) for x clamped to [-87.3, 88.3] (results stay normal, no overflow):
//     n = round_half_even(x log2 e),  r = x - n ln2 (ln2 split in two, both steps fused),
//     p(r) = 1 + r + r^2 (c2 + r (c3 + ...)),  the degree-7 minimax fit on |r| <= ln2 / 2 from the
//     Cephes library's expf, accurate to about 2 ulp;  exp(x) = p(r) 2^n, 2^n built in the exponent.
// Every multiply-add is an explicit fma, every other operation is IEEE-exact per lane and the
// result is unfused (core/unfused.hpp), so it depends neither on the instruction set nor on
// -ffp-contract (g++ contracts in C++ even with -std=c++17).
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>
#include <type_traits>

#include <xsimd/xsimd.hpp>
#if defined(__FMA__) || defined(__AVX512F__)
#include <immintrin.h>
#endif

#include "lowbit/core/lanes.hpp"
#include "lowbit/core/unfused.hpp"
#include "lowbit/policy/rounding.hpp"

namespace lowbit::gemm::math {

// a b + c rounded once. xsimd 8.1's fma is a multiply and an add on its avx2 and avx512bw
// architectures (two roundings, unless the compiler happens to contract them), so the fused
// instruction is called directly; without one, each lane goes through std::fma.
inline float fma(float a, float b, float c) { return std::fma(a, b, c); }
template <class A>
xsimd::batch<float, A> fma(const xsimd::batch<float, A>& a, const xsimd::batch<float, A>& b, const xsimd::batch<float, A>& c) {
#if defined(__AVX512F__)
    if constexpr (sizeof(a.data) == 64) return _mm512_fmadd_ps(a, b, c);
#endif
#if defined(__FMA__)
    if constexpr (sizeof(a.data) == 32) return _mm256_fmadd_ps(a, b, c);
    if constexpr (sizeof(a.data) == 16) return _mm_fmadd_ps(a, b, c);
#endif
    alignas(64) float x[xsimd::batch<float, A>::size], y[xsimd::batch<float, A>::size], z[xsimd::batch<float, A>::size];
    a.store_aligned(x);
    b.store_aligned(y);
    c.store_aligned(z);
    for (std::size_t i = 0; i < xsimd::batch<float, A>::size; ++i) x[i] = std::fma(x[i], y[i], z[i]);
    return xsimd::batch<float, A>::load_aligned(x);
}

// 2^n for an integral n in [-126, 127].
inline float pow2(float n) {
    const auto bits = static_cast<std::uint32_t>(static_cast<std::int32_t>(n) + 127) << 23;
    float f;
    std::memcpy(&f, &bits, sizeof f);
    return f;
}
template <class A>
xsimd::batch<float, A> pow2(const xsimd::batch<float, A>& n) {
    const auto e = (xsimd::batch_cast<std::int32_t>(n) + xsimd::batch<std::int32_t, A>(127)) << 23;
    return xsimd::bitwise_cast<xsimd::batch<float, A>>(e);
}

template <class F>
F exp(F x) {
    x = lanes::min(lanes::max(x, F(-87.3f)), F(88.3f));
    const F n = round_nearest_even::apply(x * F(1.44269504088896341f));
    F r = math::fma(n, F(-0.693359375f), x);  // ln 2 = 0.693359375 - 2.12194440e-4, the first part exact in 9 bits
    r = math::fma(n, F(2.12194440e-4f), r);
    F p = F(1.9875691500e-4f);
    p = math::fma(p, r, F(1.3981999507e-3f));
    p = math::fma(p, r, F(8.3334519073e-3f));
    p = math::fma(p, r, F(4.1665795894e-2f));
    p = math::fma(p, r, F(1.6666665459e-1f));
    p = math::fma(p, r, F(5.0000001201e-1f));
    p = math::fma(p, r * r, r + F(1.f));
    return unfused(p * math::pow2(n));  // never fused into the caller's next add
}

// Calls are qualified: on a batch, unqualified exp and fma would find xsimd's by ADL.

// x / (1 + exp(-t)): x times the logistic function of t, without the cancellation of 1 + tanh.
template <class F>
F times_sigmoid(F x, F t) {
    return x / (F(1.f) + math::exp(-t));
}

}  // namespace lowbit::gemm::math
