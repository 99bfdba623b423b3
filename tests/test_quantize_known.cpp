// Known reference vectors worked out by hand from the formulas in lowbit/quant/reference.hpp,
// with scales that are powers of two so that every step is exact.
#include <cstdint>
#include <vector>

#include <catch2/catch.hpp>

#include "support.hpp"

using namespace lowbit;

namespace {
template <class S>
std::vector<int> codes_of(const std::vector<float>& x) {
    const auto t = quantize<S>({x.data(), 1, static_cast<index_t>(x.size())});
    std::vector<int> out;
    for (index_t c = 0; c < t.cols(); ++c) out.push_back(t.code(0, c));
    return out;
}
}  // namespace

TEST_CASE("symmetric int4: amax 7 gives scale 1 and each rounding mode its codes", "[quantize][known]") {
    const std::vector<float> x = {7.0f, -7.0f, 0.5f, 1.5f, 2.5f, -0.5f, -2.5f, 3.49f, 6.6f, 0.0f};
    CHECK(codes_of<scheme<int_bits<4>>>(x) == std::vector<int>{7, -7, 0, 2, 2, 0, -2, 3, 7, 0});
    CHECK(codes_of<scheme<int_bits<4>, round_half_away>>(x) == std::vector<int>{7, -7, 1, 2, 3, -1, -3, 3, 7, 0});
    CHECK(codes_of<scheme<int_bits<4>, round_half_up>>(x) == std::vector<int>{7, -7, 1, 2, 3, 0, -2, 3, 7, 0});
    CHECK(codes_of<scheme<int_bits<4>, round_toward_zero>>(x) == std::vector<int>{7, -7, 0, 1, 2, 0, -2, 3, 6, 0});
    const auto t = quantize<scheme<int_bits<4>>>({x.data(), 1, 10});
    CHECK(t.scale(0) == 1.0f);
    CHECK(t.packed_codes() == std::vector<std::uint8_t>{0x97, 0x20, 0x02, 0x3e, 0x07});
}

TEST_CASE("symmetric int4 with a clipping ratio 1/2 clamps to the full range", "[quantize][known]") {
    // amax 16 clipped to 8 gives scale 8/7; but use amax 14 -> 7, scale 1: -14 clamps to -8 (full range).
    const std::vector<float> x = {14.0f, -14.0f, -7.6f, 3.0f};
    CHECK(codes_of<scheme<int_bits<4>, range_clip<1, 2>>>(x) == std::vector<int>{7, -8, -8, 3});
    CHECK(codes_of<scheme<int_bits<4, narrow_range>, range_clip<1, 2>>>(x) == std::vector<int>{7, -7, -7, 3});
}

TEST_CASE("affine uint4: range [-3, 12] gives scale 1 and zero point 3", "[quantize][known]") {
    using S = scheme<uint_bits<4>, affine>;
    const std::vector<float> x = {-3.0f, 12.0f, 0.0f, 2.5f, -0.4f, 11.6f};
    const auto t = quantize<S>({x.data(), 1, 6});
    CHECK(t.scale(0) == 1.0f);
    CHECK(t.zero_point(0) == 3);
    CHECK(codes_of<S>(x) == std::vector<int>{0, 15, 3, 5, 3, 15});
    CHECK(dequantize(t) == std::vector<float>{-3.0f, 12.0f, 0.0f, 2.0f, 0.0f, 12.0f});
}

TEST_CASE("affine widens a positive-only range to include zero", "[quantize][known]") {
    using S = scheme<uint_bits<2>, affine>;
    const std::vector<float> x = {1.5f, 3.0f, 2.0f, 2.4f};  // range [0, 3], scale 1, zero point 0
    const auto t = quantize<S>({x.data(), 1, 4});
    CHECK(t.scale(0) == 1.0f);
    CHECK(t.zero_point(0) == 0);
    CHECK(codes_of<S>(x) == std::vector<int>{2, 3, 2, 2});
    using T = scheme<int_bits<2>, affine>;  // codes -2..1: range [-6, 0] -> scale 2, zero point 1
    const std::vector<float> y = {-6.0f, -1.0f, -3.0f, 0.0f, -1.1f};  // -1 -> v = -0.5 -> 0 (even) -> code 1
    const auto u = quantize<T>({y.data(), 1, 5});
    CHECK(u.scale(0) == 2.0f);
    CHECK(u.zero_point(0) == 1);
    CHECK(codes_of<T>(y) == std::vector<int>{-2, 1, -1, 1, 0});
}

