// GGUF tensors in the integer kernels: Q4_0, Q8_0, Q4_K, Q5_K and Q6_K repacked losslessly (the packed tensor
// dequantizes to ggml's own floats), products within 2e-6 sum|w a| of float64 on realistic and
// adversarial weights, the same bits on every tag, and bad tensors rejected.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <random>
#include <type_traits>
#include <vector>

#include "gemm_support.hpp"
#include "gguf_support.hpp"
#include "lowbit/gemm/gguf_weights.hpp"
#include "lowbit/gemm/matmul_grouped.hpp"
#include "lowbit/gguf.hpp"

using namespace lowbit;

namespace {

template <class Type>
std::vector<float> dequantized(const typename gemm::gguf_packing<Type>::packed& p) {
    std::vector<float> w(static_cast<std::size_t>(p.n * p.k));
    gemm::dequantize_weights(p, w.data(), p.k);
    return w;
}

template <class Type>
std::vector<std::byte> quantized(const std::vector<float>& w, std::int64_t rows, std::int64_t cols) {
    std::vector<std::byte> q(static_cast<std::size_t>(rows) * Type::row_bytes(cols));
    gguf::quantize_rows<Type>(w.data(), rows, cols, q.data(), q.size());
    return q;
}

// Weight rows as a model has them, plus the cases a converter meets: heavy tails with outliers,
// a constant row, a row whose blocks are all zero, and a row of one block's worth of extremes.
std::vector<float> weights(std::int64_t rows, std::int64_t cols, std::uint32_t seed) {
    std::mt19937 gen(seed);
    std::student_t_distribution<float> tails(4.f);
    std::vector<float> w(static_cast<std::size_t>(rows * cols));
    for (std::int64_t r = 0; r < rows; ++r)
        for (std::int64_t c = 0; c < cols; ++c) {
            float& v = w[static_cast<std::size_t>(r * cols + c)];
            switch (r % 4) {
                case 0: v = 0.02f * tails(gen) * (c % 97 == 5 ? 30.f : 1.f); break;
                case 1: v = 0.5f; break;
                case 2: v = c < 64 ? 0.f : 0.01f * tails(gen); break;
                default: v = c % 2 ? 60000.f : -1e-7f; break;
            }
        }
    return w;
}

// |y - float64 dot of the dequantized weights and activations| <= 2e-6 sum |w a|, per output.
template <class Packed>
void check_product(const Packed& p, std::int64_t m, std::uint32_t seed) {
    const auto w = [&] {
        std::vector<float> v(static_cast<std::size_t>(p.n * p.k));
        gemm::dequantize_weights(p, v.data(), p.k);
        return v;
    }();
    const auto x = lowbit_test::random_activations(m, p.k, seed);
    gemm::activations_u8 a;
    gemm::quantize_activations(x.data(), p.k, m, p.k, a);
    const auto q = lowbit_test::signed_codes(a);
    std::vector<float> want_bits;
    lowbit_test::for_each_compiled_tag([&](auto tag) {
        using Arch = decltype(tag);
        INFO("tag " << Arch::name << ", " << m << " x " << p.k << " x " << p.n);
        std::vector<float> y(static_cast<std::size_t>(m * p.n));
        gemm::matmul<Arch>(a, p, gemm::epilogue<>{}, y.data(), p.n);
        if (want_bits.empty()) want_bits = y;  // the scalar tag runs first
        CHECK(lowbit_test::gguf::first_float_difference(y, want_bits) == -1);
        double worst = 0;
        for (std::int64_t r = 0; r < m; ++r)
            for (std::int64_t c = 0; c < p.n; ++c) {
                double exact = 0, magnitude = 0;
                for (std::int64_t i = 0; i < p.k; ++i) {
                    const double t = static_cast<double>(w[static_cast<std::size_t>(c * p.k + i)]) *
                                     (static_cast<double>(q[static_cast<std::size_t>(r * p.k + i)]) * static_cast<double>(a.scales[static_cast<std::size_t>(r)]));
                    exact += t;
                    magnitude += std::fabs(t);
                }
                const double error = std::fabs(static_cast<double>(y[static_cast<std::size_t>(r * p.n + c)]) - exact);
                if (magnitude > 0) worst = std::max(worst, error / magnitude);
                else worst = std::max(worst, error);
            }
        INFO("worst error / sum |w a| = " << worst);
        CHECK(worst <= 2e-6);
    });
}

}  // namespace

