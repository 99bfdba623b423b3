// int8 x int8 GEMM / GEMV: packing, per-row activation quantization (symmetric, affine, static),
// exact int32 products against the reference for every compiled tag and thread count, the W8A8
// float layer, bad arguments.
// Built at -O2 with VNNI too (native17), where g++ 12 miscompiles naive int8 dot loops: the
// reference is protected (LOWBIT_NO_AUTOVECTORIZE) and these tests would catch it if it were not.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <tuple>
#include <vector>

#include "gemm_support.hpp"
#include "lowbit/gemm/matmul.hpp"
#include "lowbit/gemm/reference.hpp"

using namespace lowbit;

namespace {

using lowbit_test::random_s8;
using lowbit_test::random_activations;
using lowbit_test::signed_codes;

enum class activation_mode { symmetric, affine, static_zero_point };

void quantize(activation_mode mode, const std::vector<float>& x, std::int64_t m, std::int64_t k, gemm::activations_u8& a) {
    switch (mode) {
        case activation_mode::symmetric: gemm::quantize_activations(x.data(), k, m, k, a); break;
        case activation_mode::affine: gemm::quantize_activations_affine(x.data(), k, m, k, a); break;
        case activation_mode::static_zero_point: gemm::quantize_activations_static(x.data(), k, m, k, 0.07f, -19, a); break;
    }
}

template <class Arch>
void check_exact(std::int64_t m, std::int64_t k, std::int64_t n, std::uint32_t seed, activation_mode mode, lowbit::thread_pool& pool) {
    INFO("tag " << Arch::name << ", " << m << " x " << k << " x " << n << ", activation mode " << static_cast<int>(mode));
    const auto w = random_s8(static_cast<std::size_t>(n * k), seed);
    const auto x = random_activations(m, k, seed + 1);
    const gemm::packed_s8 p = gemm::pack_s8(w.data(), k, n, k);
    gemm::activations_u8 a;
    quantize(mode, x, m, k, a);
    const auto want = lowbit_test::reference_product(a, w, n);
    for (int threads : {1, 3, 0}) {  // 0: the pool
        std::vector<std::int32_t> got(static_cast<std::size_t>(m * (n + 5)), -7);  // padded rows: untouched
        if (threads == 0) gemm::matmul_s32<Arch>(a, p, got.data(), n + 5, pool);
        else gemm::matmul_s32<Arch>(a, p, got.data(), n + 5, threads);
        bool same = true, padding_kept = true;
        for (std::int64_t r = 0; r < m; ++r)
            for (std::int64_t c = 0; c < n + 5; ++c) {
                const std::int32_t g = got[static_cast<std::size_t>(r * (n + 5) + c)];
                if (c < n) same = same && g == want[static_cast<std::size_t>(r * n + c)];
                else padding_kept = padding_kept && g == -7;
            }
        CHECK(same);
        CHECK(padding_kept);
    }
}

}  // namespace

TEST_CASE("int8 products equal the reference for every shape, tag, activation mode and thread count", "[gemm][s8]") {
    lowbit::thread_pool pool(2);
    lowbit_test::for_each_compiled_tag([&](auto tag) {
        using Arch = decltype(tag);
        std::uint32_t seed = 10;
        for (std::int64_t m : {1, 2, 3, 4, 5, 6, 7, 8, 15, 17, 64, 129})
            for (auto [k, n] : {std::pair<std::int64_t, std::int64_t>{1, 1}, {3, 17}, {4, 16}, {61, 65}, {256, 64}, {1000, 33}})
                check_exact<Arch>(m, k, n, seed++, activation_mode::symmetric, pool);
        for (auto mode : {activation_mode::affine, activation_mode::static_zero_point})
            for (auto [m, k, n] : {std::tuple<std::int64_t, std::int64_t, std::int64_t>{1, 301, 40}, {9, 64, 97}, {64, 129, 16}})
                check_exact<Arch>(m, k, n, seed++, mode, pool);
    });
}