TEST_CASE("the stored f16 / bf16 scale is the one used to quantize", "[quantize][known]") {
    // raw scale 7.0007 / 7 = 1.0001 rounds to 1.0 in f16: 7.0007 clamps to code 7 and dequantizes to 7.
    const std::vector<float> x = {7.0007f, -3.5f, 1.0f};
    const auto t = quantize<scheme<int_bits<4>, scale_f16>>({x.data(), 1, 3});
    CHECK(t.stored_scales()[0].bits == 0x3c00);
    CHECK(dequantize(t) == std::vector<float>{7.0f, -4.0f, 1.0f});
    const auto b = quantize<scheme<int_bits<4>, scale_bf16>>({x.data(), 1, 3});
    CHECK(b.stored_scales()[0].bits == 0x3f80);
}

TEST_CASE("all-zero groups get scale 0 and dequantize to exact zeros", "[quantize][known]") {
    std::vector<float> x(64, 0.0f);
    for (int i = 32; i < 64; ++i) x[static_cast<std::size_t>(i)] = static_cast<float>(i - 40);
    x[5] = -0.0f;
    const auto s = quantize<scheme<int_bits<4>, per_group<32>>>({x.data(), 1, 64});
    CHECK(s.scale(0) == 0.0f);
    CHECK(s.scale(1) != 0.0f);
    const auto a = quantize<scheme<uint_bits<4>, affine, per_group<32>>>({x.data(), 1, 64});
    CHECK(a.scale(0) == 0.0f);
    CHECK(a.zero_point(0) == 0);
    for (float v : {dequantize(s)[5], dequantize(a)[5], dequantize(s)[0], dequantize(a)[31]}) CHECK(v == 0.0f);
}

TEST_CASE("constant and single-element tensors", "[quantize][known]") {
    const std::vector<float> c(10, 0.25f);
    const auto t = quantize<scheme<int_bits<8>>>({c.data(), 2, 5});
    for (float v : dequantize(t)) CHECK(v == 0.25f);
    const float one = -3.0f;
    const auto u = quantize<scheme<uint_bits<8>, affine>>({&one, 1, 1});
    CHECK(u.code(0, 0) == 0);
    CHECK(dequantize(u)[0] == Approx(-3.0f).epsilon(1e-6));
}

TEST_CASE("empty tensors are valid and give empty results", "[quantize]") {
    using S = scheme<int_bits<4>, per_group<32>>;
    for (auto [rows, cols] : {std::pair<index_t, index_t>{0, 0}, {0, 64}, {5, 0}}) {
        const auto t = quantize<S>({static_cast<const float*>(nullptr), rows, cols});
        CHECK(t.rows() == rows);
        CHECK(t.cols() == cols);
        CHECK(t.packed_codes().empty());
        CHECK(t.group_count() == 0);
        CHECK(dequantize(t).empty());
        CHECK(t.bits_per_weight() == 0.0);
        std::vector<float> unused(1);
        fake_quantize<S>({unused.data(), rows, cols}, {unused.data(), rows, cols});
    }
}

TEST_CASE("fake-quantize works in place", "[quantize]") {
    using S = scheme<uint_bits<4>, affine, per_group<16>>;
    auto m = lowbit_test::weights(3, 48, 9);
    auto x = m.dense();
    std::vector<float> expected(x.size());
    fake_quantize<S>({x.data(), 3, 48}, {expected.data(), 3, 48});
    fake_quantize<S>({x.data(), 3, 48}, {x.data(), 3, 48});
    CHECK(x == expected);
}
