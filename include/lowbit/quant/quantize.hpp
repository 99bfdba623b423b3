// lowbit/quant/quantize.hpp - the public quantize / dequantize / fake_quantize entry points.
//
// They compute exactly what lowbit/quant/reference.hpp specifies, with the kernels of an arch
// tag (lowbit/arch/tags.hpp), lowbit::arch::native by default:
//   quantize<Scheme[, Arch]>(x)              quantize<Scheme[, Arch]>(x, out)
//   quantize_with_params<Scheme[, Arch]>(x, out)
//   dequantize[<Arch>](q)                    dequantize[<Arch>](q, out)
//   fake_quantize<Scheme[, Arch]>(x, out)
// Codes, packed bytes, scales, zero points and dequantized floats are bit-identical for every
// tag. The vector kernels need unit column stride; other views (a column-major Eigen matrix, say)
// are served by the scalar reference.
#pragma once

#include <vector>

#include "lowbit/arch/native.hpp"
#include "lowbit/kernels/quantize_arch.hpp"
#include "lowbit/kernels/quantize_vector.hpp"
#include "lowbit/quant/reference.hpp"

namespace lowbit {

namespace detail {
template <class Arch>
constexpr bool use_vector_kernels() {
    static_assert(kernels::compiled_for<Arch>(),
                  "lowbit: the requested arch tag is not enabled by this translation unit's compiler flags; "
                  "use lowbit::arch::native, or compile with the tag's -m flags");
    return !std::is_same_v<kernels::quantize_arch_t<Arch>, arch::scalar>;
}
// The vector kernels read rows with unit column stride (a single column has any stride). True,
// with the stride normalised to 1, when the non-empty view v can go to them.
template <class T>
bool vector_rows(matrix_view<T>& v) {
    if (v.empty() || (v.col_stride != 1 && v.cols > 1)) return false;
    v.col_stride = 1;
    return true;
}
template <class Scheme, class Arch>
using vector_quantizer_for = kernels::vector_quantizer<Scheme, typename kernels::quantize_arch_t<Arch>::xsimd_arch>;
}  // namespace detail

template <class Scheme, class Arch = arch::native>
void quantize(matrix_view<const float> x, quantized_tensor<Scheme>& out) {
    if constexpr (detail::use_vector_kernels<Arch>()) {
        detail::check_quantize_args(x, out);
        if (detail::vector_rows(x)) {
            detail::vector_quantizer_for<Scheme, Arch>::quantize(x, out);
            return;
        }
    }
    reference::quantize<Scheme>(x, out);
}

template <class Scheme, class Arch = arch::native>
quantized_tensor<Scheme> quantize(matrix_view<const float> x) {
    validate_view(x, "quantize: input");
    quantized_tensor<Scheme>::check_shape(x.rows, x.cols, "quantize");
    quantized_tensor<Scheme> out(x.rows, x.cols);
    quantize<Scheme, Arch>(x, out);
    return out;
}

template <class Scheme, class Arch = arch::native>
void quantize_with_params(matrix_view<const float> x, quantized_tensor<Scheme>& out) {
    if constexpr (detail::use_vector_kernels<Arch>()) {
        if (detail::vector_rows(x)) {  // the kernel checks x and out as the reference does
            detail::vector_quantizer_for<Scheme, Arch>::quantize_with_params(x, out);
            return;
        }
    }
    reference::quantize_with_params<Scheme>(x, out);
}

template <class Arch = arch::native, class Scheme>
void dequantize(const quantized_tensor<Scheme>& t, matrix_view<float> out) {
    if constexpr (detail::use_vector_kernels<Arch>()) {
        detail::check_dequantize_args(t, out);
        if (detail::vector_rows(out)) {
            detail::vector_quantizer_for<Scheme, Arch>::dequantize(t, out);
            return;
        }
    }
    reference::dequantize(t, out);
}

template <class Arch = arch::native, class Scheme>
std::vector<float> dequantize(const quantized_tensor<Scheme>& t) {
    std::vector<float> out(static_cast<std::size_t>(t.rows() * t.cols()));
    dequantize<Arch>(t, matrix_view<float>(out.data(), t.rows(), t.cols()));
    return out;
}

template <class Scheme, class Arch = arch::native>
void fake_quantize(matrix_view<const float> x, matrix_view<float> out) {
    if constexpr (detail::use_vector_kernels<Arch>()) {
        detail::check_fake_quantize_args<Scheme>(x, out);
        if (detail::vector_rows(x) && detail::vector_rows(out)) {
            detail::vector_quantizer_for<Scheme, Arch>::fake_quantize(x, out);
            return;
        }
    }
    reference::fake_quantize<Scheme>(x, out);
}

}  // namespace lowbit