TEST_CASE("int8 products at the extremes of the operand range neither overflow nor saturate", "[gemm][s8]") {
    // K = max_k with every product at its largest magnitude: 128 * 127 * 65536 < 2^31. Channel 0
    // is all -128 (the weight whose magnitude needs the full unsigned byte), channel 1 all +127,
    // channel 2 alternates -128 / +127 so adjacent pairs of the non-VNNI path reach +-32512.
    const std::int64_t k = gemm::max_k, n = 17;
    std::vector<std::int8_t> w(static_cast<std::size_t>(n * k), -128);
    for (std::int64_t c = 0; c < k; ++c) {
        w[static_cast<std::size_t>(k + c)] = 127;
        w[static_cast<std::size_t>(2 * k + c)] = c % 2 ? 127 : -128;
    }
    std::vector<float> x(static_cast<std::size_t>(3 * k), -1.f);  // row 0: q = -127
    for (std::int64_t c = 0; c < k; ++c) {
        x[static_cast<std::size_t>(k + c)] = c % 2 ? 1.f : -1.f;  // row 1: -127, +127, ...
        x[static_cast<std::size_t>(2 * k + c)] = 1.f;           // row 2: +127
    }
    const gemm::packed_s8 p = gemm::pack_s8(w.data(), k, n, k);
    gemm::activations_u8 a;
    gemm::quantize_activations(x.data(), k, 3, k, a);
    const auto want = lowbit_test::reference_product(a, w, n);
    CHECK(want[0] == 127 * 128 * k);
    CHECK(want[1] == -127 * 127 * k);
    CHECK(want[2] == -127 * (127 - 128) * (k / 2));
    CHECK(want[static_cast<std::size_t>(n)] == 0);
    CHECK(want[static_cast<std::size_t>(n + 2)] == 127 * (127 + 128) * (k / 2));
    CHECK(want[static_cast<std::size_t>(2 * n)] == -127 * 128 * k);
    lowbit_test::for_each_compiled_tag([&](auto tag) {
        using Arch = decltype(tag);
        INFO("tag " << Arch::name);
        std::vector<std::int32_t> got(static_cast<std::size_t>(3 * n));
        gemm::matmul_s32<Arch>(a, p, got.data(), n);
        CHECK(got == want);
        gemm::matmul_s32<Arch>(a, p, got.data(), n, 1, gemm::blocking{k / 3 / 4 * 4, 2});  // sums carried over 4 passes
        CHECK(got == want);
    });
}

TEST_CASE("int8 products are the same for every blocking: passes over K, blocks of rows", "[gemm][s8]") {
    // The sums carried between passes, the epilogue after the last pass and the prefetch of the
    // next pass must not change a bit; the affine activations exercise the zero-point correction.
    lowbit::thread_pool pool(2);
    lowbit_test::for_each_compiled_tag([&](auto tag) {
        using Arch = decltype(tag);
        std::uint32_t seed = 300;
        for (auto [m, k, n] : {std::tuple<std::int64_t, std::int64_t, std::int64_t>{1, 61, 33}, {9, 130, 40}, {17, 257, 65}, {40, 64, 16}}) {
            const auto w = random_s8(static_cast<std::size_t>(n * k), seed);
            const auto x = random_activations(m, k, seed + 1);
            seed += 2;
            const gemm::packed_s8 p = gemm::pack_s8(w.data(), k, n, k);
            gemm::activations_u8 a;
            gemm::quantize_activations_affine(x.data(), k, m, k, a);
            const auto want = lowbit_test::reference_product(a, w, n);
            for (std::int64_t k_pass : {std::int64_t{4}, std::int64_t{8}, std::int64_t{60}, p.k4, p.k4 + 4})
                for (std::int64_t m_pass : {std::int64_t{1}, std::int64_t{3}, std::int64_t{8}, m})
                    for (int threads : {1, 0}) {
                        INFO("tag " << Arch::name << ", " << m << " x " << k << " x " << n << ", k_pass " << k_pass << ", m_pass " << m_pass << ", threads " << threads);
                        std::vector<std::int32_t> got(static_cast<std::size_t>(m * n), -7);
                        const gemm::blocking plan{k_pass, m_pass};
                        if (threads == 0) gemm::matmul_s32<Arch>(a, p, got.data(), n, pool, plan);
                        else gemm::matmul_s32<Arch>(a, p, got.data(), n, threads, plan);
                        CHECK(got == want);
                    }
        }
    });
}

