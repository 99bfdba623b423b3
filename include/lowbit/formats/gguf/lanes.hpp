// lowbit/formats/gguf/lanes.hpp - GGUF arithmetic on groups of xsimd batches: one independent
// block (or sub-block, or element) per lane, each lane performing exactly the scalar operation of
// arithmetic.hpp. IEEE add, subtract, multiply, divide, sqrt and compares are exact per lane, so a
// lane reproduces the scalar sequence bit for bit as long as every product is unfused (mul) and
// integer conversions follow the scalar definitions (nearest_int).
//
// A lane group is N batches of one xsimd architecture handled in lockstep (wide<T, XA, N>): the
// scale searches are chains of dependent sums, one chain per lane, and N independent batches give
// the core N chains to overlap. W = N * batch size lanes in all. Every per-part loop is a pack
// expansion, so no optimization level leaves a loop over the parts in the code.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <utility>

#include <xsimd/xsimd.hpp>

#include "lowbit/core/config.hpp"
#include "lowbit/core/unfused.hpp"
#include "lowbit/kernels/simd_ops.hpp"

namespace lowbit::gguf::detail {

// An int constant as an array extent (template-dependent int extents draw -Wsign-conversion).
template <int V>
inline constexpr std::size_t extent = static_cast<std::size_t>(V);

// f(std::integral_constant<int, k>{}) for k = 0 .. N-1.
template <int N, class F, int... K>
LOWBIT_ALWAYS_INLINE void for_parts(F&& f, std::integer_sequence<int, K...>) {
    (f(std::integral_constant<int, K>{}), ...);
}
template <int N, class F>
LOWBIT_ALWAYS_INLINE void for_parts(F&& f) {
    for_parts<N>(std::forward<F>(f), std::make_integer_sequence<int, N>{});
}

template <class XA, int N>
struct wide_mask {
    using mask = xsimd::batch_bool<float, XA>;
    mask part[extent<N>];
    template <class Op>
    static wide_mask map(const wide_mask& a, const wide_mask& b, Op op) {
        wide_mask r;
        for_parts<N>([&](auto k) { r.part[k] = op(a.part[k], b.part[k]); });
        return r;
    }
    friend wide_mask operator&(const wide_mask& a, const wide_mask& b) { return map(a, b, std::bit_and<>{}); }
    friend wide_mask operator|(const wide_mask& a, const wide_mask& b) { return map(a, b, std::bit_or<>{}); }
    friend wide_mask operator!(const wide_mask& a) { return map(a, a, [](const mask& m, const mask&) { return !m; }); }
    friend bool any(const wide_mask& a) {
        bool r = false;
        for_parts<N>([&](auto k) { r = r || xsimd::any(a.part[k]); });
        return r;
    }
};

template <class T, class XA, int N>
struct wide {
    using batch = xsimd::batch<T, XA>;
    batch part[extent<N>];

    wide() = default;
    wide(T value) {  // NOLINT(google-explicit-constructor): broadcasts, as xsimd::batch does
        for_parts<N>([&](auto k) { part[k] = batch(value); });
    }
    template <class Op>
    static wide map(const wide& a, const wide& b, Op op) {
        wide r;
        for_parts<N>([&](auto k) { r.part[k] = op(a.part[k], b.part[k]); });
        return r;
    }
    friend wide operator+(const wide& a, const wide& b) { return map(a, b, std::plus<>{}); }
    friend wide operator-(const wide& a, const wide& b) { return map(a, b, std::minus<>{}); }
    friend wide operator/(const wide& a, const wide& b) { return map(a, b, std::divides<>{}); }
    friend wide operator&(const wide& a, const wide& b) { return map(a, b, std::bit_and<>{}); }
    friend wide operator-(const wide& a) { return map(a, a, [](const batch& x, const batch&) { return -x; }); }
    wide& operator+=(const wide& b) { return *this = *this + b; }

    template <class Op>
    static wide_mask<XA, N> compare(const wide& a, const wide& b, Op op) {
        wide_mask<XA, N> r;
        for_parts<N>([&](auto k) { r.part[k] = op(a.part[k], b.part[k]); });
        return r;
    }
    friend wide_mask<XA, N> operator<(const wide& a, const wide& b) { return compare(a, b, std::less<>{}); }
    friend wide_mask<XA, N> operator>(const wide& a, const wide& b) { return compare(a, b, std::greater<>{}); }
    friend wide_mask<XA, N> operator<=(const wide& a, const wide& b) { return compare(a, b, std::less_equal<>{}); }
    friend wide_mask<XA, N> operator==(const wide& a, const wide& b) { return compare(a, b, std::equal_to<>{}); }
    friend wide_mask<XA, N> operator!=(const wide& a, const wide& b) { return compare(a, b, std::not_equal_to<>{}); }
};

template <class XA, int N>
struct lanes {
    using F = wide<float, XA, N>;
    using I = wide<std::int32_t, XA, N>;
    using B = wide_mask<XA, N>;
    using FB = typename F::batch;
    using IB = typename I::batch;
    static constexpr int batch_size = static_cast<int>(FB::size);
    static constexpr int W = N * batch_size;

