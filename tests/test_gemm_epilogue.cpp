// Epilogues of the int8 products: the fixed-point requantizers against exact 128-bit arithmetic
// and known values, exp / SiLU / GELU against float64, and whole epilogues run by every compiled
// tag and thread count against the stage formulas applied one element at a time.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <typeinfo>
#include <cstdint>
#include <limits>
#include <random>
#include <tuple>
#include <vector>

#include "gemm_support.hpp"
#include "lowbit/gemm/matmul.hpp"

using namespace lowbit;

namespace {

__extension__ typedef __int128 i128;  // exact products of two int32 and a shift

// round(x m 2^(shift - 31)) the way each convention defines it, in exact 128-bit arithmetic.
std::int64_t exact_single(std::int32_t x, gemm::quantized_multiplier q) {
    const i128 p = static_cast<i128>(x) * q.m;
    const int t = 31 - q.shift;
    const i128 d = static_cast<i128>(1) << t;
    const i128 num = p + d / 2;  // floor((p + d/2) / d): ties up
    i128 f = num / d;
    if (num % d != 0 && num < 0) --f;
    return static_cast<std::int64_t>(f);
}

i128 round_half_up(i128 num, i128 den) {  // floor(num / den + 1/2), den > 0
    const i128 t = 2 * num + den, d = 2 * den;
    return t / d - (t % d != 0 && t < 0 ? 1 : 0);
}

i128 round_away(i128 num, i128 den) {  // den > 0
    const i128 a = num < 0 ? -num : num;
    const i128 r = (2 * a + den) / (2 * den);
    return num < 0 ? -r : r;
}

std::int64_t exact_double(std::int32_t x, gemm::quantized_multiplier q) {
    const int left = std::max(q.shift, 0), right = std::max(-q.shift, 0);
    const i128 xl = std::min<i128>(std::max<i128>(static_cast<i128>(x) * (static_cast<i128>(1) << left), INT32_MIN), INT32_MAX);
    const i128 h = round_half_up(xl * q.m, static_cast<i128>(1) << 31);
    return static_cast<std::int64_t>(round_away(h, static_cast<i128>(1) << right));
}

std::int32_t saturate(std::int64_t v) { return static_cast<std::int32_t>(std::min<std::int64_t>(std::max<std::int64_t>(v, INT32_MIN), INT32_MAX)); }

// The stages of `ep` applied to one value, one stage after the other: the specification.
template <class Ep>
auto spec_value(const Ep& ep, std::int32_t acc, const gemm::tile_position& at) {
    return std::apply(
        [&](const auto&... stages) {
            auto run = [&](auto v, const auto& self, const auto& first, const auto&... rest) {
                if constexpr (sizeof...(rest) == 0) return first(v, at);
                else return self(first(v, at), self, rest...);
            };
            if constexpr (sizeof...(stages) == 0) return acc;
            else return run(acc, run, stages...);
        },
        ep.stages);
}

}  // namespace

