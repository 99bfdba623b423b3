// Rounding modes on known values, and the statistics of stochastic rounding.
#include <cmath>
#include <cstdint>
#include <vector>

#include <catch2/catch.hpp>

#include "support.hpp"

using namespace lowbit;

TEST_CASE("deterministic rounding modes on ties and near-ties", "[rounding]") {
    struct row {
        float v, even, away, up, zero;
    };
    const std::vector<row> table = {
        {0.5f, 0, 1, 1, 0},        {1.5f, 2, 2, 2, 1},      {2.5f, 2, 3, 3, 2},     {-0.5f, 0, -1, 0, 0},
        {-1.5f, -2, -2, -1, -1},   {-2.5f, -2, -3, -2, -2}, {0.49999997f, 0, 0, 0, 0}, {0.50000006f, 1, 1, 1, 0},
        {-0.50000006f, -1, -1, -1, 0}, {3.7f, 4, 4, 4, 3},  {-3.7f, -4, -4, -4, -3}, {7.0f, 7, 7, 7, 7},
        {-0.0f, 0, 0, 0, 0},       {1e-40f, 0, 0, 0, 0},     {8388607.5f, 8388608, 8388608, 8388608, 8388607},
        {-8388607.5f, -8388608, -8388608, -8388607, -8388607}, {16777216.0f, 16777216, 16777216, 16777216, 16777216}};
    for (const auto& r : table) {
        INFO("v = " << r.v);
        CHECK(round_nearest_even::apply(r.v) == r.even);
        CHECK(round_half_away::apply(r.v) == r.away);
        CHECK(round_half_up::apply(r.v) == r.up);
        CHECK(round_toward_zero::apply(r.v) == r.zero);
    }
}

TEST_CASE("nearest-even agrees with the library rint under the default rounding mode", "[rounding]") {
    std::mt19937 gen(3);
    std::uniform_real_distribution<float> dist(-300.0f, 300.0f);
    long bad = 0;
    for (int i = 0; i < 200000; ++i) {
        const float v = i % 2 ? dist(gen) : std::floor(dist(gen)) + 0.5f;
        if (round_nearest_even::apply(v) != std::rint(v)) ++bad;
    }
    REQUIRE(bad == 0);
}

TEST_CASE("stochastic rounding lands on a neighbour and is unbiased", "[rounding][stochastic]") {
    using sr = round_stochastic<2024>;
    for (float v : {2.3f, -2.3f, 0.1f, -0.9f, 5.5f, 0.001f, -126.75f}) {
        const int n = 200000;
        double sum = 0;
        long off_grid = 0;
        for (int i = 0; i < n; ++i) {
            const float q = sr::apply(v, static_cast<std::uint64_t>(i));
            if (q != std::floor(v) && q != std::ceil(v)) ++off_grid;
            sum += q;
        }
        const double frac = v - std::floor(v);
        const double sigma = std::sqrt(frac * (1 - frac) / n);
        INFO("v = " << v << ", mean = " << sum / n);
        CHECK(off_grid == 0);
        CHECK(std::fabs(sum / n - v) <= 5 * sigma + 0x1p-24);
    }
    // Integers never move.
    for (int i = 0; i < 1000; ++i) CHECK(sr::apply(-3.0f, static_cast<std::uint64_t>(i)) == -3.0f);
}

TEST_CASE("stochastic rounding is a pure function of (seed, index)", "[rounding][stochastic]") {
    std::vector<float> a, b, c;
    for (std::uint64_t i = 0; i < 4096; ++i) {
        const std::uint64_t index = i * 0x100000001ull;  // exercises the upper 32 bits of the index
        a.push_back(round_stochastic<1>::apply(0.5f, index));
        b.push_back(round_stochastic<1>::apply(0.5f, index));
        c.push_back(round_stochastic<2>::apply(0.5f, index));
    }
    CHECK(a == b);
    CHECK(a != c);
    // Calling in reverse order gives the same values: there is no hidden generator state.
    std::vector<float> reversed(a.size());
    for (std::size_t i = a.size(); i-- > 0;)
        reversed[i] = round_stochastic<1>::apply(0.5f, static_cast<std::uint64_t>(i) * 0x100000001ull);
    CHECK(reversed == a);
}

TEST_CASE("counter_uniform fills [0, 1) evenly", "[rounding][stochastic]") {
    const counter_key key(99);
    std::vector<long> buckets(64, 0);
    const long n = 1 << 20;
    for (long i = 0; i < n; ++i) {
        const float u = counter_uniform(key, static_cast<std::uint64_t>(i));
        REQUIRE(u >= 0.0f);
        REQUIRE(u < 1.0f);
        ++buckets[static_cast<std::size_t>(u * 64)];
    }
    double chi2 = 0;
    const double expected = static_cast<double>(n) / 64;
    for (long k : buckets) chi2 += (static_cast<double>(k) - expected) * (static_cast<double>(k) - expected) / expected;
    CHECK(chi2 < 120.0);  // 63 degrees of freedom: P(chi2 > 120) < 1e-5
}

TEST_CASE("stochastic quantization is repeatable and independent of how the input is laid out", "[quantize][stochastic]") {
    using S = scheme<int_bits<4>, per_group<32>, round_stochastic<5>>;
    const auto m = lowbit_test::weights(9, 64, 1, 5);
    const auto t1 = quantize<S>(m.view());
    const auto t2 = quantize<S>(m.view());
    CHECK(t1.packed_codes() == t2.packed_codes());
    const auto dense = m.dense();
    CHECK(quantize<S>({dense.data(), 9, 64}).packed_codes() == t1.packed_codes());
    // A column-major copy is the same logical matrix: the same element indices, the same codes.
    std::vector<float> colmajor(dense.size());
    for (index_t r = 0; r < 9; ++r)
        for (index_t c = 0; c < 64; ++c) colmajor[static_cast<std::size_t>(c * 9 + r)] = dense[static_cast<std::size_t>(r * 64 + c)];
    CHECK(quantize<S>({colmajor.data(), 9, 64, 1, 9}).packed_codes() == t1.packed_codes());
    using other_seed = scheme<int_bits<4>, per_group<32>, round_stochastic<6>>;
    CHECK(quantize<other_seed>(m.view()).packed_codes() != t1.packed_codes());
}

TEST_CASE("stochastic quantization of a tensor is unbiased", "[quantize][stochastic]") {
    // One element fixes amax = 7, so the scale is exactly 1 and the codes of 2.3 average 2.3.
    using S = scheme<int_bits<4>, per_tensor, round_stochastic<11>>;
    const index_t n = 100001;
    std::vector<float> x(static_cast<std::size_t>(n), 2.3f);
    x[0] = 7.0f;
    const auto t = quantize<S>({x.data(), 1, n});
    REQUIRE(t.scale(0) == 1.0f);
    double sum = 0;
    for (index_t c = 1; c < n; ++c) sum += t.code(0, c);
    const double mean = sum / static_cast<double>(n - 1);
    const double sigma = std::sqrt(0.3 * 0.7 / static_cast<double>(n - 1));
    CHECK(std::fabs(mean - 2.3) <= 5 * sigma);
}
