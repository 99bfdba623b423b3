// Scheme composition: any order, defaults for missing axes, code ranges of every bit width.
#include <type_traits>

#include <catch2/catch.hpp>

#include "lowbit/policy/scheme.hpp"

using namespace lowbit;

// Order does not matter and missing axes take their defaults.
using a = scheme<int_bits<4>, per_group<32>, affine, round_half_away, scale_f16>;
using b = scheme<scale_f16, round_half_away, affine, per_group<32>, int_bits<4>>;
static_assert(std::is_same_v<a::bits, b::bits> && std::is_same_v<a::mapping, b::mapping> &&
              std::is_same_v<a::granularity, b::granularity> && std::is_same_v<a::rounding, b::rounding> &&
              std::is_same_v<a::scale_storage, b::scale_storage>);

using defaults = scheme<>;
static_assert(std::is_same_v<defaults::bits, int_bits<8>>);
static_assert(std::is_same_v<defaults::mapping, symmetric>);
static_assert(std::is_same_v<defaults::granularity, per_tensor>);
static_assert(std::is_same_v<defaults::rounding, round_nearest_even>);
static_assert(std::is_same_v<defaults::range, range_minmax>);
static_assert(std::is_same_v<defaults::scale_storage, scale_f32>);
static_assert(std::is_same_v<defaults::packing, pack_adjacent>);
static_assert(std::is_same_v<a::range, range_minmax> && std::is_same_v<a::packing, pack_adjacent>);

static_assert(scheme<uint_bits<4>, affine>::has_zero_point && !scheme<int_bits<4>>::has_zero_point);
static_assert(std::is_same_v<scheme<uint_bits<3>, affine>::code_type, std::uint8_t>);
static_assert(std::is_same_v<scheme<int_bits<3>>::code_type, std::int8_t>);
static_assert(std::is_same_v<scheme<int_bits<4>, scale_bf16>::scale_type, bf16>);

TEST_CASE("code ranges of every bit width", "[policy]") {
    auto check = [](auto bits, int qmin, int qmax) {
        using B = decltype(bits);
        CHECK(B::qmin == qmin);
        CHECK(B::qmax == qmax);
    };
    check(int_bits<2>{}, -2, 1);
    check(int_bits<3>{}, -4, 3);
    check(int_bits<4>{}, -8, 7);
    check(int_bits<5>{}, -16, 15);
    check(int_bits<6>{}, -32, 31);
    check(int_bits<7>{}, -64, 63);
    check(int_bits<8>{}, -128, 127);
    check(int_bits<2, narrow_range>{}, -1, 1);
    check(int_bits<4, narrow_range>{}, -7, 7);
    check(int_bits<8, narrow_range>{}, -127, 127);
    check(uint_bits<2>{}, 0, 3);
    check(uint_bits<4>{}, 0, 15);
    check(uint_bits<5>{}, 0, 31);
    check(uint_bits<8>{}, 0, 255);
}

TEST_CASE("granularities number their groups in the documented order", "[policy]") {
    CHECK(per_tensor::group_count(3, 8) == 1);
    CHECK(per_channel<0>::group_count(3, 8) == 3);
    CHECK(per_channel<1>::group_count(3, 8) == 8);
    CHECK(per_group<4>::group_count(3, 8) == 6);
    CHECK(per_channel<0>::group_of(2, 7, 8) == 2);
    CHECK(per_channel<1>::group_of(2, 7, 8) == 7);
    CHECK(per_group<4>::group_of(2, 7, 8) == 5);
    CHECK(per_group<4>::group_of(1, 3, 8) == 2);
    CHECK(per_group<4>::describe(5, 8) == "row 2, group 1");
    CHECK(per_channel<1>::describe(7, 8) == "column 7");
}

TEST_CASE("packing units and clip ratios", "[policy]") {
    CHECK(scheme<int_bits<2>>::packing_unit == 4);
    CHECK(scheme<int_bits<3>>::packing_unit == 8);
    CHECK(scheme<int_bits<4>>::packing_unit == 2);
    CHECK(scheme<int_bits<5>>::packing_unit == 8);
    CHECK(scheme<int_bits<6>>::packing_unit == 4);
    CHECK(scheme<int_bits<7>>::packing_unit == 8);
    CHECK(scheme<int_bits<8>>::packing_unit == 1);
    CHECK(range_clip<9, 10>::ratio() == 0.9f);
    CHECK(range_minmax::ratio() == 1.0f);
}
