// Weight-only layers: float activations times int8 (per-channel scales) or 4-bit grouped weights,
// against the reference bit for bit on every compiled tag and thread count, within a stated bound
// of float64, with an epilogue, and with bad arguments.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <tuple>
#include <vector>

#include "gemm_support.hpp"
#include "lowbit/gemm/matmul_weight_only.hpp"

using namespace lowbit;

namespace {

template <class Out>
bool same_outputs(const std::vector<Out>& got, std::int64_t ldg, const std::vector<float>& want, std::int64_t m, std::int64_t n) {
    bool same = true;
    for (std::int64_t r = 0; r < m; ++r)
        for (std::int64_t c = 0; c < n; ++c) same = same && lowbit_test::same_bits(got[static_cast<std::size_t>(r * ldg + c)], want[static_cast<std::size_t>(r * n + c)]);
    return same;
}

template <class Run>
void on_every_tag_and_thread_count(const std::vector<float>& want, std::int64_t m, std::int64_t n, Run&& run) {
    lowbit::thread_pool pool(2);
    lowbit_test::for_each_compiled_tag([&](auto tag) {
        using Arch = decltype(tag);
        INFO("tag " << Arch::name);
        for (int threads : {1, 3, 0}) {
            INFO("threads " << threads);
            std::vector<float> got(static_cast<std::size_t>(m * (n + 2)), -5.f);
            if (threads == 0) run(Arch{}, got.data(), n + 2, lowbit::parallelism(pool));
            else run(Arch{}, got.data(), n + 2, lowbit::parallelism(threads));
            CHECK(same_outputs(got, n + 2, want, m, n));
            bool padding = true;
            for (std::int64_t r = 0; r < m; ++r) padding = padding && got[static_cast<std::size_t>(r * (n + 2) + n)] == -5.f;
            CHECK(padding);
        }
    });
}

void check_w8(std::int64_t m, std::int64_t k, std::int64_t n, std::uint32_t seed) {
    INFO("W8 " << m << " x " << k << " x " << n);
    const auto w = lowbit_test::random_s8(static_cast<std::size_t>(n * k), seed);
    std::vector<float> s(static_cast<std::size_t>(n));
    for (std::size_t c = 0; c < s.size(); ++c) s[c] = 0.001f * static_cast<float>(1 + c % 11);
    const auto x = lowbit_test::random_activations(m, k, seed + 1);
    const auto p = gemm::pack_s8(w.data(), k, n, k, s.data());
    std::vector<float> want(static_cast<std::size_t>(m * n));
    gemm::reference::linear_w8_f32(x.data(), k, w.data(), k, s.data(), want.data(), n, m, n, k);
    for (std::int64_t r = 0; r < m; ++r)
        for (std::int64_t c = 0; c < n; ++c) {
            double exact = 0, magnitude = 0;
            for (std::int64_t i = 0; i < k; ++i) {
                const double t = static_cast<double>(x[static_cast<std::size_t>(r * k + i)]) * w[static_cast<std::size_t>(c * k + i)];
                exact += t;
                magnitude += std::fabs(t);
            }
            const double sc = s[static_cast<std::size_t>(c)];
            REQUIRE(std::fabs(want[static_cast<std::size_t>(r * n + c)] - exact * sc) <= static_cast<double>(k / 4 + 4) * 0x1p-24 * magnitude * sc);
        }
    on_every_tag_and_thread_count(want, m, n, [&](auto arch, float* y, std::int64_t ldy, lowbit::parallelism how) {
        gemm::linear_weight_only<decltype(arch)>(x.data(), k, m, p, y, ldy, how);
    });
}

template <class Scale>
void check_w4(std::int64_t m, std::int64_t k, std::int64_t n, std::int64_t group, bool affine, std::uint32_t seed) {
    INFO("W4 " << m << " x " << k << " x " << n << ", group " << group << (affine ? ", affine" : ", symmetric"));
    std::mt19937 gen(seed);
    std::vector<std::uint8_t> codes(static_cast<std::size_t>(n * k)), zp;
    for (auto& c : codes) c = static_cast<std::uint8_t>(gen() % 16);
    const std::int64_t groups = k / group;
    std::vector<Scale> scales(static_cast<std::size_t>(n * groups));
    std::vector<float> scales_f(scales.size());
    for (std::size_t i = 0; i < scales.size(); ++i) {
        const float v = 0.001f + 0.0001f * static_cast<float>(gen() % 97);
        if constexpr (std::is_same_v<Scale, float>) scales[i] = v;
        else scales[i] = fp16::from_float(v);
        if constexpr (std::is_same_v<Scale, float>) scales_f[i] = scales[i];
        else scales_f[i] = scales[i].to_float();
    }
    if (affine) {
        zp.resize(scales.size());
        for (auto& z : zp) z = static_cast<std::uint8_t>(gen() % 16);
    }
    const auto x = lowbit_test::random_activations(m, k, seed + 1);
    const auto p = gemm::pack_s4(codes.data(), k, n, k, group, scales.data(), affine ? zp.data() : nullptr);
    std::vector<float> want(static_cast<std::size_t>(m * n));
    gemm::reference::linear_w4_f32(x.data(), k, codes.data(), k, scales_f.data(), affine ? zp.data() : nullptr, want.data(), n, m, n, k, group);
    for (std::int64_t r = 0; r < m; ++r)
        for (std::int64_t c = 0; c < n; ++c) {
            double exact = 0, magnitude = 0;
            for (std::int64_t g = 0; g < groups; ++g) {
                const double sg = scales_f[static_cast<std::size_t>(c * groups + g)];
                const int z = affine ? zp[static_cast<std::size_t>(c * groups + g)] : 8;
                for (std::int64_t i = g * group; i < (g + 1) * group; ++i) {
                    const double xv = x[static_cast<std::size_t>(r * k + i)];
                    exact += sg * xv * (codes[static_cast<std::size_t>(c * k + i)] - z);
                    magnitude += sg * std::fabs(xv) * 15;
                }
            }
            REQUIRE(std::fabs(want[static_cast<std::size_t>(r * n + c)] - exact) <= static_cast<double>(group / 4 + groups + 6) * 0x1p-24 * magnitude);
        }
    on_every_tag_and_thread_count(want, m, n, [&](auto arch, float* y, std::int64_t ldy, lowbit::parallelism how) {
        gemm::linear_weight_only<decltype(arch)>(x.data(), k, m, p, y, ldy, how);
    });
}

}  // namespace