    template <class Out, class In, class Op>
    static Out apply(const In& a, Op op) {
        Out r;
        for_parts<N>([&](auto k) { r.part[k] = op(a.part[k]); });
        return r;
    }

    static F mul(const F& a, const F& b) {
        F r;
        for_parts<N>([&](auto k) { r.part[k] = unfused(static_cast<typename FB::register_type>(a.part[k] * b.part[k])); });
        return r;
    }
    static F abs(const F& a) { return apply<F>(a, [](const FB& v) { return xsimd::abs(v); }); }
    static F sqrt(const F& a) { return apply<F>(a, [](const FB& v) { return xsimd::sqrt(v); }); }
    static F min(const F& a, const F& b) { return F::map(a, b, [](const FB& x, const FB& y) { return xsimd::min(x, y); }); }
    static F max(const F& a, const F& b) { return F::map(a, b, [](const FB& x, const FB& y) { return xsimd::max(x, y); }); }

    // nearest_int of arithmetic.hpp, lane-wise: the same addition and bit arithmetic.
    static I nearest_int(const F& x) {
        return apply<I>(x, [](const FB& v) {
            const auto bits = xsimd::bitwise_cast<IB>(v + FB(12582912.f));
            return (bits & IB(0x007fffff)) - IB(0x00400000);
        });
    }

    // The same integer as nearest_int, as a float, for |x| <= 2^22 - 1 (nearest_int's own domain:
    // beyond it ggml's bit trick wraps): round half to even by the instruction's immediate. Callers
    // use it only where the operand is provably in that range.
    static F round_even(const F& x) { return apply<F>(x, [](const FB& v) { return kernels::round_even(v); }); }

    // clamp(v, lo, hi) on integral floats; max(v, lo) takes lo's +0 where v is -0, so that a
    // clamped code is the float of the scalar's integer code bit for bit.
    static F clamp(const F& v, float lo, float hi) { return min(max(v, F(lo)), F(hi)); }
    static I clamp(const I& v, int lo, int hi) {
        return apply<I>(v, [&](const IB& x) { return xsimd::min(xsimd::max(x, IB(lo)), IB(hi)); });
    }

    static F to_float(const I& i) { return apply<F>(i, [](const IB& v) { return xsimd::to_float(v); }); }  // |i| < 2^24

    static F select(const B& m, const F& a, const F& b) {
        F r;
        for_parts<N>([&](auto k) { r.part[k] = xsimd::select(m.part[k], a.part[k], b.part[k]); });
        return r;
    }
    static I select(const B& m, const I& a, const I& b) {  // integer lanes under a float-lane mask
        I r;
        for_parts<N>([&](auto k) {
            r.part[k] = xsimd::bitwise_cast<IB>(xsimd::select(m.part[k], xsimd::bitwise_cast<FB>(a.part[k]), xsimd::bitwise_cast<FB>(b.part[k])));
        });
        return r;
    }

    // x[i] lane l = src[l * stride + i] for l < W, i < count (count a multiple of the batch size):
    // W rows of a matrix with row stride `stride`, transposed.
    static void load_transposed(const float* src, int stride, int count, F* x) {
        typename F::batch columns[extent<64>];
        for_parts<N>([&](auto k) {
            kernels::load_transposed(src + k * batch_size * stride, static_cast<std::size_t>(stride), count, columns);
            for (int i = 0; i < count; ++i) x[i].part[k] = columns[i];
        });
    }
    static F load(const float* src) {  // W consecutive floats
        F r;
        for_parts<N>([&](auto k) { r.part[k] = FB::load_unaligned(src + k * batch_size); });
        return r;
    }
    template <class T, class P>
    static void store(const wide<T, XA, N>& v, P* dst) {  // W values to an array aligned to the batch
        for_parts<N>([&](auto k) { v.part[k].store_aligned(dst + k * batch_size); });
    }
};

}  // namespace lowbit::gguf::detail
