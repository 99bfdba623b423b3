// Grouped weights times per-row int8 activations: W4A8 and W8A8 per group (4 or 8 bits, f32 / f16
// scales, symmetric / affine, groups 32 / 64 / 128), against the reference bit for bit on every
// compiled tag and thread count, within a stated bound of float64, with an epilogue, and with bad
// arguments.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <random>
#include <tuple>
#include <vector>

#include "gemm_support.hpp"
#include "lowbit/gemm/matmul_grouped.hpp"

using namespace lowbit;

namespace {

struct grouped_operands {
    std::int64_t n, k, group;
    std::vector<std::uint8_t> codes, zero_points;
    std::vector<float> scales;
};

grouped_operands random_codes(int bits, std::int64_t n, std::int64_t k, std::int64_t group, bool affine, std::uint32_t seed) {
    std::mt19937 gen(seed);
    grouped_operands w{n, k, group, std::vector<std::uint8_t>(static_cast<std::size_t>(n * k)), {}, std::vector<float>(static_cast<std::size_t>(n * (k / group)))};
    std::uniform_int_distribution<int> code(0, (1 << bits) - 1);
    for (auto& c : w.codes) c = static_cast<std::uint8_t>(code(gen));
    std::uniform_real_distribution<float> scale(0.001f, 0.02f);
    for (auto& s : w.scales) s = scale(gen);
    w.scales[0] = 0.f;  // a group that is all zero
    if (affine) {
        w.zero_points.resize(w.scales.size());
        for (auto& z : w.zero_points) z = static_cast<std::uint8_t>(code(gen));
    }
    return w;
}

template <class Scale>
std::vector<Scale> stored_scales(const std::vector<float>& s) {
    std::vector<Scale> out(s.size());
    for (std::size_t i = 0; i < s.size(); ++i) {
        if constexpr (std::is_same_v<Scale, float>) out[i] = s[i];
        else out[i] = fp16::from_float(s[i]);
    }
    return out;
}

template <class Scale>
std::vector<float> as_float(const std::vector<Scale>& s) {
    std::vector<float> out(s.size());
    for (std::size_t i = 0; i < s.size(); ++i) {
        if constexpr (std::is_same_v<Scale, float>) out[i] = s[i];
        else out[i] = s[i].to_float();
    }
    return out;
}

template <int Bits, class Scale>
void check_grouped(std::int64_t m, std::int64_t k, std::int64_t n, std::int64_t group, bool affine, std::uint32_t seed, lowbit::thread_pool& pool) {
    INFO(Bits << "-bit, " << m << " x " << k << " x " << n << ", group " << group << (affine ? ", affine" : ", symmetric")
              << (std::is_same_v<Scale, float> ? ", f32" : ", f16") << " scales");
    const grouped_operands w = random_codes(Bits, n, k, group, affine, seed);
    const auto scales = stored_scales<Scale>(w.scales);
    const auto scales_f = as_float(scales);
    const auto p = gemm::pack_groups<Bits>(w.codes.data(), k, n, k, group, scales.data(), affine ? w.zero_points.data() : nullptr);
    const auto x = lowbit_test::random_activations(m, k, seed + 1);
    gemm::activations_u8 a;
    gemm::quantize_activations(x.data(), k, m, k, a);
    const auto q = lowbit_test::signed_codes(a);
    std::vector<float> want(static_cast<std::size_t>(m * n));
    gemm::reference::matmul_grouped_a8(q.data(), k, a.scales.data(), w.codes.data(), k, scales_f.data(), affine ? w.zero_points.data() : nullptr, want.data(),
                                       n, m, n, k, group, Bits);
    // float64 of the same quantized operands: the groups' float sum rounds at most groups + 1 times.
    for (std::int64_t r = 0; r < m; ++r)
        for (std::int64_t c = 0; c < n; ++c) {
            double exact = 0, magnitude = 0;
            for (std::int64_t g = 0; g < k / group; ++g) {
                const int z = affine ? w.zero_points[static_cast<std::size_t>(c * (k / group) + g)] : 1 << (Bits - 1);
                double part = 0;
                for (std::int64_t i = g * group; i < (g + 1) * group; ++i)
                    part += q[static_cast<std::size_t>(r * k + i)] * (w.codes[static_cast<std::size_t>(c * k + i)] - z);
                const double s = scales_f[static_cast<std::size_t>(c * (k / group) + g)];
                exact += part * s;
                magnitude += std::fabs(part * s);
            }
            const double sa = a.scales[static_cast<std::size_t>(r)];
            REQUIRE(std::fabs(want[static_cast<std::size_t>(r * n + c)] - exact * sa) <= static_cast<double>(k / group + 2) * 0x1p-24 * magnitude * sa);
        }
    lowbit_test::for_each_compiled_tag([&](auto tag) {
        using Arch = decltype(tag);
        INFO("tag " << Arch::name);
        for (int threads : {1, 3, 0}) {
            std::vector<float> got(static_cast<std::size_t>(m * (n + 3)), -7.f);
            if (threads == 0) gemm::matmul<Arch>(a, p, gemm::epilogue<>{}, got.data(), n + 3, pool);
            else gemm::matmul<Arch>(a, p, gemm::epilogue<>{}, got.data(), n + 3, threads);
            std::size_t differ = 0, padding = 0;
            for (std::int64_t r = 0; r < m; ++r)
                for (std::int64_t c = 0; c < n + 3; ++c) {
                    const float g = got[static_cast<std::size_t>(r * (n + 3) + c)];
                    if (c < n) differ += !lowbit_test::same_bits(g, want[static_cast<std::size_t>(r * n + c)]);
                    else padding += g != -7.f;
                }
            INFO("threads " << threads);
            CHECK(differ == 0);
            CHECK(padding == 0);
        }
    });
}

}  // namespace