TEST_CASE("fixed-point requantization: known values and exact arithmetic", "[gemm][epilogue]") {
    const gemm::quantized_multiplier half{1 << 30, 0};  // 0.5
    CHECK(gemm::double_rounding::apply(3, half) == 2);
    CHECK(gemm::double_rounding::apply(-3, half) == -1);  // the first rounding: ties up
    CHECK(gemm::single_rounding::apply(3, half) == 2);
    CHECK(gemm::single_rounding::apply(-3, half) == -1);  // ties up
    // 0.75 * 2^-2: 10 * 0.1875 = 1.875; double rounding first rounds 10 * 0.75 = 7.5 to 8, then 8 / 4 = 2.
    // The second rounding is half away from zero: -6 * 0.75 = -4.5 -> -4 (ties up) -> -4 / 4 = -1;
    // -10 -> -7.5 -> -7 -> -1.75 -> -2; -2 -> -1.5 -> -1 -> -0.25 -> 0.
    const gemm::quantized_multiplier q{3 << 29, -2};
    CHECK(gemm::double_rounding::apply(10, q) == 2);
    CHECK(gemm::single_rounding::apply(10, q) == 2);
    // 6 * 0.1875 = 1.125: 6 * 0.75 = 4.5 -> 5 -> 5 / 4 = 1.25 -> 1; single: 1.
    CHECK(gemm::double_rounding::apply(6, q) == 1);
    // 14 * 0.1875 = 2.625 -> 3 (both); 2 * 0.1875 = 0.375: 1.5 -> 2 -> 0.5 -> 1 (double), 0 (single).
    CHECK(gemm::double_rounding::apply(2, q) == 1);
    CHECK(gemm::single_rounding::apply(2, q) == 0);
    CHECK(gemm::double_rounding::apply(-6, q) == -1);
    CHECK(gemm::double_rounding::apply(-10, q) == -2);
    CHECK(gemm::double_rounding::apply(-2, q) == 0);
    CHECK(gemm::double_rounding::apply(-14, q) == -3);  // -10.5 -> -10 -> -2.5 -> -3 (away from zero)

    std::mt19937 gen(5);
    std::uniform_int_distribution<std::int32_t> any(INT32_MIN, INT32_MAX), small(-70000, 70000);
    std::uniform_int_distribution<std::int32_t> mantissa(1 << 30, INT32_MAX);
    std::uniform_int_distribution<int> shift(gemm::min_multiplier_shift, gemm::max_multiplier_shift);
    for (int i = 0; i < 200000; ++i) {
        const gemm::quantized_multiplier m{mantissa(gen), shift(gen)};
        const std::int32_t x = i % 2 ? any(gen) : small(gen);
        REQUIRE(gemm::single_rounding::apply(x, m) == saturate(exact_single(x, m)));
        REQUIRE(gemm::double_rounding::apply(x, m) == saturate(exact_double(x, m)));
    }
    for (std::int32_t x : {INT32_MIN, INT32_MIN + 1, -1, 0, 1, INT32_MAX})
        for (int s : {gemm::min_multiplier_shift, -1, 0, 1, gemm::max_multiplier_shift})
            for (std::int32_t m : {0, 1 << 30, INT32_MAX}) {
                const gemm::quantized_multiplier qm{m, s};
                REQUIRE(gemm::single_rounding::apply(x, qm) == saturate(exact_single(x, qm)));
                REQUIRE(gemm::double_rounding::apply(x, qm) == saturate(exact_double(x, qm)));
            }
}

TEST_CASE("quantize_multiplier is within 2^-31 relative of the real multiplier", "[gemm][epilogue]") {
    for (double r : {1e-9, 3.3e-5, 0.0123, 0.5, 0.75, 1.0, 1.9999999999, 3.0, 1000.5, 1e9}) {
        const gemm::quantized_multiplier q = gemm::quantize_multiplier(r);
        const double back = std::ldexp(static_cast<double>(q.m), q.shift - 31);
        CHECK(std::fabs(back - r) <= r * 0x1p-31);
        CHECK(q.m >= (1 << 30));
    }
    CHECK(gemm::quantize_multiplier(1e-12).m == 0);  // below 2^-32: everything scales to 0
    CHECK_THROWS_WITH(gemm::quantize_multiplier(0.0), Catch::Contains("not finite and > 0"));
    CHECK_THROWS_WITH(gemm::quantize_multiplier(std::nan("")), Catch::Contains("not finite and > 0"));
    CHECK_THROWS_WITH(gemm::quantize_multiplier(2e9), Catch::Contains("too large"));
}