TEST_CASE("the blocking chosen for a small L2 splits K and gives the reference's bits", "[gemm][s8]") {
    lowbit_test::for_each_compiled_tag([&](auto tag) {
        using Arch = decltype(tag);
        using shape = gemm::detail::tile_shape<Arch>;
        const std::int64_t m = 4 * shape::rows + 3, k = 999, n = 3 * shape::panels * gemm::panel_cols + 5;
        const auto w = random_s8(static_cast<std::size_t>(n * k), 500);
        const auto x = random_activations(m, k, 501);
        const gemm::packed_s8 p = gemm::pack_s8(w.data(), k, n, k);
        gemm::activations_u8 a;
        gemm::quantize_activations_affine(x.data(), k, m, k, a);
        const auto plan = gemm::choose_blocking(m, p.k4, shape::rows, shape::panels, 8 * 1024);
        INFO("tag " << Arch::name << ", k_pass " << plan.k_pass << ", m_pass " << plan.m_pass);
        CHECK((p.k4 + plan.k_pass - 1) / plan.k_pass >= 3);
        std::vector<std::int32_t> got(static_cast<std::size_t>(m * n));
        gemm::matmul_s32<Arch>(a, p, got.data(), n, 2, plan);
        CHECK(got == lowbit_test::reference_product(a, w, n));
    });
}

TEST_CASE("the blocking chosen from the shape", "[gemm][s8]") {
    const std::int64_t l2 = std::int64_t{1} << 20;
    // One tile of rows, or a block of weights within half of L2: K stays whole, M in one block.
    for (std::int64_t m : {1, 8}) {
        const auto plan = gemm::choose_blocking(m, 28672, 8, 2, l2);
        CHECK(plan.k_pass == 28672);
        CHECK(plan.m_pass == m);
    }
    CHECK(gemm::choose_blocking(512, 11008, 8, 2, l2).k_pass == 11008);
    // Otherwise equal passes of at most a quarter of L2 that cover K, and blocks of whole tiles.
    for (std::int64_t k4 : {16388, 28672, 65536})
        for (std::int64_t m : {9, 512, 4096}) {
            INFO("k4 " << k4 << ", m " << m);
            const auto plan = gemm::choose_blocking(m, k4, 8, 2, l2);
            const std::int64_t passes = (k4 + plan.k_pass - 1) / plan.k_pass;
            CHECK(plan.k_pass % 4 == 0);
            CHECK(plan.k_pass < k4);
            CHECK(plan.k_pass * 32 <= l2 / 4);
            CHECK(passes == (k4 * 32 + l2 / 4 - 1) / (l2 / 4));  // as few passes as fit a quarter of L2
            CHECK(passes * plan.k_pass - k4 < 4 * passes);  // equal passes, not a short last one
            CHECK(plan.m_pass == std::min<std::int64_t>(m, 512));
        }
    // A tiny L2 still gives a pass of at least one group of 4.
    CHECK(gemm::choose_blocking(64, 1024, 8, 2, 16).k_pass == 4);
}

