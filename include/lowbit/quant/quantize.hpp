// lowbit/quant/quantize.hpp - the public quantize / dequantize / fake_quantize entry points.
//
// They compute exactly what lowbit/quant/reference.hpp specifies. Today they run the reference;
// vector kernels selected by an arch tag slot in here without changing a single result.
#pragma once

#include <vector>

#include "lowbit/quant/reference.hpp"

namespace lowbit {

template <class Scheme>
quantized_tensor<Scheme> quantize(matrix_view<const float> x) {
    return reference::quantize<Scheme>(x);
}

template <class Scheme>
void quantize(matrix_view<const float> x, quantized_tensor<Scheme>& out) {
    reference::quantize<Scheme>(x, out);
}

template <class Scheme>
void quantize_with_params(matrix_view<const float> x, quantized_tensor<Scheme>& out) {
    reference::quantize_with_params<Scheme>(x, out);
}

template <class Scheme>
void dequantize(const quantized_tensor<Scheme>& t, matrix_view<float> out) {
    reference::dequantize(t, out);
}

template <class Scheme>
std::vector<float> dequantize(const quantized_tensor<Scheme>& t) {
    return reference::dequantize(t);
}

template <class Scheme>
void fake_quantize(matrix_view<const float> x, matrix_view<float> out) {
    reference::fake_quantize<Scheme>(x, out);
}

}  // namespace lowbit