TEST_CASE("weight-only int8 equals the reference for every shape, tag and thread count", "[gemm][weight_only]") {
    std::uint32_t seed = 70;
    for (std::int64_t m : {1, 2, 3, 17, 64})
        for (auto [k, n] : {std::pair<std::int64_t, std::int64_t>{1, 1}, {3, 17}, {4, 16}, {61, 65}, {256, 40}, {1000, 33}}) check_w8(m, k, n, seed++);
}

TEST_CASE("weight-only 4-bit equals the reference for every shape, group, scale type, tag and thread count", "[gemm][weight_only]") {
    std::uint32_t seed = 90;
    for (std::int64_t group : {32, 64, 128})
        for (bool affine : {false, true})
            for (auto [m, k, n] : {std::tuple<std::int64_t, std::int64_t, std::int64_t>{1, 128, 1}, {2, 256, 17}, {3, 384, 33}, {17, 128, 75}, {64, 256, 16}}) {
                check_w4<float>(m, k, n, group, affine, seed++);
                check_w4<fp16>(m, k, n, group, affine, seed++);
            }
}

TEST_CASE("weight-only layers with an epilogue; arguments are checked", "[gemm][weight_only]") {
    const std::int64_t m = 3, k = 64, n = 20;
    const auto w = lowbit_test::random_s8(static_cast<std::size_t>(n * k), 5);
    const std::vector<float> s(static_cast<std::size_t>(n), 0.01f), b(static_cast<std::size_t>(n), -0.25f);
    const auto p = gemm::pack_s8(w.data(), k, n, k, s.data());
    const auto x = lowbit_test::random_activations(m, k, 6);
    std::vector<float> plain(static_cast<std::size_t>(m * n)), fused(plain.size());
    gemm::linear_weight_only(x.data(), k, m, p, plain.data(), n);
    gemm::linear_weight_only(x.data(), k, m, p, fused.data(), n, gemm::epilogue{gemm::bias{b.data()}, gemm::gelu{}});
    const gemm::tile_position at{};
    for (std::size_t i = 0; i < plain.size(); ++i) REQUIRE(lowbit_test::same_bits(fused[i], gemm::gelu{}(unfused(plain[i]) - 0.25f, at)));

    const auto unscaled = gemm::pack_s8(w.data(), k, n, k);
    CHECK_THROWS_WITH(gemm::linear_weight_only(x.data(), k, m, unscaled, plain.data(), n), Catch::Contains("have no scales"));
    auto bad = x;
    bad[static_cast<std::size_t>(k + 7)] = std::numeric_limits<float>::infinity();
    CHECK_THROWS_WITH(gemm::linear_weight_only(bad.data(), k, m, p, plain.data(), n), Catch::Contains("inf at row 1, column 7"));
    CHECK_THROWS_WITH(gemm::linear_weight_only(x.data(), k - 1, m, p, plain.data(), n), Catch::Contains("row stride 63 is less than k = 64"));
    CHECK_THROWS_WITH(gemm::linear_weight_only(x.data(), k, m, p, plain.data(), n - 1), Catch::Contains("output row stride 19 is less than n = 20"));
    CHECK_THROWS_WITH(gemm::linear_weight_only(x.data(), k, 0, p, plain.data(), n), Catch::Contains("m = 0"));
    CHECK_THROWS_WITH(gemm::linear_weight_only(x.data(), k, m, gemm::packed_s4<float>{}, plain.data(), n), Catch::Contains("not packed"));
}
