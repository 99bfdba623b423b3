// The engine's own kernel entry points, one per arch tag, each defined in a translation unit
// built with that tag's flags (kernel_for_tag.cpp, compiled once per tag).
#pragma once

#include <lowbit/lowbit.hpp>

using weight_scheme = lowbit::scheme<lowbit::int_bits<4>, lowbit::per_group<32>, lowbit::scale_f16>;
using quantize_fn = void (*)(lowbit::matrix_view<const float>, lowbit::quantized_tensor<weight_scheme>&);

void quantize_scalar(lowbit::matrix_view<const float> x, lowbit::quantized_tensor<weight_scheme>& out);
void quantize_avx2(lowbit::matrix_view<const float> x, lowbit::quantized_tensor<weight_scheme>& out);
void quantize_avx512bw(lowbit::matrix_view<const float> x, lowbit::quantized_tensor<weight_scheme>& out);