template <int Bits>
void check_all_shapes() {
    lowbit::thread_pool pool(2);
    std::uint32_t seed = 40;
    for (std::int64_t group : {32, 64, 128})
        for (bool affine : {false, true})
            for (auto [m, k, n] : {std::tuple<std::int64_t, std::int64_t, std::int64_t>{1, 128, 1}, {2, 256, 17}, {3, 384, 33}, {4, 128, 64}, {17, 256, 75},
                                   {64, 128, 16}, {129, 128, 40}}) {
                check_grouped<Bits, float>(m, k, n, group, affine, seed++, pool);
                check_grouped<Bits, fp16>(m, k, n, group, affine, seed++, pool);
            }
    check_grouped<Bits, fp16>(1, 4096, 48, 32, false, seed++, pool);
}

TEST_CASE("W4A8 equals the reference for every shape, group, scale type, tag and thread count", "[gemm][grouped]") { check_all_shapes<4>(); }

TEST_CASE("W8A8 per group equals the reference for every shape, group, scale type, tag and thread count", "[gemm][grouped]") { check_all_shapes<8>(); }

TEST_CASE("W4A8 extremes: codes 0 and 15 against activations +-127 stay exact", "[gemm][grouped]") {
    const std::int64_t k = 4096, n = 3, group = 128;
    std::vector<std::uint8_t> codes(static_cast<std::size_t>(n * k), 15), zp(static_cast<std::size_t>(n * (k / group)), 0);
    for (std::int64_t i = 0; i < k; ++i) codes[static_cast<std::size_t>(k + i)] = 0;
    for (std::int64_t i = 0; i < k; ++i) codes[static_cast<std::size_t>(2 * k + i)] = i % 2 ? 15 : 0;
    const std::vector<float> scales(static_cast<std::size_t>(n * (k / group)), 1.f);
    const auto p = gemm::pack_s4(codes.data(), k, n, k, group, scales.data(), zp.data());
    std::vector<float> x(static_cast<std::size_t>(k));
    for (std::int64_t i = 0; i < k; ++i) x[static_cast<std::size_t>(i)] = i % 2 ? 127.f : -127.f;
    gemm::activations_u8 a;
    gemm::quantize_activations(x.data(), k, 1, k, a);
    REQUIRE(a.scales[0] == 1.f);
    lowbit_test::for_each_compiled_tag([&](auto tag) {
        using Arch = decltype(tag);
        INFO("tag " << Arch::name);
        std::vector<float> y(static_cast<std::size_t>(n));
        gemm::matmul<Arch>(a, p, gemm::epilogue<>{}, y.data(), n);
        CHECK(y[0] == 0.f);                                           // 15 (127 - 127) per pair
        CHECK(y[1] == 0.f);                                           // codes 0
        CHECK(y[2] == static_cast<float>(15 * 127 * (k / 2)));        // 15 x 127 on every odd k
    });
}

