// Schemes that must not compile. tests/compile_fail/CMakeLists.txt compiles this file once per
// LOWBIT_CASE and expects the compiler to print the static_assert message we promise. Case 0 is
// the control: a valid scheme that must compile.
#include "lowbit/quant/quantized_tensor.hpp"

using namespace lowbit;

#if LOWBIT_CASE == 0
using S = scheme<int_bits<4>, per_group<32>, affine, scale_f16>;
#elif LOWBIT_CASE == 1
using S = scheme<uint_bits<4>, symmetric>;
#elif LOWBIT_CASE == 2
using S = scheme<int_bits<4>, int_bits<8>>;
#elif LOWBIT_CASE == 3
using S = scheme<int_bits<3>, per_group<12>>;
#elif LOWBIT_CASE == 4
using S = scheme<int_bits<8>, pack_split_halves<32>>;
#elif LOWBIT_CASE == 5
using S = scheme<int_bits<4>, per_group<16>, pack_split_halves<32>>;
#elif LOWBIT_CASE == 6
using S = scheme<int_bits<9>>;
#elif LOWBIT_CASE == 7
using S = scheme<int_bits<4>, float>;
#elif LOWBIT_CASE == 8
using S = scheme<int_bits<4>, range_clip<3, 2>>;
#elif LOWBIT_CASE == 9
using S = scheme<int_bits<4>, per_channel<2>>;
#elif LOWBIT_CASE == 10
using S = scheme<affine, symmetric>;
#elif LOWBIT_CASE == 11
using S = scheme<int_bits<4>, per_group<0>>;
#endif

int main() {
    quantized_tensor<S> t(1, 32);
    return static_cast<int>(t.rows()) - 1;
}
