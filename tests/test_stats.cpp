// Error statistics and bits per weight.
#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include <catch2/catch.hpp>

#include "support.hpp"

using namespace lowbit;

TEST_CASE("error statistics of a known pair", "[stats]") {
    const std::vector<float> x = {1, 2, 3, 4}, y = {1, 2, 3, 5};
    const auto s = compare({x.data(), 2, 2}, {y.data(), 2, 2});
    CHECK(s.count == 4);
    CHECK(s.mse == Approx(0.25));
    CHECK(s.max_abs == 1.0);
    CHECK(s.sqnr_db == Approx(10 * std::log10(30.0)));
    CHECK(s.cosine == Approx(34.0 / std::sqrt(30.0 * 39.0)));
}

TEST_CASE("error statistics at their limits", "[stats]") {
    const std::vector<float> x = {1, -2, 3}, zero = {0, 0, 0};
    const auto same = compare({x.data(), 1, 3}, {x.data(), 1, 3});
    CHECK(same.mse == 0.0);
    CHECK(same.sqnr_db == std::numeric_limits<double>::infinity());
    CHECK(same.cosine == Approx(1.0));
    const auto against_zero = compare({x.data(), 1, 3}, {zero.data(), 1, 3});
    CHECK(against_zero.sqnr_db == Approx(0.0));
    CHECK(against_zero.cosine == 0.0);
    CHECK(compare({zero.data(), 1, 3}, {zero.data(), 1, 3}).cosine == 1.0);
    CHECK(compare({zero.data(), 1, 3}, {x.data(), 1, 3}).sqnr_db == -std::numeric_limits<double>::infinity());
    CHECK_THROWS_WITH(compare({x.data(), 1, 3}, {x.data(), 3, 1}), Catch::Contains("the reference is 1 x 3 but the approximation is 3 x 1"));
}

TEST_CASE("SQNR grows by about 6 dB per bit on Gaussian data", "[stats]") {
    // In the fine-step regime the error is uniform over a step: each bit halves it (+6.02 dB).
    std::mt19937 gen(4);
    std::normal_distribution<float> normal(0.0f, 1.0f);
    std::vector<float> x(64 * 256);
    for (auto& v : x) v = normal(gen);
    auto sqnr = [&](auto scheme_tag) {
        using S = decltype(scheme_tag);
        const auto y = dequantize(quantize<S>({x.data(), 64, 256}));
        return compare({x.data(), 64, 256}, {y.data(), 64, 256}).sqnr_db;
    };
    const double s4 = sqnr(scheme<int_bits<4>, per_group<32>>{});
    const double s6 = sqnr(scheme<int_bits<6>, per_group<32>>{});
    const double s8 = sqnr(scheme<int_bits<8>, per_group<32>>{});
    CHECK(s6 - s4 == Approx(12.0).margin(2.0));
    CHECK(s8 - s6 == Approx(12.0).margin(2.0));
}

TEST_CASE("bits per weight count codes, scales and zero points", "[stats]") {
    std::vector<float> x(128 * 256, 1.0f);
    const matrix_view<const float> v(x.data(), 128, 256);
    CHECK(quantize<schemes::w4_g32_sym>(v).bits_per_weight() == 5.0);                               // 4 + 32/32
    CHECK(quantize<scheme<uint_bits<4>, affine, per_group<128>, scale_f16>>(v).bits_per_weight() == 4.1875);  // 4 + 24/128
    CHECK(quantize<schemes::w8_per_channel>(v).bits_per_weight() == 8.125);                          // 8 + 32/256
    CHECK(quantize<scheme<uint_bits<3>, affine, per_group<64>>>(v).bits_per_weight() == 3.625);      // 3 + 40/64
    const std::vector<float> ten(100, 1.0f);
    CHECK(quantize<scheme<int_bits<8>>>({ten.data(), 10, 10}).bits_per_weight() == Approx(8.32));   // (100 + 4) * 8 / 100
    CHECK(quantize<scheme<uint_bits<3>, affine, per_channel<0>>>({ten.data(), 10, 10}).storage_bytes() == 10 * 4 + 10 * 4 + 10);
}
