// lowbit/gemm/epilogue.hpp - what happens to the int32 products before they are stored: a
// compile-time list of small stages.
//
//     gemm::epilogue{gemm::dequantize{}, gemm::bias{b}, gemm::silu{}}                 -> float
//     gemm::epilogue{gemm::add_s32{b32}, gemm::requantize_fixed<gemm::double_rounding>{{m, shift}, zp}} -> int8
//     gemm::epilogue{}                                                                  -> raw int32
//
// Values enter as the exact int32 products acc[m][n] = sum_k (qa[m][k] - za[m]) W[n][k] (activation
// zero points are part of the product, not a stage). Each stage states its formula below; its
// operator() is that formula, written once for a float and for an xsimd batch, so the vector path
// and the scalar reference are the same algorithm and give the same bits (integer stages are
// exact; float stages use IEEE-exact operations and explicit fma only, see epilogue_math.hpp).
// Float stages take float, integer stages int32; a stage in the wrong place is a compile error.
// The output type decides the store: float after a float stage; int32, int8 or uint8 after an
// integer one (int8 and uint8 saturate; the requantize stages clamp to their own [lo, hi] first).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <tuple>
#include <utility>
#include <type_traits>

#include <xsimd/xsimd.hpp>

#include "lowbit/core/error.hpp"
#include "lowbit/core/unfused.hpp"
#include "lowbit/gemm/epilogue_math.hpp"
#include "lowbit/gemm/requantize.hpp"
#include "lowbit/policy/rounding.hpp"