TEST_CASE("exp, SiLU and GELU are close to float64 and the same on every tag", "[gemm][epilogue]") {
    float worst_exp = 0.f;
    for (float x = -87.f; x <= 88.f; x += 0.0137f) {
        const double want = std::exp(static_cast<double>(x));
        const float got = gemm::math::exp(x);
        worst_exp = std::max(worst_exp, static_cast<float>(std::fabs(got - want) / want));
    }
    CHECK(worst_exp <= 3 * 0x1p-24f);
    const gemm::tile_position at{};
    float worst_silu = 0.f, worst_gelu = 0.f;
    for (float v = -30.f; v <= 30.f; v += 0.00731f) {
        const double d = v;
        const double silu = d / (1 + std::exp(-d));
        const double gelu = d / (1 + std::exp(-1.5957691216057308 * (d + 0.044715 * d * d * d)));  // 1 + tanh would cancel
        worst_silu = std::max(worst_silu, static_cast<float>(std::fabs(gemm::silu{}(v, at) - silu) / std::max(std::fabs(silu), 1e-30)));
        // 2u is rounded before exp: its relative error 2^-24 becomes |2u| 2^-24 in exp(-2u).
        const double two_u = 1.5957691216057308 * (d + 0.044715 * d * d * d);
        const double gelu_error = std::fabs(gemm::gelu{}(v, at) - gelu) / std::max(std::fabs(gelu), 1e-30);
        worst_gelu = std::max(worst_gelu, static_cast<float>(gelu_error / (1 + std::fabs(two_u))));
    }
    CHECK(worst_silu <= 6 * 0x1p-24f);
    CHECK(worst_gelu <= 8 * 0x1p-24f);  // relative error <= 8 (1 + |2u|) ulp
    INFO("worst relative errors: exp " << worst_exp << ", silu " << worst_silu << ", gelu " << worst_gelu);
    CHECK(gemm::relu{}(-0.5f, at) == 0.f);
    CHECK(gemm::clamp{-1.f, 6.f}(7.f, at) == 6.f);
}

namespace {

// Runs `ep` on every compiled tag and thread count; each output must equal the stage formulas
// applied to the reference product one element at a time.
template <class Out, class Ep>
void check_epilogue(const Ep& ep, std::int64_t m, std::int64_t k, std::int64_t n, bool affine) {
    INFO(m << " x " << k << " x " << n << (affine ? ", affine activations" : "") << ", epilogue " << typeid(Ep).name());
    const auto w = lowbit_test::random_s8(static_cast<std::size_t>(n * k), 31, -127, 127);
    std::vector<float> sw(static_cast<std::size_t>(n));
    for (std::size_t c = 0; c < sw.size(); ++c) sw[c] = 0.002f + 0.0001f * static_cast<float>(c % 13);
    const auto x = lowbit_test::random_activations(m, k, 32);
    const gemm::packed_s8 p = gemm::pack_s8(w.data(), k, n, k, sw.data());
    gemm::activations_u8 a;
    if (affine) gemm::quantize_activations_affine(x.data(), k, m, k, a);
    else gemm::quantize_activations(x.data(), k, m, k, a);
    const auto acc = lowbit_test::reference_product(a, w, n);
    std::vector<Out> want(static_cast<std::size_t>(m * n));
    for (std::int64_t r = 0; r < m; ++r)
        for (std::int64_t c = 0; c < n; ++c) {
            const gemm::tile_position at{r, c, a.scales[static_cast<std::size_t>(r)], sw.data()};
            const auto v = spec_value(ep, acc[static_cast<std::size_t>(r * n + c)], at);
            if constexpr (std::is_same_v<Out, float> || std::is_same_v<Out, std::int32_t>) want[static_cast<std::size_t>(r * n + c)] = v;
            else want[static_cast<std::size_t>(r * n + c)] = static_cast<Out>(std::min<std::int32_t>(std::max<std::int32_t>(v, std::numeric_limits<Out>::min()), std::numeric_limits<Out>::max()));
        }
    lowbit::thread_pool pool(2);
    lowbit_test::for_each_compiled_tag([&](auto tag) {
        using Arch = decltype(tag);
        INFO("tag " << Arch::name);
        for (int threads : {1, 2, 0}) {
            std::vector<Out> got(want.size());
            if (threads == 0) gemm::matmul<Arch>(a, p, ep, got.data(), n, pool);
            else gemm::matmul<Arch>(a, p, ep, got.data(), n, threads);
            std::size_t differ = 0, first = got.size();
            for (std::size_t i = 0; i < got.size(); ++i)
                if (std::memcmp(&got[i], &want[i], sizeof(Out)) != 0 && differ++ == 0) first = i;
            INFO("threads " << threads << ": " << differ << " outputs differ, the first at " << first);
            CHECK(differ == 0);
        }
    });
}

}  // namespace