TEMPLATE_TEST_CASE("GGUF tensors repack losslessly: ggml's own blocks dequantize to ggml's floats", "[gemm][gguf]", gguf::q4_0, gguf::q8_0, gguf::q4_K, gguf::q5_K, gguf::q6_K) {
    const auto blocks = lowbit_test::gguf::read_file(std::string(TestType::name) + ".blocks.bin");
    const auto want = lowbit_test::gguf::read_floats(std::string(TestType::name) + ".dequant.f32");
    const std::int64_t rows = lowbit_test::gguf::ref_rows, cols = lowbit_test::gguf::ref_cols;
    REQUIRE(blocks.size() == static_cast<std::size_t>(rows) * TestType::row_bytes(cols));
    const auto p = gemm::repack_gguf<TestType>(blocks.data(), blocks.size(), rows, cols);
    CHECK(p.n == rows);
    CHECK(p.k == cols);
    CHECK(p.group == (std::is_same_v<TestType, gguf::q6_K> ? 16 : 32));
    CHECK(lowbit_test::gguf::first_float_difference(dequantized<TestType>(p), want) == -1);
    // The packing takes the file's bytes (panels of 16 channels: rows padded to 16), Q4_K 4 more
    // per 256 (its 6-bit sub-scales and minima stored as bytes).
    const auto supers = static_cast<std::size_t>(cols / 256);
    if constexpr (std::is_same_v<TestType, gguf::q4_K> || std::is_same_v<TestType, gguf::q5_K>) CHECK(p.bytes() == 16 * (TestType::row_bytes(cols) + 4 * supers));
    else if constexpr (std::is_same_v<TestType, gguf::q6_K>) CHECK(p.bytes() == 16 * (TestType::row_bytes(cols) + 2 * supers));  // and Q6_K 2 (alignment)
    else CHECK(p.bytes() == 16 * TestType::row_bytes(cols));
}

TEMPLATE_TEST_CASE("GGUF tensors repack losslessly: realistic and adversarial rows, odd shapes", "[gemm][gguf]", gguf::q4_0, gguf::q8_0, gguf::q4_K, gguf::q5_K, gguf::q6_K) {
    std::uint32_t seed = 40;
    constexpr std::int64_t unit = TestType::block_size;
    for (auto [rows, cols] : {std::pair<std::int64_t, std::int64_t>{1, unit}, {4, 3 * unit}, {17, 8 * unit}, {40, 4 * unit}}) {
        INFO(TestType::name << " " << rows << " x " << cols);
        const auto w = weights(rows, cols, seed++);
        const auto q = quantized<TestType>(w, rows, cols);
        std::vector<float> want(w.size());
        gguf::dequantize_rows<TestType>(q.data(), q.size(), rows, cols, want.data(), want.size());
        const auto p = gemm::repack_gguf<TestType>(q.data(), q.size(), rows, cols);
        CHECK(lowbit_test::gguf::first_float_difference(dequantized<TestType>(p), want) == -1);
    }
}

