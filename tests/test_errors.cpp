// Bad input gives a lowbit::error that names the argument and the bad value.
#include <cmath>
#include <limits>
#include <vector>

#include <catch2/catch.hpp>

#include "support.hpp"

using namespace lowbit;
using Catch::Contains;

using g32 = scheme<int_bits<4>, per_group<32>>;
using per_column = scheme<int_bits<8>, per_channel<1>>;
using u8_affine = scheme<uint_bits<8>, affine>;
using i4_f16 = scheme<int_bits<4>, scale_f16>;
using i8_f16 = scheme<int_bits<8>, scale_f16>;
using i2_rows = scheme<int_bits<2>, per_channel<0>>;
using i2 = scheme<int_bits<2>>;
using split = scheme<uint_bits<4>, affine, pack_split_halves<32>>;

TEST_CASE("non-finite input names its row, column and group", "[errors]") {
    std::vector<float> x(3 * 64, 0.5f);
    x[2 * 64 + 40] = std::nanf("");
    CHECK_THROWS_WITH(quantize<g32>({x.data(), 3, 64}), Contains("quantize: input has nan at row 2, column 40 (row 2, group 1)"));
    x[2 * 64 + 40] = -std::numeric_limits<float>::infinity();
    CHECK_THROWS_WITH(quantize<per_column>({x.data(), 3, 64}),
                      Contains("input has -inf at row 2, column 40 (column 40)"));
    std::vector<float> out(x.size());
    CHECK_THROWS_WITH(fake_quantize<g32>({x.data(), 3, 64}, {out.data(), 3, 64}), Contains("fake_quantize: input has -inf"));
    CHECK_THROWS_AS(quantize<g32>({x.data(), 3, 64}), lowbit::error);
}

TEST_CASE("shapes and strides are checked", "[errors]") {
    std::vector<float> x(256, 1.0f);
    CHECK_THROWS_WITH(quantize<g32>({x.data(), -1, 32}), Contains("quantize: input: rows = -1 is negative"));
    CHECK_THROWS_WITH(quantize<g32>({x.data(), 2, -32}), Contains("cols = -32 is negative"));
    CHECK_THROWS_WITH(quantize<g32>({x.data(), 2, 48}), Contains("the row length 48 is not a multiple of the group size 32"));
    CHECK_THROWS_WITH(quantize<g32>({x.data(), 4, 64, 32}), Contains("row stride 32 is smaller than the row length 64"));
    CHECK_THROWS_WITH(quantize<g32>({x.data(), 4, 32, 32, 2}), Contains("make elements of a 4 x 32 view overlap"));
    CHECK_THROWS_WITH(quantize<g32>({x.data(), 4, 32, -32}), Contains("row stride -32 must be positive"));
    CHECK_THROWS_WITH(quantize<g32>({static_cast<const float*>(nullptr), 2, 32}), Contains("data is null"));
    CHECK_THROWS_WITH(quantize<g32>({x.data(), index_t{1} << 40, index_t{1} << 40}), Contains("overflows the address range"));
    CHECK_THROWS_WITH((quantized_tensor<g32>(index_t{1} << 40, index_t{1} << 40)), Contains("is too large to address"));
    CHECK_THROWS_WITH((quantized_tensor<split>(2, 40)),
                      Contains("the row length 40 is not a multiple of the split-halves block 32"));
    // A single row or column may have any stride.
    CHECK_NOTHROW(quantize<g32>({x.data(), 1, 32, 0}));
}

TEST_CASE("output buffers and shapes are checked", "[errors]") {
    std::vector<float> x(64, 1.0f);
    const auto t = quantize<g32>({x.data(), 2, 32});
    std::vector<float> small(40);
    CHECK_THROWS_WITH(make_view(small.data(), small.size(), 2, 32), Contains("needs 64 elements but the buffer has 40"));
    CHECK_THROWS_WITH(make_view(small.data(), small.size(), 2, 16, 32), Contains("needs 48 elements but the buffer has 40"));
    CHECK_NOTHROW(make_view(small.data(), small.size(), 2, 8, 32));
    CHECK_THROWS_WITH(dequantize(t, {small.data(), 1, 32}), Contains("dequantize: the output is 1 x 32 but the tensor is 2 x 32"));
    CHECK_THROWS_WITH(fake_quantize<g32>({x.data(), 2, 32}, {small.data(), 1, 40}),
                      Contains("fake_quantize: the output is 1 x 40 but the input is 2 x 32"));
    CHECK_THROWS_WITH(fake_quantize<g32>({x.data(), 2, 32}, {x.data() + 1, 2, 32}),
                      Contains("the output overlaps the input without being the same view"));
    quantized_tensor<g32> wrong(3, 32);
    CHECK_THROWS_WITH(quantize<g32>({x.data(), 2, 32}, wrong), Contains("the output tensor is 3 x 32 but the input is 2 x 32"));
}

TEST_CASE("scales that cannot be represented are rejected", "[errors]") {
    const std::vector<float> huge = {-3e38f, 3e38f};
    CHECK_THROWS_WITH(quantize<u8_affine>({huge.data(), 1, 2}),
                      Contains("quantize: the tensor: the range [-3e+38, 3e+38] gives a scale that overflows f32"));
    const std::vector<float> big = {1e6f, 2.0f};
    CHECK_THROWS_WITH(quantize<i4_f16>({big.data(), 1, 2}), Contains("overflows f16 storage"));
    const std::vector<float> tiny = {1e-9f, -2e-10f};
    CHECK_THROWS_WITH(quantize<i8_f16>({tiny.data(), 1, 2}), Contains("underflows to zero in f16 storage"));
    const std::vector<float> subnormal = {1e-44f, 0.0f};
    CHECK_THROWS_WITH(quantize<i2_rows>({subnormal.data(), 1, 2}),
                      Contains("quantize: row 0: the scale"));
    CHECK_THROWS_WITH(quantize<i2>({subnormal.data(), 1, 2}), Contains("reciprocal overflows f32"));
}

TEST_CASE("static quantization checks the stored parameters and the input", "[errors]") {
    using A = scheme<uint_bits<4>, affine, per_group<32>>;
    std::vector<float> x(64, 0.25f);
    auto q = quantize<A>({x.data(), 2, 32});
    q.zero_points()[1] = 16;
    CHECK_THROWS_WITH(quantize_with_params<A>({x.data(), 2, 32}, q), Contains("row 1, group 0: zero point 16 is outside [0, 15]"));
    q.zero_points()[1] = 3;
    q.stored_scales()[0] = std::numeric_limits<float>::infinity();
    CHECK_THROWS_WITH(quantize_with_params<A>({x.data(), 2, 32}, q), Contains("stored scale inf is negative, not finite"));
    q.stored_scales()[0] = -1.0f;
    CHECK_THROWS_WITH(quantize_with_params<A>({x.data(), 2, 32}, q), Contains("stored scale -1 is negative"));
    q.stored_scales()[0] = 0.5f;
    x[40] = std::nanf("");
    CHECK_THROWS_WITH(quantize_with_params<A>({x.data(), 2, 32}, q),
                      Contains("quantize_with_params: input has nan at row 1, column 8 (row 1, group 0)"));
    CHECK_THROWS_WITH(quantize_with_params<A>({x.data(), 1, 32}, q), Contains("the output tensor is 2 x 32 but the input is 1 x 32"));
}
