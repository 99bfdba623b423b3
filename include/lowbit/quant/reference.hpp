// lowbit/quant/reference.hpp - the scalar reference of quantize, dequantize and fake-quantize.
//
// This file is the specification: every vector kernel must reproduce its codes, packed bytes,
// scales and zero points bit for bit, and its dequantized floats exactly. Formulas, in f32:
//
//   group ranges     lo(g) = min x, hi(g) = max x over the group's elements; any NaN or Inf in the
//                    input is an error naming its row, column and group
//   parameters       scale, inv_scale, zero_point per group: lowbit/quant/params.hpp
//   quantize         v = x * inv_scale
//                    v = min(max(v, qmin - zp), qmax - zp)          clamp first: bounds are integers,
//                                                                   so this equals clamping the code
//                    q = int(rounding(v, index)) + zp               index = r * cols + c
//   dequantize       x' = float(q - zp) * scale                     the integer difference is exact
//   fake-quantize    x' = dequantize(quantize(x)), same parameters, no packing
//   static quantize  quantize_with_params: the same element formula with parameters already
//                    stored in the output tensor (calibrated, or from an earlier tensor)
//
// Entry points take strided views (lowbit/core/view.hpp) and validate them; the per-element
// helpers quantize_value / dequantize_value are what vector kernels must match.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <utility>
#include <vector>

#include "lowbit/core/error.hpp"
#include "lowbit/core/view.hpp"
#include "lowbit/quant/pack.hpp"
#include "lowbit/quant/params.hpp"
#include "lowbit/quant/quantized_tensor.hpp"