TEMPLATE_TEST_CASE("GGUF products: within 2e-6 sum |w a| of float64, the same bits on every tag", "[gemm][gguf]", gguf::q4_0, gguf::q8_0, gguf::q4_K, gguf::q5_K, gguf::q6_K) {
    const auto blocks = lowbit_test::gguf::read_file(std::string(TestType::name) + ".blocks.bin");
    const auto ggml = gemm::repack_gguf<TestType>(blocks.data(), blocks.size(), lowbit_test::gguf::ref_rows, lowbit_test::gguf::ref_cols);
    for (std::int64_t m : {1, 3, 8})
        check_product(ggml, m, 7);
    std::uint32_t seed = 70;
    constexpr std::int64_t unit = TestType::block_size;
    for (auto [m, rows, cols] : {std::tuple<std::int64_t, std::int64_t, std::int64_t>{1, 33, 4096}, {5, 20, 9 * unit}, {17, 8, 4 * unit}}) {
        const auto w = weights(rows, cols, seed++);
        const auto q = quantized<TestType>(w, rows, cols);
        check_product(gemm::repack_gguf<TestType>(q.data(), q.size(), rows, cols), m, seed++);
    }
}

TEST_CASE("GGUF repack rejects bad tensors", "[gemm][gguf]") {
    const std::vector<float> w(4 * 64, 0.25f);
    auto q = quantized<gguf::q4_0>(w, 4, 64);
    CHECK_THROWS_WITH(gemm::repack_gguf<gguf::q4_0>(q.data(), q.size() - 1, 4, 64), Catch::Contains("4 rows of 64 need 144 bytes, the buffer has 143"));
    CHECK_THROWS_WITH(gemm::repack_gguf<gguf::q4_0>(q.data(), q.size(), 4, 48), Catch::Contains("cols = 48 is not a multiple of the block size 32"));
    CHECK_THROWS_WITH(gemm::repack_gguf<gguf::q4_0>(q.data(), q.size(), 0, 64), Catch::Contains("0 x 64"));
    CHECK_THROWS_WITH(gemm::repack_gguf<gguf::q4_0>(nullptr, q.size(), 4, 64), Catch::Contains("null"));
    CHECK_THROWS_WITH(gemm::repack_gguf<gguf::q8_0>(q.data(), q.size(), 1, gemm::max_k + 32), Catch::Contains("exceeds 65536"));
    // A caller that does not know the size: absurd row counts are refused before any allocation.
    CHECK_THROWS_WITH(gemm::repack_gguf<gguf::q4_0>(q.data(), SIZE_MAX, std::int64_t{1} << 40, 64), Catch::Contains("weights exceed"));
    // A corrupt block: the scale of row 2, block 1 is NaN.
    const std::uint16_t nan = 0x7e00;
    std::memcpy(q.data() + 2 * gguf::q4_0::row_bytes(64) + sizeof(gguf::block_q4_0), &nan, sizeof nan);
    CHECK_THROWS_WITH(gemm::repack_gguf<gguf::q4_0>(q.data(), q.size(), 4, 64), Catch::Contains("channel 2, group 1 is not finite"));
    // Q4_K: a corrupt super-scale (row 2, super-block 1).
    const std::vector<float> w256(4 * 512, 0.25f);
    auto q4k = quantized<gguf::q4_K>(w256, 4, 512);
    std::memcpy(q4k.data() + 2 * gguf::q4_K::row_bytes(512) + sizeof(gguf::block_q4_K), &nan, sizeof nan);
    CHECK_THROWS_WITH(gemm::repack_gguf<gguf::q4_K>(q4k.data(), q4k.size(), 4, 512), Catch::Contains("channel 2, super-block 1 is not finite"));
    CHECK_THROWS_WITH(gemm::repack_gguf<gguf::q4_K>(q4k.data(), q4k.size(), 4, 480), Catch::Contains("not a multiple of the block size 256"));
    auto q6k = quantized<gguf::q6_K>(w256, 4, 512);
    std::memcpy(q6k.data() + 3 * gguf::q6_K::row_bytes(512) + offsetof(gguf::block_q6_K, d), &nan, sizeof nan);
    CHECK_THROWS_WITH(gemm::repack_gguf<gguf::q6_K>(q6k.data(), q6k.size(), 4, 512), Catch::Contains("pack_k6: d of channel 3, super-block 0 is not finite"));
    std::vector<float> out(16);
    CHECK_THROWS_WITH(gemm::dequantize_weights(gemm::packed_s4<fp16>{}, out.data(), 4), Catch::Contains("not packed"));
}