namespace lowbit::gemm {

// Where the values of one stage call sit: output row `row`, columns from `col` (one per lane).
struct tile_position {
    std::int64_t row = 0, col = 0;
    float row_scale = 0.f;                   // the activation scale of the row
    const float* weight_scales = nullptr;    // per output channel, from the packing
};

namespace detail {

// The per-column values of a stage's parameters, for the lanes of V.
template <class V, class T>
V columns(const T* p, std::int64_t col) {
    if constexpr (std::is_arithmetic_v<V>) return p[col];
    else return V::load_unaligned(p + col);
}

template <class V>
auto to_float(const V& v) {
    if constexpr (std::is_arithmetic_v<V>) return static_cast<float>(v);
    else return xsimd::batch_cast<float>(v);
}

template <class F>
auto to_int32(const F& v) {
    if constexpr (std::is_arithmetic_v<F>) return static_cast<std::int32_t>(v);
    else return xsimd::batch_cast<std::int32_t>(v);
}

template <class S, class = void>
struct has_check : std::false_type {};
template <class S>
struct has_check<S, std::void_t<decltype(std::declval<const S&>().check(std::int64_t{}, std::declval<const float*>()))>> : std::true_type {};

}  // namespace detail

// v = float(acc) * (row_scale * weight_scale[n]): two float roundings, in this order.
struct dequantize {
    using input = std::int32_t;
    template <class V>
    auto operator()(const V& acc, const tile_position& at) const {
        using F = decltype(detail::to_float(acc));
        return detail::to_float(acc) * (F(at.row_scale) * detail::columns<F>(at.weight_scales, at.col));
    }
    void check(std::int64_t, const float* weight_scales) const {
        if (weight_scales == nullptr) lowbit::detail::fail("epilogue dequantize: the packed weights have no scales");
    }
};

// v + b[n], the sum rounded once (never fused with a preceding product).
struct bias {
    const float* values = nullptr;  // n per-channel biases
    using input = float;
    template <class F>
    F operator()(const F& v, const tile_position& at) const {
        return unfused(v) + detail::columns<F>(values, at.col);
    }
    void check(std::int64_t, const float*) const {
        if (values == nullptr) lowbit::detail::fail("epilogue bias: the bias is null");
    }
};

// acc + b[n] in int32, saturating (engines add an int32 bias before requantizing).
struct add_s32 {
    const std::int32_t* values = nullptr;
    using input = std::int32_t;
    static constexpr bool vectorized = false;
    std::int32_t operator()(std::int32_t v, const tile_position& at) const {
        return detail::saturate_int32(std::int64_t{v} + values[at.col]);
    }
    void check(std::int64_t, const float*) const {
        if (values == nullptr) lowbit::detail::fail("epilogue add_s32: the bias is null");
    }
};

// max(v, 0)
struct relu {
    using input = float;
    template <class F>
    F operator()(const F& v, const tile_position&) const {
        return lanes::max(v, F(0.f));
    }
};

// min(max(v, lo), hi)
struct clamp {
    float lo, hi;
    using input = float;
    template <class F>
    F operator()(const F& v, const tile_position&) const {
        return lanes::min(lanes::max(v, F(lo)), F(hi));
    }
    void check(std::int64_t, const float*) const {
        if (!(lo <= hi)) lowbit::detail::fail("epilogue clamp: lo = ", lo, " is not <= hi = ", hi);
    }
};

// v sigmoid(v) = v / (1 + exp(-v))
struct silu {
    using input = float;
    template <class F>
    F operator()(const F& v, const tile_position&) const {
        return math::times_sigmoid(v, v);
    }
};

// GELU, tanh form: v (1 + tanh(u)) / 2 = v / (1 + exp(-2u)), u = sqrt(2/pi) (v + 0.044715 v^3).
struct gelu {
    using input = float;
    template <class F>
    F operator()(const F& v, const tile_position&) const {
        const F two_u = F(1.5957691216057308f) * math::fma(F(0.044715f) * v, v * v, v);
        return math::times_sigmoid(v, two_u);
    }
};

// q = clamp(round_half_even(v * multiplier), lo - zero_point, hi - zero_point) + zero_point, an int32
// (lo and hi within +-2^23, so that the bounds less the zero point are exact floats);
// the multiplier per tensor, or per channel when `per_channel` is set.
struct requantize_float {
    float multiplier = 1.f;
    std::int32_t zero_point = 0, lo = -128, hi = 127;
    const float* per_channel = nullptr;
    using input = float;
    template <class F>
    auto operator()(const F& v, const tile_position& at) const {
        const F m = per_channel != nullptr ? detail::columns<F>(per_channel, at.col) : F(multiplier);
        const F q = round_nearest_even::apply(v * m);
        const F bounded = lanes::min(lanes::max(q, F(static_cast<float>(lo - zero_point))), F(static_cast<float>(hi - zero_point)));
        return detail::to_int32(bounded) + decltype(detail::to_int32(bounded))(zero_point);
    }
    void check(std::int64_t n, const float*) const {
        if (lo > hi) lowbit::detail::fail("epilogue requantize_float: lo = ", lo, " > hi = ", hi);
        if (lo < -(1 << 23) || hi > (1 << 23)) lowbit::detail::fail("epilogue requantize_float: [", lo, ", ", hi, "] exceeds [-2^23, 2^23]");
        if (zero_point < lo || zero_point > hi) lowbit::detail::fail("epilogue requantize_float: zero point ", zero_point, " is outside [lo, hi]");
        const auto check_one = [](float m) {
            if (!(std::isfinite(m) && m >= 0.f)) lowbit::detail::fail("epilogue requantize_float: multiplier ", m, " is not finite and >= 0");
        };
        if (per_channel == nullptr) check_one(multiplier);
        else
            for (std::int64_t c = 0; c < n; ++c) check_one(per_channel[c]);
    }
};

// q = clamp(Rounding::apply(acc, multiplier) + zero_point, lo, hi) (requantize.hpp), an int32; the
// multiplier per tensor, or per channel when `per_channel` is set.
template <class Rounding>
struct requantize_fixed {
    quantized_multiplier multiplier{};
    std::int32_t zero_point = 0, lo = -128, hi = 127;
    const quantized_multiplier* per_channel = nullptr;
    using input = std::int32_t;
    static constexpr bool vectorized = false;
    std::int32_t operator()(std::int32_t acc, const tile_position& at) const {
        const quantized_multiplier& q = per_channel != nullptr ? per_channel[at.col] : multiplier;
        const std::int64_t v = std::int64_t{Rounding::apply(acc, q)} + zero_point;
        return static_cast<std::int32_t>(std::min<std::int64_t>(std::max<std::int64_t>(v, lo), hi));
    }
    void check(std::int64_t n, const float*) const {
        if (lo > hi) lowbit::detail::fail("epilogue requantize_fixed: lo = ", lo, " > hi = ", hi);
        if (per_channel == nullptr) check_multiplier(multiplier, "epilogue requantize_fixed");
        else
            for (std::int64_t c = 0; c < n; ++c) check_multiplier(per_channel[c], "epilogue requantize_fixed");
    }
};

template <class... Stages>
struct epilogue {
    std::tuple<Stages...> stages;
    epilogue() = default;
    template <class... S, std::enable_if_t<sizeof...(S) == sizeof...(Stages) && (sizeof...(S) > 0), int> = 0>
    epilogue(S... s) : stages(std::move(s)...) {}  // NOLINT(google-explicit-constructor)

    // Checks every stage's parameters against n output channels.
    void check(std::int64_t n, const float* weight_scales) const {
        std::apply([&](const auto&... s) { (check_one(s, n, weight_scales), ...); }, stages);
    }

private:
    template <class S>
    static void check_one(const S& s, std::int64_t n, const float* weight_scales) {
        if constexpr (detail::has_check<S>::value) s.check(n, weight_scales);
    }
};
template <class... Stages>
epilogue(Stages...) -> epilogue<Stages...>;

}  // namespace lowbit::gemm