TEST_CASE("W8A8 per group extremes: weights -128 and 127 against activations +-127 neither overflow nor saturate", "[gemm][grouped]") {
    // Without VNNI the codes become |w| and sign(w) q: channel 0 (all -128 against -127, +127, ...)
    // puts +-2 x 128 x 127 = +-32512 into every int16 pair.
    const std::int64_t k = 4096, n = 2, group = 32;
    std::vector<std::int8_t> w(static_cast<std::size_t>(n * k), -128);
    for (std::int64_t i = 0; i < k; ++i) w[static_cast<std::size_t>(k + i)] = 127;
    const std::vector<float> scales(static_cast<std::size_t>(n * (k / group)), 1.f);
    const auto p = gemm::pack_s8g(w.data(), k, n, k, group, scales.data());
    std::vector<float> x(static_cast<std::size_t>(2 * k), -127.f);  // row 0: all -127 (scale 1)
    for (std::int64_t i = 0; i < k; ++i) x[static_cast<std::size_t>(k + i)] = (i / 2) % 2 ? 127.f : -127.f;  // row 1: pairs of equal sign
    gemm::activations_u8 a;
    gemm::quantize_activations(x.data(), k, 2, k, a);
    REQUIRE(a.scales == std::vector<float>{1.f, 1.f});
    lowbit_test::for_each_compiled_tag([&](auto tag) {
        using Arch = decltype(tag);
        INFO("tag " << Arch::name);
        std::vector<float> y(static_cast<std::size_t>(2 * n));
        gemm::matmul<Arch>(a, p, gemm::epilogue<>{}, y.data(), n);
        CHECK(y[0] == static_cast<float>(128 * 127 * k));
        CHECK(y[1] == static_cast<float>(-127 * 127 * k));
        CHECK(y[2] == 0.f);
        CHECK(y[3] == 0.f);
    });
}

TEST_CASE("W4A8 and W8A8 per group with an epilogue, and the linear layers", "[gemm][grouped]") {
    const std::int64_t m = 5, k = 256, n = 40;
    const grouped_operands w = random_codes(4, n, k, 64, true, 9);
    const auto p = gemm::pack_s4(w.codes.data(), k, n, k, 64, w.scales.data(), w.zero_points.data());
    const auto x = lowbit_test::random_activations(m, k, 10);
    std::vector<float> b(static_cast<std::size_t>(n), 0.5f), plain(static_cast<std::size_t>(m * n)), fused(plain.size());
    gemm::linear_w4a8(x.data(), k, m, p, plain.data(), n);
    gemm::linear_w4a8(x.data(), k, m, p, fused.data(), n, gemm::epilogue{gemm::bias{b.data()}, gemm::silu{}}, 2);
    const gemm::tile_position at{};
    for (std::size_t i = 0; i < plain.size(); ++i) REQUIRE(lowbit_test::same_bits(fused[i], gemm::silu{}(unfused(plain[i]) + 0.5f, at)));
    std::vector<std::int8_t> q(plain.size());
    gemm::linear_w4a8(x.data(), k, m, p, q.data(), n, gemm::epilogue{gemm::requantize_float{10.f, 3}});
    for (std::size_t i = 0; i < plain.size(); ++i) REQUIRE(q[i] == gemm::requantize_float{10.f, 3}(plain[i], at));

    const auto w8 = lowbit_test::random_s8(static_cast<std::size_t>(n * k), 11);
    const std::vector<float> s8(static_cast<std::size_t>(n * (k / 32)), 0.01f);
    const auto p8 = gemm::pack_s8g(w8.data(), k, n, k, 32, s8.data());
    gemm::linear_w8a8(x.data(), k, m, p8, plain.data(), n, 2);
    gemm::activations_u8 a;
    gemm::quantize_activations(x.data(), k, m, k, a);
    const auto qa = lowbit_test::signed_codes(a);
    std::vector<std::uint8_t> codes(w8.size());
    for (std::size_t i = 0; i < w8.size(); ++i) codes[i] = static_cast<std::uint8_t>(w8[i] + 128);
    std::vector<float> want(plain.size());
    gemm::reference::matmul_grouped_a8(qa.data(), k, a.scales.data(), codes.data(), k, s8.data(), nullptr, want.data(), n, m, n, k, 32, 8);
    for (std::size_t i = 0; i < plain.size(); ++i) REQUIRE(lowbit_test::same_bits(plain[i], want[i]));
}

