// GGUF edge cases, for the scalar reference and the row API (vector kernels, threads): properties
// that follow from each format, checked on inputs ggml's vectors do not cover, and every rejected
// argument. Built with -ffp-contract=fast in the native variants (see CMakeLists.txt).
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <random>

#include "gguf_support.hpp"

using namespace lowbit_test::gguf;
namespace gguf = lowbit::gguf;

namespace {

struct reference_api {
    template <class T>
    static void quantize(const float* x, std::int64_t rows, std::int64_t cols, std::vector<std::byte>& out, const float* w = nullptr) {
        gguf::reference::quantize_rows<T>(x, rows, cols, out.data(), out.size(), w);
    }
    template <class T>
    static void dequantize(const std::vector<std::byte>& in, std::int64_t rows, std::int64_t cols, std::vector<float>& y) {
        gguf::reference::dequantize_rows<T>(in.data(), in.size(), rows, cols, y.data(), y.size());
    }
};

struct row_api {  // the public entry points: arch::native kernels, two threads
    template <class T>
    static void quantize(const float* x, std::int64_t rows, std::int64_t cols, std::vector<std::byte>& out, const float* w = nullptr) {
        gguf::quantize_rows<T>(x, rows, cols, out.data(), out.size(), w, 2);
    }
    template <class T>
    static void dequantize(const std::vector<std::byte>& in, std::int64_t rows, std::int64_t cols, std::vector<float>& y) {
        gguf::dequantize_rows<T>(in.data(), in.size(), rows, cols, y.data(), y.size(), 2);
    }
};

template <class T, class Api>
std::vector<float> round_trip(const std::vector<float>& x, std::int64_t rows, std::vector<std::byte>* bytes = nullptr) {
    const auto cols = static_cast<std::int64_t>(x.size()) / rows;
    std::vector<std::byte> q(static_cast<std::size_t>(rows) * T::row_bytes(cols));
    Api::template quantize<T>(x.data(), rows, cols, q);
    std::vector<float> y(x.size());
    Api::template dequantize<T>(q, rows, cols, y);
    if (bytes) *bytes = q;
    return y;
}

std::vector<float> gaussian(std::size_t n, std::uint32_t seed, float sigma = 1.f) {
    std::mt19937 gen(seed);
    std::normal_distribution<float> normal(0.f, sigma);
    std::vector<float> v(n);
    for (auto& e : v) e = normal(gen);
    return v;
}

double sqnr_db(const std::vector<float>& x, const std::vector<float>& y) {
    double signal = 0, noise = 0;
    for (std::size_t i = 0; i < x.size(); ++i) {
        signal += double(x[i]) * x[i];
        noise += (double(x[i]) - y[i]) * (double(x[i]) - y[i]);
    }
    return 10 * std::log10(signal / noise);
}

// Lower bounds on the SQNR of Gaussian weights: about 6 dB per bit of the format's codes, minus
// what its block scales cost; ternary codes carry ~1.6 bits but cannot reach a Gaussian's tails.
template <class T>
double min_sqnr() {
    const std::string n = T::name;
    if (n == "q8_0" || n == "q8_1" || n == "q8_K") return 40;
    if (n == "q6_K") return 28;
    if (n == "q5_0" || n == "q5_1" || n == "q5_K") return 22;
    if (n == "q4_0" || n == "q4_1" || n == "q4_K" || n == "iq4_nl" || n == "iq4_xs") return 17;
    if (n == "q3_K") return 11;
    if (n == "q2_K") return 6;
    return 2;  // tq1_0, tq2_0
}

template <class T, class Api>
void edge_properties() {
    const std::int64_t cols = 512;  // two super-blocks, sixteen 32-blocks

    SECTION("all-zero blocks decode to exact zeros") {
        const std::vector<float> x(static_cast<std::size_t>(3 * cols), 0.f);
        for (float v : round_trip<T, Api>(x, 3)) REQUIRE(v == 0.f);
    }
    SECTION("a constant row is reproduced to fp16 precision") {
        // (Magnitudes whose k-quant super-scales are normal fp16 numbers; below ~0.01 they become
        // fp16 subnormals, whose coarser spacing is a property of the format.)
        for (float c : {0.37f, -0.37f, 25.f}) {
            const std::vector<float> x(static_cast<std::size_t>(cols), c);
            for (float v : round_trip<T, Api>(x, 1)) REQUIRE(std::fabs(v - c) <= 2e-3f * std::fabs(c));
        }
    }
    SECTION("Gaussian rows: SQNR at least the format's bound") {
        const auto x = gaussian(static_cast<std::size_t>(8 * cols), 7);
        CHECK(sqnr_db(x, round_trip<T, Api>(x, 8)) >= min_sqnr<T>());
    }
    SECTION("one huge outlier stays the block's largest value, reproduced to a few percent") {
        auto x = gaussian(static_cast<std::size_t>(cols), 11, 0.01f);
        x[100] = 1000.f;
        const auto y = round_trip<T, Api>(x, 1);
        CHECK(std::fabs(y[100] - 1000.f) <= 0.02f * 1000.f);
        for (std::size_t i = 0; i < x.size(); ++i) REQUIRE(std::fabs(y[i]) <= 1000.f * 1.01f);
    }
    SECTION("subnormal inputs give finite, (nearly) zero output and no error") {
        std::vector<float> x(static_cast<std::size_t>(cols));
        for (std::size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>(static_cast<int>(i % 7) - 3) * 1e-39f;
        for (float v : round_trip<T, Api>(x, 1)) REQUIRE(std::fabs(v) <= 1e-37f);
    }
    SECTION("NaN or Inf anywhere is rejected before a byte is written") {
        for (float bad : {std::nanf(""), std::numeric_limits<float>::infinity(), -std::numeric_limits<float>::infinity()}) {
            auto x = gaussian(static_cast<std::size_t>(2 * cols), 3);
            x[static_cast<std::size_t>(2 * cols - 1)] = bad;  // last element of the last row
            std::vector<std::byte> q(2 * T::row_bytes(cols), std::byte{0x5a});
            REQUIRE_THROWS_WITH(Api::template quantize<T>(x.data(), 2, cols, q), Catch::Contains("row 1, column 511"));
            for (auto b : q) REQUIRE(b == std::byte{0x5a});
        }
    }
    SECTION("shape and buffer errors") {
        const auto x = gaussian(static_cast<std::size_t>(2 * cols), 5);
        std::vector<std::byte> q(2 * T::row_bytes(cols));
        std::vector<std::byte> short_q(q.size() - 1);
        REQUIRE_THROWS_WITH(Api::template quantize<T>(x.data(), 2, cols, short_q), Catch::Contains("the output holds"));
        REQUIRE_THROWS_WITH(Api::template quantize<T>(x.data(), 1, T::block_size + 1, q), Catch::Contains("not a multiple of the block size"));
        REQUIRE_THROWS_WITH(Api::template quantize<T>(x.data(), -1, cols, q), Catch::Contains("negative"));
        std::vector<float> y(static_cast<std::size_t>(2 * cols));
        REQUIRE_THROWS_WITH(Api::template dequantize<T>(short_q, 2, cols, y), Catch::Contains("the input holds"));
        std::vector<float> short_y(y.size() - 1);
        Api::template quantize<T>(x.data(), 2, cols, q);
        REQUIRE_THROWS_WITH(Api::template dequantize<T>(q, 2, cols, short_y), Catch::Contains("the output holds"));
        std::vector<float> w(static_cast<std::size_t>(cols), 1.f);
        w[7] = -1.f;
        if constexpr (T::has_importance)
            REQUIRE_THROWS_WITH(Api::template quantize<T>(x.data(), 2, cols, q, w.data()), Catch::Contains("importance[7] = -1"));
        else
            REQUIRE_THROWS_WITH(Api::template quantize<T>(x.data(), 2, cols, q, w.data()), Catch::Contains("no importance-weighted"));
    }
    SECTION("empty tensors are valid and touch nothing") {
        std::vector<std::byte> q;
        Api::template quantize<T>(nullptr, 0, cols, q);
        Api::template quantize<T>(nullptr, 5, 0, q);
    }
}

}  // namespace

#define LOWBIT_GGUF_TYPES gguf::q4_0, gguf::q4_1, gguf::q5_0, gguf::q5_1, gguf::q8_0, gguf::q8_1, gguf::q2_K, gguf::q3_K, \
    gguf::q4_K, gguf::q5_K, gguf::q6_K, gguf::q8_K, gguf::iq4_nl, gguf::iq4_xs, gguf::tq1_0, gguf::tq2_0

TEMPLATE_TEST_CASE("GGUF edge cases: scalar reference", "[gguf][edges]", LOWBIT_GGUF_TYPES) {
    edge_properties<TestType, reference_api>();
}

TEMPLATE_TEST_CASE("GGUF edge cases: row API", "[gguf][edges]", LOWBIT_GGUF_TYPES) {
    edge_properties<TestType, row_api>();
}

TEST_CASE("GGUF rounding at exact ties follows each format", "[gguf][edges]") {
    // Q4_0: the largest magnitude -8 gives d = 1: x + 8.5 truncated rounds halves up.
    std::vector<float> x(32, 0.f);
    x[0] = -8.f;
    x[1] = 0.5f;
    x[2] = -0.5f;
    x[3] = 2.5f;
    std::vector<std::byte> q(gguf::q4_0::row_bytes(32));
    gguf::reference::quantize_rows<gguf::q4_0>(x.data(), 1, 32, q.data(), q.size());
    const auto b4 = gguf::detail::load_block<gguf::block_q4_0>(q.data());
    CHECK((b4.qs[0] & 0xf) == 0);
    CHECK((b4.qs[1] & 0xf) == 9);   // 0.5 -> 1 (up)
    CHECK((b4.qs[2] & 0xf) == 8);   // -0.5 -> 0 (up)
    CHECK((b4.qs[3] & 0xf) == 11);  // 2.5 -> 3

    // Q8_0: amax 127 gives d = 1: roundf rounds halves away from zero.
    std::vector<float> y(32, 0.f);
    y[0] = 127.f;
    y[1] = 2.5f;
    y[2] = -2.5f;
    std::vector<std::byte> q8(gguf::q8_0::row_bytes(32));
    gguf::reference::quantize_rows<gguf::q8_0>(y.data(), 1, 32, q8.data(), q8.size());
    const auto b8 = gguf::detail::load_block<gguf::block_q8_0>(q8.data());
    CHECK(b8.qs[1] == 3);
    CHECK(b8.qs[2] == -3);

    // Q8_K: the 1.5 * 2^23 trick rounds halves to even; d = 1 / (-127 / 127) = -1.
    std::vector<float> z(256, 0.f);
    z[0] = 127.f;
    z[1] = 2.5f;
    z[2] = 3.5f;
    z[3] = -2.5f;
    std::vector<std::byte> qk(gguf::q8_K::row_bytes(256));
    gguf::reference::quantize_rows<gguf::q8_K>(z.data(), 1, 256, qk.data(), qk.size());
    const auto bk = gguf::detail::load_block<gguf::block_q8_K>(qk.data());
    CHECK(bk.d == -1.f);
    CHECK(bk.qs[0] == -127);
    CHECK(bk.qs[1] == -2);
    CHECK(bk.qs[2] == -4);
    CHECK(bk.qs[3] == 2);
    CHECK(bk.bsums[0] == -127 - 2 - 4 + 2);
}

TEST_CASE("GGUF fp16 scale overflow is an error; Q8_K's fp32 scale is not limited", "[gguf][edges]") {
    std::vector<float> x(256, 1.f);
    x[5] = 1e7f;  // Q8_0: d = 1e7 / 127 > 65504
    std::vector<std::byte> q(gguf::q8_0::row_bytes(256));
    REQUIRE_THROWS_WITH(gguf::quantize_rows<gguf::q8_0>(x.data(), 1, 256, q.data(), q.size()), Catch::Contains("overflows fp16"));
    REQUIRE_THROWS_WITH(gguf::reference::quantize_rows<gguf::q8_0>(x.data(), 1, 256, q.data(), q.size()), Catch::Contains("overflows fp16"));
    x[5] = 1e30f;
    std::vector<std::byte> qk(gguf::q8_K::row_bytes(256));
    gguf::quantize_rows<gguf::q8_K>(x.data(), 1, 256, qk.data(), qk.size());
    std::vector<float> y(256);
    gguf::dequantize_rows<gguf::q8_K>(qk.data(), qk.size(), 1, 256, y.data(), y.size());
    CHECK(y[5] == Approx(1e30f).epsilon(1e-6));
}

TEST_CASE("GGUF row API: bytes do not depend on the thread count", "[gguf][threads]") {
    const auto x = gaussian(37 * 256, 21, 0.02f);
    const auto check = [&](auto type) {
        using T = decltype(type);
        std::vector<std::byte> one(37 * T::row_bytes(256)), many(one.size());
        gguf::quantize_rows<T>(x.data(), 37, 256, one.data(), one.size(), nullptr, 1);
        for (int threads : {2, 3, 8}) {
            gguf::quantize_rows<T>(x.data(), 37, 256, many.data(), many.size(), nullptr, threads);
            REQUIRE(first_difference(one, many) == -1);
        }
    };
    check(gguf::q4_0{});
    check(gguf::q4_K{});
    check(gguf::q6_K{});
}