namespace lowbit {

template <class Scheme>
typename Scheme::code_type quantize_value(float x, const group_params<Scheme>& p, std::uint64_t index) {
    float v = x * p.inv_scale;
    v = std::min(std::max(v, static_cast<float>(Scheme::qmin - p.zero_point)),
                 static_cast<float>(Scheme::qmax - p.zero_point));
    return static_cast<typename Scheme::code_type>(static_cast<int>(Scheme::rounding::apply(v, index)) + p.zero_point);
}

inline float dequantize_value(int code, int zero_point, float scale) {
    return static_cast<float>(code - zero_point) * scale;
}

namespace detail {

// Parameters of every group of x, in group order. Checks that x is finite.
template <class Scheme>
std::vector<group_params<Scheme>> compute_params(matrix_view<const float> x, const char* who) {
    using granularity = typename Scheme::granularity;
    const index_t groups = x.empty() ? 0 : granularity::group_count(x.rows, x.cols);
    std::vector<std::pair<float, float>> ranges(static_cast<std::size_t>(groups),
                                                {std::numeric_limits<float>::infinity(),
                                                 -std::numeric_limits<float>::infinity()});
    for (index_t r = 0; r < x.rows; ++r)
        for (index_t c = 0; c < x.cols; ++c) {
            const float v = x(r, c);
            const index_t g = granularity::group_of(r, c, x.cols);
            if (!std::isfinite(v))
                fail(who, ": input has ", v, " at row ", r, ", column ", c, " (", granularity::describe(g, x.cols), ")");
            auto& range = ranges[static_cast<std::size_t>(g)];
            range.first = std::min(range.first, v);
            range.second = std::max(range.second, v);
        }
    std::vector<group_params<Scheme>> params;
    params.reserve(ranges.size());
    for (index_t g = 0; g < groups; ++g) {
        const auto& range = ranges[static_cast<std::size_t>(g)];
        params.push_back(compute_group_params<Scheme>(range.first, range.second, who, g, x.cols));
    }
    return params;
}

// Writes the stored scales and zero points of every group into out.
template <class Scheme>
void store_params(const std::vector<group_params<Scheme>>& params, quantized_tensor<Scheme>& out) {
    for (std::size_t g = 0; g < params.size(); ++g) {
        out.stored_scales()[g] = params[g].stored;
        if constexpr (Scheme::has_zero_point)
            out.zero_points()[g] = static_cast<typename Scheme::code_type>(params[g].zero_point);
    }
}

// Codes of every element of x with the given per-group parameters, packed into out's rows.
template <class Scheme>
void quantize_codes(matrix_view<const float> x, const std::vector<group_params<Scheme>>& params,
                    quantized_tensor<Scheme>& out) {
    std::vector<typename Scheme::code_type> codes(static_cast<std::size_t>(x.cols));
    for (index_t r = 0; r < x.rows; ++r) {
        for (index_t c = 0; c < x.cols; ++c) {
            const auto& p = params[static_cast<std::size_t>(Scheme::granularity::group_of(r, c, x.cols))];
            codes[static_cast<std::size_t>(c)] =
                quantize_value<Scheme>(x(r, c), p, static_cast<std::uint64_t>(r * x.cols + c));
        }
        pack_row<Scheme::bits::bits, typename Scheme::packing>(codes.data(), x.cols, out.row_data(r));
    }
}

template <class T, class U>
bool views_partially_overlap(const matrix_view<T>& a, const matrix_view<U>& b) {
    if (a.empty() || b.empty()) return false;
    const auto* a0 = reinterpret_cast<const char*>(a.data);
    const auto* b0 = reinterpret_cast<const char*>(b.data);
    const auto* a1 = reinterpret_cast<const char*>(a.data + view_extent(a));
    const auto* b1 = reinterpret_cast<const char*>(b.data + view_extent(b));
    const bool overlap = std::less<const char*>()(a0, b1) && std::less<const char*>()(b0, a1);
    const bool same = a0 == b0 && a.row_stride == b.row_stride && a.col_stride == b.col_stride;
    return overlap && !same;
}

// Argument checks shared by the reference and the vector entry points.
template <class Scheme>
void check_quantize_args(matrix_view<const float> x, const quantized_tensor<Scheme>& out) {
    validate_view(x, "quantize: input");
    quantized_tensor<Scheme>::check_shape(x.rows, x.cols, "quantize");
    if (out.rows() != x.rows || out.cols() != x.cols)
        fail("quantize: the output tensor is ", out.rows(), " x ", out.cols(), " but the input is ", x.rows, " x ", x.cols);
}

template <class Scheme>
void check_dequantize_args(const quantized_tensor<Scheme>& t, matrix_view<float> out) {
    validate_view(out, "dequantize: output");
    if (out.rows != t.rows() || out.cols != t.cols())
        fail("dequantize: the output is ", out.rows, " x ", out.cols, " but the tensor is ", t.rows(), " x ", t.cols());
}

template <class Scheme>
void check_fake_quantize_args(matrix_view<const float> x, matrix_view<float> out) {
    validate_view(x, "fake_quantize: input");
    validate_view(out, "fake_quantize: output");
    quantized_tensor<Scheme>::check_shape(x.rows, x.cols, "fake_quantize");
    if (out.rows != x.rows || out.cols != x.cols)
        fail("fake_quantize: the output is ", out.rows, " x ", out.cols, " but the input is ", x.rows, " x ", x.cols);
    if (views_partially_overlap(x, out)) fail("fake_quantize: the output overlaps the input without being the same view");
}

// The parameters stored in out, checked, for quantize_with_params: scale = decode(stored),
// inv_scale = 1 / scale (0 for a zero scale), the stored zero point.
template <class Scheme>
std::vector<group_params<Scheme>> stored_params(matrix_view<const float> x, const quantized_tensor<Scheme>& out) {
    validate_view(x, "quantize_with_params: input");
    if (out.rows() != x.rows || out.cols() != x.cols)
        fail("quantize_with_params: the output tensor is ", out.rows(), " x ", out.cols(), " but the input is ", x.rows,
             " x ", x.cols);
    std::vector<group_params<Scheme>> params(static_cast<std::size_t>(out.group_count()));
    for (index_t g = 0; g < out.group_count(); ++g) {
        auto& p = params[static_cast<std::size_t>(g)];
        p.stored = out.stored_scales()[static_cast<std::size_t>(g)];
        p.scale = out.scale(g);
        p.zero_point = out.zero_point(g);
        p.inv_scale = p.scale == 0.0f ? 0.0f : 1.0f / p.scale;
        if (!(p.scale >= 0.0f) || !std::isfinite(p.scale) || !std::isfinite(p.inv_scale))
            fail("quantize_with_params: ", Scheme::granularity::describe(g, x.cols), ": stored scale ", p.scale,
                 " is negative, not finite or too small to invert");
        if (p.zero_point < Scheme::qmin || p.zero_point > Scheme::qmax)
            fail("quantize_with_params: ", Scheme::granularity::describe(g, x.cols), ": zero point ", p.zero_point,
                 " is outside [", Scheme::qmin, ", ", Scheme::qmax, "]");
    }
    return params;
}

}  // namespace detail

namespace reference {

// Quantizes x into out, which must have x's shape.
template <class Scheme>
void quantize(matrix_view<const float> x, quantized_tensor<Scheme>& out) {
    detail::check_quantize_args(x, out);
    const auto params = detail::compute_params<Scheme>(x, "quantize");
    detail::store_params(params, out);
    detail::quantize_codes(x, params, out);
}

// Static quantization: quantizes x with the scales and zero points already stored in out (from
// calibration, or from an earlier tensor) and writes only the codes. The parameters are derived
// from storage as in step 4 of lowbit/quant/params.hpp: scale = decode(stored), inv_scale =
// 1 / scale, or 0 for a zero scale (every code is then the zero point).
template <class Scheme>
void quantize_with_params(matrix_view<const float> x, quantized_tensor<Scheme>& out) {
    const auto params = detail::stored_params(x, out);
    for (index_t r = 0; r < x.rows; ++r)
        for (index_t c = 0; c < x.cols; ++c)
            if (!std::isfinite(x(r, c)))
                detail::fail("quantize_with_params: input has ", x(r, c), " at row ", r, ", column ", c, " (",
                             Scheme::granularity::describe(Scheme::granularity::group_of(r, c, x.cols), x.cols), ")");
    detail::quantize_codes(x, params, out);
}

template <class Scheme>
quantized_tensor<Scheme> quantize(matrix_view<const float> x) {
    validate_view(x, "quantize: input");
    quantized_tensor<Scheme>::check_shape(x.rows, x.cols, "quantize");
    quantized_tensor<Scheme> out(x.rows, x.cols);
    reference::quantize<Scheme>(x, out);
    return out;
}

// Writes the dequantized tensor into out, which must have the tensor's shape.
template <class Scheme>
void dequantize(const quantized_tensor<Scheme>& t, matrix_view<float> out) {
    detail::check_dequantize_args(t, out);
    std::vector<typename Scheme::code_type> codes(static_cast<std::size_t>(t.cols()));
    for (index_t r = 0; r < t.rows(); ++r) {
        detail::unpack_row<Scheme::bits::bits, Scheme::bits::is_signed, typename Scheme::packing>(
            t.row_data(r), t.cols(), codes.data());
        for (index_t c = 0; c < t.cols(); ++c) {
            const index_t g = t.group_of(r, c);
            out(r, c) = dequantize_value(codes[static_cast<std::size_t>(c)], t.zero_point(g), t.scale(g));
        }
    }
}

// The dequantized tensor as a new row-major buffer.
template <class Scheme>
std::vector<float> dequantize(const quantized_tensor<Scheme>& t) {
    std::vector<float> out(static_cast<std::size_t>(t.rows() * t.cols()));
    reference::dequantize(t, matrix_view<float>(out.data(), t.rows(), t.cols()));
    return out;
}

// out = dequantize(quantize(x)) without packing. out may be x itself (in place) but must not
// overlap it otherwise.
template <class Scheme>
void fake_quantize(matrix_view<const float> x, matrix_view<float> out) {
    detail::check_fake_quantize_args<Scheme>(x, out);
    const auto params = detail::compute_params<Scheme>(x, "fake_quantize");
    for (index_t r = 0; r < x.rows; ++r)
        for (index_t c = 0; c < x.cols; ++c) {
            const auto& p = params[static_cast<std::size_t>(Scheme::granularity::group_of(r, c, x.cols))];
            const int q = quantize_value<Scheme>(x(r, c), p, static_cast<std::uint64_t>(r * x.cols + c));
            out(r, c) = dequantize_value(q, p.zero_point, p.scale);
        }
}

}  // namespace reference
}  // namespace lowbit
