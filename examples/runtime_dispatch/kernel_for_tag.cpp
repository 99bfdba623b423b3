// Compiled once per tag with that tag's flags; LOWBIT_EXAMPLE_TAG names the tag (scalar, avx2,
// avx512bw). Each unit instantiates lowbit's kernels for its own tag only.
#include "kernels.hpp"

#define LOWBIT_EXAMPLE_CAT2(a, b) a##b
#define LOWBIT_EXAMPLE_CAT(a, b) LOWBIT_EXAMPLE_CAT2(a, b)

void LOWBIT_EXAMPLE_CAT(quantize_, LOWBIT_EXAMPLE_TAG)(lowbit::matrix_view<const float> x,
                                                      lowbit::quantized_tensor<weight_scheme>& out) {
    lowbit::quantize<weight_scheme, lowbit::arch::LOWBIT_EXAMPLE_TAG>(x, out);
}
