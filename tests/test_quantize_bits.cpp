// Properties of the reference quantizer for every bit width, signed and unsigned, symmetric and
// affine, full and narrow range.
#include "quantize_properties.hpp"

using namespace lowbit;

TEMPLATE_TEST_CASE_SIG("quantize: properties for every bit width", "[quantize]", ((int N), N), 2, 3, 4, 5, 6, 7, 8) {
    SECTION("signed symmetric, group 16") { lowbit_test::check_scheme_on_shapes<scheme<int_bits<N>, per_group<16>>>(); }
    SECTION("signed narrow range, per row") {
        lowbit_test::check_scheme_on_shapes<scheme<int_bits<N, narrow_range>, per_channel<0>>>();
    }
    SECTION("unsigned affine, group 8") { lowbit_test::check_scheme_on_shapes<scheme<uint_bits<N>, affine, per_group<8>>>(); }
    SECTION("signed affine, per tensor") { lowbit_test::check_scheme_on_shapes<scheme<int_bits<N>, affine, per_tensor>>(); }
}