TEST_CASE("epilogues give the stage formulas bit for bit on every tag and thread count", "[gemm][epilogue]") {
    const std::int64_t n = 75;
    std::vector<float> b(static_cast<std::size_t>(n)), per_channel(static_cast<std::size_t>(n));
    std::vector<std::int32_t> b32(static_cast<std::size_t>(n));
    std::vector<gemm::quantized_multiplier> qm(static_cast<std::size_t>(n));
    for (std::int64_t c = 0; c < n; ++c) {
        b[static_cast<std::size_t>(c)] = 0.1f * static_cast<float>(c % 7) - 0.3f;
        per_channel[static_cast<std::size_t>(c)] = 2.f + 0.37f * static_cast<float>(c % 5);
        b32[static_cast<std::size_t>(c)] = static_cast<std::int32_t>(c * 97) - 3000;
        qm[static_cast<std::size_t>(c)] = gemm::quantize_multiplier(1e-4 * static_cast<double>(1 + c % 9));
    }
    for (auto [m, k, affine] : {std::tuple<std::int64_t, std::int64_t, bool>{1, 300, false}, {17, 129, true}, {64, 33, false}, {3, 1, true}}) {
        check_epilogue<std::int32_t>(gemm::epilogue{}, m, k, n, affine);
        check_epilogue<float>(gemm::epilogue{gemm::dequantize{}}, m, k, n, affine);
        check_epilogue<float>(gemm::epilogue{gemm::dequantize{}, gemm::bias{b.data()}, gemm::gelu{}}, m, k, n, affine);
        check_epilogue<float>(gemm::epilogue{gemm::dequantize{}, gemm::silu{}, gemm::clamp{-0.5f, 4.f}}, m, k, n, affine);
        check_epilogue<std::int8_t>(gemm::epilogue{gemm::dequantize{}, gemm::bias{b.data()}, gemm::relu{}, gemm::requantize_float{3.f, -20}}, m, k, n, affine);
        check_epilogue<std::uint8_t>(gemm::epilogue{gemm::dequantize{}, gemm::silu{}, gemm::requantize_float{0.f, 100, 0, 255, per_channel.data()}}, m, k, n,
                                     affine);
        check_epilogue<std::int8_t>(gemm::epilogue{gemm::add_s32{b32.data()}, gemm::requantize_fixed<gemm::double_rounding>{gemm::quantize_multiplier(3e-4), 5}},
                                    m, k, n, affine);
        check_epilogue<std::uint8_t>(gemm::epilogue{gemm::requantize_fixed<gemm::single_rounding>{{}, 128, 0, 255, qm.data()}}, m, k, n, affine);
        check_epilogue<std::int32_t>(gemm::epilogue{gemm::requantize_fixed<gemm::double_rounding>{gemm::quantize_multiplier(0.01), 0, -1000, 1000}}, m, k, n,
                                     affine);
    }
}