TEST_CASE("per-row activation quantization: codes, scales, ties, bounds", "[gemm][s8]") {
    // Row 0: max 127 gives s = 1; halves round to even. Row 1: zeros. Row 2: K = 5 pads to 8.
    const std::vector<float> x{127.f, 2.5f, 3.5f, -2.5f, -127.f, 0.f, 0.f, 0.f, 0.f, 0.f, 1e-3f, -4e-3f, 0.f, 2e-3f, 5e-4f};
    gemm::activations_u8 a;
    gemm::quantize_activations(x.data(), 5, 3, 5, a);
    CHECK(a.k4 == 8);
    CHECK(a.scales[0] == 1.f);
    const std::vector<int> row0{a.row(0)[0], a.row(0)[1], a.row(0)[2], a.row(0)[3], a.row(0)[4], a.row(0)[5]};
    CHECK(row0 == std::vector<int>{255, 130, 132, 126, 1, 128});
    CHECK(a.scales[1] == 0.f);
    for (int i = 0; i < 8; ++i) CHECK(a.row(1)[i] == 128);
    for (int i = 5; i < 8; ++i) CHECK(a.row(2)[i] == 128);  // padding is q = 0

    const auto y = random_activations(9, 301, 5);
    gemm::quantize_activations(y.data(), 301, 9, 301, a);
    for (std::int64_t r = 0; r < 9; ++r) {
        const float s = a.scales[static_cast<std::size_t>(r)];
        for (std::int64_t i = 0; i < 301; ++i) {
            const int q = int{a.row(r)[i]} - 128;
            REQUIRE(q >= -127);
            REQUIRE(q <= 127);
            REQUIRE(std::fabs(y[static_cast<std::size_t>(r * 301 + i)] - static_cast<float>(q) * s) <= (0.5f + 1e-4f) * s);
        }
    }
    // The vector path gives the scalar path's bytes (odd K: a vector body and a scalar tail).
    for (std::int64_t k : {1, 15, 16, 17, 301, 1000}) {
        const auto z = random_activations(5, k, 6);
        gemm::activations_u8 v, r;
        gemm::quantize_activations(z.data(), k, 5, k, v);
        gemm::quantize_activations<arch::scalar>(z.data(), k, 5, k, r);
        CHECK(v.data == r.data);
        CHECK(v.scales == r.scales);
    }
    std::vector<float> inf_late(40, 1.f);
    inf_late[37] = -std::numeric_limits<float>::infinity();
    CHECK_THROWS_WITH(gemm::quantize_activations(inf_late.data(), 40, 1, 40, a), Catch::Contains("-inf at row 0, column 37"));
    inf_late[37] = 1.f;
    inf_late[3] = std::numeric_limits<float>::infinity();
    CHECK_THROWS_WITH(gemm::quantize_activations<arch::scalar>(inf_late.data(), 40, 1, 40, a), Catch::Contains("inf at row 0, column 3"));
    const std::vector<float> bad{1.f, std::nanf(""), 2.f};
    CHECK_THROWS_WITH(gemm::quantize_activations(bad.data(), 3, 1, 3, a), Catch::Contains("nan at row 0, column 1"));
}

