// GGUF vector kernels against the scalar reference: for every tag compiled into this binary, every
// byte quantize_rows writes and every float dequantize_rows writes equals the reference's, with and
// without importance weights, on data that reaches every branch of the searches (Gaussian and
// heavy-tailed rows, constant and all-zero blocks, one huge outlier, ties on the grid, a single
// element away from zero), for row counts that leave a partial lane group, and with threads.
#include <catch2/catch.hpp>

#include <cmath>
#include <random>
#include <string>

#include "gguf_support.hpp"
#include "identity.hpp"

using namespace lowbit_test::gguf;
namespace gguf = lowbit::gguf;

namespace {

std::vector<float> mixed_rows(std::int64_t rows, std::int64_t cols, std::uint32_t seed) {
    std::mt19937 gen(seed);
    std::normal_distribution<float> normal(0.f, 1.f);
    std::student_t_distribution<float> heavy(2.5f);
    std::vector<float> x(static_cast<std::size_t>(rows * cols));
    for (std::int64_t r = 0; r < rows; ++r) {
        float* row = x.data() + r * cols;
        const int kind = static_cast<int>(r % 6);
        for (std::int64_t c = 0; c < cols; ++c) {
            switch (kind) {
                case 0: row[c] = 0.02f * normal(gen); break;
                case 1: row[c] = 0.02f * heavy(gen); break;
                case 2: row[c] = c < cols / 2 ? 0.f : 0.25f; break;                                  // zero and constant blocks
                case 3: row[c] = static_cast<float>(static_cast<int>(c % 9) - 4) * 0.125f; break;    // grid values: ties
                case 4: row[c] = c % 97 == 5 ? 1000.f : 0.01f * normal(gen); break;                  // outliers
                default: row[c] = c % 64 == 3 ? -0.5f : 0.f; break;                                  // one element per block
            }
        }
    }
    return x;
}

template <class T, class Tag>
void check_tag(const std::vector<float>& x, std::int64_t rows, std::int64_t cols, const float* importance) {
    INFO(T::name << ", tag " << Tag::name << ", " << rows << " x " << cols << (importance ? ", importance" : ""));
    const std::size_t bytes = static_cast<std::size_t>(rows) * T::row_bytes(cols);
    std::vector<std::byte> ref(bytes), vec(bytes);
    gguf::reference::quantize_rows<T>(x.data(), rows, cols, ref.data(), ref.size(), importance);
    gguf::quantize_rows<T, Tag>(x.data(), rows, cols, vec.data(), vec.size(), importance);
    REQUIRE(first_difference(vec, ref) == -1);
    gguf::quantize_rows<T, Tag>(x.data(), rows, cols, vec.data(), vec.size(), importance, 3);
    REQUIRE(first_difference(vec, ref) == -1);
    std::vector<float> yr(x.size()), yv(x.size());
    gguf::reference::dequantize_rows<T>(ref.data(), ref.size(), rows, cols, yr.data(), yr.size());
    gguf::dequantize_rows<T, Tag>(ref.data(), ref.size(), rows, cols, yv.data(), yv.size(), 2);
    REQUIRE(first_float_difference(yv, yr) == -1);
}

template <class T>
void check_all_tags() {
    for (std::int64_t rows : {1, 3, 7}) {
        const std::int64_t cols = 2 * gguf::super_block;
        const auto x = mixed_rows(rows * 3, cols, static_cast<std::uint32_t>(rows));
        std::vector<float> importance(static_cast<std::size_t>(cols));
        std::mt19937 gen(9);
        std::uniform_real_distribution<float> u(0.f, 4.f);
        for (auto& w : importance) w = u(gen);
        importance[3] = 0.f;
        std::apply([&](auto... tag) {
            (check_tag<T, decltype(tag)>(x, rows * 3, cols, nullptr), ...);
            if constexpr (T::has_importance) (check_tag<T, decltype(tag)>(x, rows * 3, cols, importance.data()), ...);
        }, lowbit_test::compiled_tags{});
    }
}

}  // namespace

TEMPLATE_TEST_CASE("GGUF kernels equal the reference for every compiled tag", "[gguf][kernels]", gguf::q4_0, gguf::q4_1,
                   gguf::q5_0, gguf::q5_1, gguf::q8_0, gguf::q8_1, gguf::q2_K, gguf::q3_K, gguf::q4_K, gguf::q5_K, gguf::q6_K,
                   gguf::q8_K, gguf::iq4_nl, gguf::iq4_xs, gguf::tq1_0, gguf::tq2_0) {
    check_all_tags<TestType>();
}

TEST_CASE("GGUF kernels: the native build runs the vector kernels it should", "[gguf][kernels][arch]") {
    using native = lowbit::arch::native;
    constexpr bool vector = !std::is_same_v<lowbit::kernels::quantize_arch_t<native>, lowbit::arch::scalar>;
    const std::string expected = vector ? lowbit::kernels::quantize_arch_t<native>::name : "scalar";
    CHECK(std::string(gguf::kernel_arch_t<gguf::q4_K, native>::name) == expected);
    CHECK(std::string(gguf::kernel_arch_t<gguf::q6_K, native>::name) == expected);
    CHECK(std::string(gguf::kernel_arch_t<gguf::q3_K, native>::name) == expected);
    CHECK(std::string(gguf::kernel_arch_t<gguf::q2_K, native>::name) == expected);
    CHECK(std::string(gguf::kernel_arch_t<gguf::q5_K, native>::name) == expected);
    CHECK(std::string(gguf::kernel_arch_t<gguf::q8_K, native>::name) == "scalar");  // no vector kernel (yet): stated
#if defined(__AVX512BW__)
    CHECK(expected == "avx512bw");
#endif
}
