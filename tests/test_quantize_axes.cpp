// Properties of the reference quantizer along the other axes: granularity, rounding, range,
// scale storage and packing order.
#include "quantize_properties.hpp"

using namespace lowbit;

TEMPLATE_TEST_CASE("quantize: properties per granularity", "[quantize]", (scheme<int_bits<4>, per_tensor>),
                   (scheme<int_bits<4>, per_channel<0>>), (scheme<int_bits<4>, per_channel<1>>),
                   (scheme<int_bits<4>, per_group<32>>), (scheme<uint_bits<4>, affine, per_group<128>>),
                   (scheme<uint_bits<8>, affine, per_channel<1>>), (scheme<int_bits<8>, per_group<64>>)) {
    lowbit_test::check_scheme_on_shapes<TestType>();
}

TEMPLATE_TEST_CASE("quantize: properties per rounding mode", "[quantize][rounding]",
                   (scheme<int_bits<4>, per_group<32>, round_half_away>),
                   (scheme<int_bits<4>, per_group<32>, round_half_up>),
                   (scheme<int_bits<4>, per_group<32>, round_toward_zero>),
                   (scheme<int_bits<4>, per_group<32>, round_stochastic<7>>),
                   (scheme<uint_bits<8>, affine, per_channel<0>, round_half_up>),
                   (scheme<uint_bits<3>, affine, per_group<8>, round_stochastic<99>>),
                   (scheme<uint_bits<8>, affine, per_channel<0>, round_toward_zero>)) {
    lowbit_test::check_scheme_on_shapes<TestType>();
}

TEMPLATE_TEST_CASE("quantize: properties per range, scale storage and packing", "[quantize]",
                   (scheme<int_bits<4>, per_group<32>, range_clip<9, 10>>),
                   (scheme<uint_bits<4>, affine, per_channel<0>, range_clip<1, 2>>),
                   (scheme<int_bits<4>, per_group<32>, scale_f16>), (scheme<uint_bits<4>, affine, per_group<64>, scale_f16>),
                   (scheme<int_bits<8>, per_channel<0>, scale_bf16>), (scheme<uint_bits<8>, affine, scale_bf16>),
                   (scheme<int_bits<4>, per_group<32>, pack_split_halves<32>>),
                   (scheme<uint_bits<4>, affine, per_channel<0>, pack_split_halves<32>, scale_f16>)) {
    lowbit_test::check_scheme_on_shapes<TestType>();
}