TEST_CASE("grouped weights' arguments are checked", "[gemm][grouped]") {
    const grouped_operands w = random_codes(4, 4, 64, 32, false, 1);
    CHECK_THROWS_WITH(gemm::pack_s4(w.codes.data(), 64, 4, 64, 48, w.scales.data()), Catch::Contains("group size 48 is not 32, 64 or 128"));
    CHECK_THROWS_WITH(gemm::pack_s4(w.codes.data(), 64, 4, 48, 32, w.scales.data()), Catch::Contains("group size 32 does not divide k = 48"));
    auto bad = w.codes;
    bad[70] = 16;
    CHECK_THROWS_WITH(gemm::pack_s4(bad.data(), 64, 4, 64, 32, w.scales.data()), Catch::Contains("code 16 of channel 1, column 6 is not 0..15"));
    CHECK_THROWS_WITH(gemm::pack_s8g(static_cast<const std::int8_t*>(nullptr), 64, 4, 64, 32, w.scales.data()), Catch::Contains("pack_s8g: the weights are null"));
    const std::vector<std::int8_t> w8(256, 1);
    CHECK_THROWS_WITH(gemm::pack_s8g(w8.data(), 64, 4, 64, 48, w.scales.data()), Catch::Contains("pack_s8g: group size 48"));
    auto nan_scales = w.scales;
    nan_scales[3] = std::nanf("");
    CHECK_THROWS_WITH(gemm::pack_s4(w.codes.data(), 64, 4, 64, 32, nan_scales.data()), Catch::Contains("channel 1, group 1 is not finite"));
    std::vector<std::uint8_t> zp(8, 16);
    CHECK_THROWS_WITH(gemm::pack_s4(w.codes.data(), 64, 4, 64, 32, w.scales.data(), zp.data()), Catch::Contains("zero point 16"));
    const auto p = gemm::pack_s4(w.codes.data(), 64, 4, 64, 32, w.scales.data());
    const std::vector<float> x(128, 1.f);
    gemm::activations_u8 a;
    gemm::quantize_activations_affine(x.data(), 64, 2, 64, a);
    std::vector<float> y(8);
    CHECK_THROWS_WITH(gemm::matmul(a, p, gemm::epilogue<>{}, y.data(), 4), Catch::Contains("grouped weights take symmetric activations"));
    gemm::quantize_activations(x.data(), 32, 2, 32, a);
    CHECK_THROWS_WITH(gemm::matmul(a, p, gemm::epilogue<>{}, y.data(), 4), Catch::Contains("activations have k = 32, the weights k = 64"));
    gemm::quantize_activations(x.data(), 64, 2, 64, a);
    CHECK_THROWS_WITH(gemm::matmul(a, p, gemm::epilogue<>{}, y.data(), 3), Catch::Contains("stride 3 is less than n = 4"));
    CHECK_THROWS_WITH(gemm::matmul(a, gemm::packed_s4<float>{}, gemm::epilogue<>{}, y.data(), 4), Catch::Contains("not packed"));
}