TEST_CASE("W8A8 float outputs are within a stated bound of float64", "[gemm][epilogue]") {
    // dequantize + bias: at most 3 roundings of the exact value (scale product, product, sum).
    const std::int64_t m = 5, k = 777, n = 40;
    const auto w = lowbit_test::random_s8(static_cast<std::size_t>(n * k), 7, -127, 127);
    std::vector<float> sw(static_cast<std::size_t>(n), 0.004f), b(static_cast<std::size_t>(n), 0.25f);
    const auto x = lowbit_test::random_activations(m, k, 8);
    const gemm::packed_s8 p = gemm::pack_s8(w.data(), k, n, k, sw.data());
    gemm::activations_u8 a;
    gemm::quantize_activations_affine(x.data(), k, m, k, a);
    const auto acc = lowbit_test::reference_product(a, w, n);
    std::vector<float> y(static_cast<std::size_t>(m * n));
    gemm::matmul(a, p, gemm::epilogue{gemm::dequantize{}, gemm::bias{b.data()}}, y.data(), n);
    for (std::int64_t r = 0; r < m; ++r)
        for (std::int64_t c = 0; c < n; ++c) {
            const double product = static_cast<double>(acc[static_cast<std::size_t>(r * n + c)]) * a.scales[static_cast<std::size_t>(r)] * 0.004;
            const double exact = product + 0.25;
            REQUIRE(std::fabs(y[static_cast<std::size_t>(r * n + c)] - exact) <= 3 * 0x1p-24 * (std::fabs(product) + 0.25));
        }
}

TEST_CASE("epilogue arguments are checked", "[gemm][epilogue]") {
    const auto w = lowbit_test::random_s8(64, 1);
    const gemm::packed_s8 unscaled = gemm::pack_s8(w.data(), 8, 8, 8);
    gemm::activations_u8 a;
    const std::vector<float> x(16, 1.f);
    gemm::quantize_activations(x.data(), 8, 2, 8, a);
    std::vector<float> y(16);
    std::vector<std::int8_t> q(16);
    CHECK_THROWS_WITH(gemm::matmul(a, unscaled, gemm::epilogue{gemm::dequantize{}}, y.data(), 8), Catch::Contains("dequantize: the packed weights have no scales"));
    const float s[8] = {1, 1, 1, 1, 1, 1, 1, 1};
    const gemm::packed_s8 p = gemm::pack_s8(w.data(), 8, 8, 8, s);
    CHECK_THROWS_WITH(gemm::matmul(a, p, gemm::epilogue{gemm::dequantize{}, gemm::bias{}}, y.data(), 8), Catch::Contains("bias: the bias is null"));
    CHECK_THROWS_WITH(gemm::matmul(a, p, gemm::epilogue{gemm::dequantize{}, gemm::clamp{2.f, 1.f}}, y.data(), 8), Catch::Contains("lo = 2 is not <= hi = 1"));
    CHECK_THROWS_WITH(gemm::matmul(a, p, gemm::epilogue{gemm::dequantize{}, gemm::requantize_float{-1.f}}, q.data(), 8), Catch::Contains("multiplier -1"));
    CHECK_THROWS_WITH(gemm::matmul(a, p, gemm::epilogue{gemm::dequantize{}, gemm::requantize_float{1.f, 200}}, q.data(), 8), Catch::Contains("zero point 200"));
    std::vector<std::int32_t> wide(16);
    CHECK_THROWS_WITH(gemm::matmul(a, p, gemm::epilogue{gemm::dequantize{}, gemm::requantize_float{1.f, 0, INT32_MIN, 0}}, wide.data(), 8),
                      Catch::Contains("exceeds [-2^23, 2^23]"));
    CHECK_THROWS_WITH(gemm::matmul(a, p, gemm::epilogue{gemm::requantize_fixed<gemm::single_rounding>{{1 << 30, 31}}}, q.data(), 8),
                      Catch::Contains("shift 31 is outside [-31, 30]"));
    CHECK_THROWS_WITH(gemm::matmul(a, p, gemm::epilogue{gemm::requantize_fixed<gemm::single_rounding>{{-5, 0}}}, q.data(), 8), Catch::Contains("multiplier -5 is negative"));
    CHECK_THROWS_WITH(gemm::matmul(a, p, gemm::epilogue{gemm::add_s32{}}, q.data(), 8), Catch::Contains("add_s32: the bias is null"));
    CHECK_THROWS_WITH(gemm::matmul(gemm::activations_u8{}, p, gemm::epilogue{}, q.data(), 8), Catch::Contains("activations are not quantized"));
}
