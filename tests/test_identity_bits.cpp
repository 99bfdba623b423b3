// Vector kernels bit-identical to the reference for every bit width and mapping.
#include "identity.hpp"

using namespace lowbit;

TEMPLATE_TEST_CASE_SIG("vector kernels match the reference for every bit width", "[identity]", ((int N), N), 2, 3, 4,
                       5, 6, 7, 8) {
    SECTION("signed symmetric, group 32") { lowbit_test::check_identity<scheme<int_bits<N>, per_group<32>>>(); }
    SECTION("unsigned affine, per row") { lowbit_test::check_identity<scheme<uint_bits<N>, affine, per_channel<0>>>(); }
    SECTION("signed narrow affine, per tensor, f16 scale") {
        lowbit_test::check_identity<scheme<int_bits<N, narrow_range>, affine, scale_f16>>();
    }
}