TEST_CASE("affine and static activations: zero points, error bounds, vector path, bad arguments", "[gemm][s8]") {
    // Row 0: [-1, 3] -> s = 4 / 254, z = round(-127 + 63.5) = -64 (ties to even: -63.5 -> -64).
    // Row 1: all positive, so the range widens to [0, 2]: z = -127 and 0 is code -127.
    // Row 2: zeros: s = 0, z = 0. Row 3: all negative, [-5, 0]: z = 127.
    const std::vector<float> x{-1.f, 3.f, 0.f, 1.f, 0.5f, 2.f, 1.f, 2.f, 0.f, 0.f, 0.f, 0.f, -5.f, -1.f, -2.5f, -0.1f};
    gemm::activations_u8 a;
    gemm::quantize_activations_affine(x.data(), 4, 4, 4, a);
    CHECK(a.scales[0] == 4.f / 254.f);
    CHECK(a.zero_points == std::vector<std::int32_t>{-64, -127, 0, 127});
    CHECK(int{a.row(0)[0]} - 128 == -127);
    CHECK(int{a.row(0)[2]} - 128 == -64);  // zero is exact
    CHECK(int{a.row(1)[0]} - 128 == -63);  // 0.5 / (2/254) = 63.5 -> 64 (even), + z = -127
    CHECK(int{a.row(3)[0]} - 128 == -127);
    CHECK(int{a.row(3)[2]} - 128 == 127 - 127);  // -2.5 / (5/254) = -127
    for (int i = 0; i < 4; ++i) CHECK(a.row(2)[i] == 128);

    for (std::int64_t k : {1, 7, 16, 33, 300}) {
        auto y = random_activations(6, k, 9);
        for (std::int64_t i = 0; i < k; ++i) y[static_cast<std::size_t>(2 * k + i)] = std::fabs(y[static_cast<std::size_t>(2 * k + i)]) + 0.5f;  // row 2 > 0
        gemm::activations_u8 v, r, sv, sr;
        gemm::quantize_activations_affine(y.data(), k, 6, k, v);
        gemm::quantize_activations_affine<arch::scalar>(y.data(), k, 6, k, r);
        CHECK(v.data == r.data);
        CHECK(v.scales == r.scales);
        CHECK(v.zero_points == r.zero_points);
        gemm::quantize_activations_static(y.data(), k, 6, k, 0.05f, 30, sv);
        gemm::quantize_activations_static<arch::scalar>(y.data(), k, 6, k, 0.05f, 30, sr);
        CHECK(sv.data == sr.data);
        for (std::int64_t row = 0; row < 6; ++row) {
            const float s = v.scales[static_cast<std::size_t>(row)];
            const int z = v.zero_points[static_cast<std::size_t>(row)];
            for (std::int64_t i = 0; i < k; ++i) {
                const float xi = y[static_cast<std::size_t>(row * k + i)];
                const int q = int{v.row(row)[i]} - 128;
                REQUIRE(q >= -127);
                REQUIRE(q <= 127);
                REQUIRE(std::fabs(xi - s * static_cast<float>(q - z)) <= 0.5001f * s + 1e-6f * std::fabs(xi));
                const int qs = int{sv.row(row)[i]} - 128;  // static: clamped outside [s(-127 - z), s(127 - z)]
                const float clamped = std::fmin(0.05f * 97.f, std::fmax(0.05f * -157.f, xi));
                REQUIRE(std::fabs(clamped - 0.05f * static_cast<float>(qs - 30)) <= 0.5001f * 0.05f);
            }
        }
    }
    const std::vector<float> ok(8, 1.f);
    CHECK_THROWS_WITH(gemm::quantize_activations_static(ok.data(), 8, 1, 8, 0.f, 0, a), Catch::Contains("scale 0 is not finite and > 0"));
    CHECK_THROWS_WITH(gemm::quantize_activations_static(ok.data(), 8, 1, 8, 1.f, 128, a), Catch::Contains("zero point 128 is outside [-127, 127]"));
    std::vector<float> bad(8, 1.f);
    bad[5] = std::nanf("");
    CHECK_THROWS_WITH(gemm::quantize_activations_static(bad.data(), 8, 1, 8, 1.f, 0, a), Catch::Contains("nan at row 0, column 5"));
    CHECK_THROWS_WITH(gemm::quantize_activations_affine(bad.data(), 4, 2, 4, a), Catch::Contains("nan at row 1, column 1"));
    const std::vector<float> wide{-3e38f, 3e38f};
    CHECK_THROWS_WITH(gemm::quantize_activations_affine(wide.data(), 2, 1, 2, a), Catch::Contains("too wide"));
    CHECK_THROWS_WITH(gemm::quantize_activations_affine(ok.data(), 8, 1, 0, a), Catch::Contains("1 x 0"));
}

TEST_CASE("the W8A8 linear layer: the reference's floats, close to float64", "[gemm][s8]") {
    for (auto [m, k, n] : {std::tuple<std::int64_t, std::int64_t, std::int64_t>{1, 4096, 40}, {7, 333, 129}, {64, 128, 16}}) {
        INFO(m << " x " << k << " x " << n);
        const auto w = random_s8(static_cast<std::size_t>(n * k), 3, -127, 127);
        std::vector<float> sw(static_cast<std::size_t>(n));
        for (std::size_t c = 0; c < sw.size(); ++c) sw[c] = 0.001f * static_cast<float>(c + 1);
        const auto x = random_activations(m, k, 4);
        const gemm::packed_s8 p = gemm::pack_s8(w.data(), k, n, k, sw.data());
        std::vector<float> y(static_cast<std::size_t>(m * n)), y3(y.size());
        gemm::linear_w8a8(x.data(), k, m, p, y.data(), n);
        gemm::linear_w8a8<arch::scalar>(x.data(), k, m, p, y3.data(), n, 3);
        CHECK(y == y3);

        gemm::activations_u8 a;
        gemm::quantize_activations(x.data(), k, m, k, a);
        const auto as = signed_codes(a);
        for (std::int64_t r = 0; r < m; ++r)
            for (std::int64_t c = 0; c < n; ++c) {
                const std::int32_t acc = gemm::reference::dot_s8(as.data() + r * k, w.data() + c * k, k);
                const float sa = a.scales[static_cast<std::size_t>(r)];
                const float got = y[static_cast<std::size_t>(r * n + c)];
                REQUIRE(got == gemm::reference::dequantize(acc, sa, sw[static_cast<std::size_t>(c)]));
                // float64 of the same quantized operands: three float roundings at most.
                const double exact = static_cast<double>(acc) * static_cast<double>(sa) * static_cast<double>(sw[static_cast<std::size_t>(c)]);
                REQUIRE(std::fabs(got - exact) <= 4 * 0x1p-24 * std::fabs(exact));
            }
    }
}

TEST_CASE("int8 GEMM arguments are checked", "[gemm][s8]") {
    const auto w = random_s8(64, 1);
    CHECK_THROWS_WITH(gemm::pack_s8(w.data(), 8, 0, 8), Catch::Contains("0 x 8"));
    CHECK_THROWS_WITH(gemm::pack_s8(w.data(), 4, 2, 8), Catch::Contains("row stride 4 is less than k = 8"));
    CHECK_THROWS_WITH(gemm::pack_s8(nullptr, 8, 2, 8), Catch::Contains("null"));
    std::vector<std::int8_t> big(static_cast<std::size_t>(gemm::max_k + 1));
    CHECK_THROWS_WITH(gemm::pack_s8(big.data(), gemm::max_k + 1, 1, gemm::max_k + 1), Catch::Contains("exceeds 65536"));
    const float bad_scales[] = {1.f, -1.f};
    CHECK_THROWS_WITH(gemm::pack_s8(w.data(), 8, 2, 8, bad_scales), Catch::Contains("channel 1"));

    const gemm::packed_s8 p = gemm::pack_s8(w.data(), 8, 8, 8);
    gemm::activations_u8 a;
    const std::vector<float> x(16, 1.f);
    gemm::quantize_activations(x.data(), 4, 4, 4, a);
    std::vector<std::int32_t> c(64);
    CHECK_THROWS_WITH(gemm::matmul_s32(a, p, c.data(), 8), Catch::Contains("activations have k = 4, the weights k = 8"));
    gemm::quantize_activations(x.data(), 8, 2, 8, a);
    CHECK_THROWS_WITH(gemm::matmul_s32(a, p, c.data(), 7), Catch::Contains("stride 7 is less than n = 8"));
    CHECK_THROWS_WITH(gemm::matmul_s32(a, p, nullptr, 8), Catch::Contains("output is null"));
    CHECK_THROWS_WITH(gemm::matmul_s32(a, p, c.data(), 8, 0), Catch::Contains("threads = 0"));
    CHECK_THROWS_WITH(gemm::matmul_s32(a, gemm::packed_s8{}, c.data(), 8), Catch::Contains("not packed"));
    CHECK_THROWS_WITH(gemm::matmul_s32(a, p, c.data(), 8, 1, gemm::blocking{6, 8}), Catch::Contains("k_pass = 6 is not a positive multiple of 4"));
    CHECK_THROWS_WITH(gemm::matmul_s32(a, p, c.data(), 8, 1, gemm::blocking{0, 8}), Catch::Contains("k_pass = 0"));
    CHECK_THROWS_WITH(gemm::matmul_s32(a, p, c.data(), 8, 1, gemm::blocking{8, 0}), Catch::Contains("m_pass = 0 is not positive"));
    std::vector<float> y(64);
    CHECK_THROWS_WITH(gemm::linear_w8a8(x.data(), 8, 2, p, y.data(), 8), Catch::Contains("no scales"));
}
