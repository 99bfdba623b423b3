// GGUF 32-block tensors (Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, IQ4_NL) in the integer kernels: products
// within 2e-6 sum |w a| of float64 on ggml's blocks and on realistic and adversarial weights, the
// same bits on every tag. (Repacking and errors: test_gemm_gguf_repack.cpp.)
#include "gguf_gemm_support.hpp"

using namespace lowbit;

TEMPLATE_TEST_CASE("GGUF 32-block products: within 2e-6 sum |w a| of float64, the same bits on every tag", "[gemm][gguf]", gguf::q4_0, gguf::q4_1,
                   gguf::q5_0, gguf::q5_1, gguf::q8_0, gguf::iq4_nl) {
    lowbit_test::gguf::check_products<TestType>();
}

// What the GGUF types do not use but the packings offer: minima with groups of 64 and 128, and
// 5-bit codes with integer zero points, across panel counts that leave a trailing single panel.
TEST_CASE("4- and 5-bit grouped packings with minima or zero points: within 2e-6 sum |w a| of float64, the same bits on every tag", "[gemm][gguf]") {
    std::mt19937 gen(5);
    std::uniform_real_distribution<float> scale(0.001f, 0.02f), minimum(-0.2f, 0.05f);
    for (auto [bits, group, n, k, m] : {std::tuple<int, std::int64_t, std::int64_t, std::int64_t, std::int64_t>{4, 64, 40, 256, 4}, {4, 128, 80, 256, 1},
                                        {4, 32, 33, 96, 5}, {5, 32, 40, 128, 3}, {5, 32, 17, 64, 1}}) {
        INFO(bits << "-bit, group " << group << ", " << m << " x " << k << " x " << n);
        std::uniform_int_distribution<int> code(0, (1 << bits) - 1);
        std::vector<std::uint8_t> codes(static_cast<std::size_t>(n * k)), zero_points(static_cast<std::size_t>(n * (k / group)));
        for (auto& c : codes) c = static_cast<std::uint8_t>(code(gen));
        for (auto& z : zero_points) z = static_cast<std::uint8_t>(code(gen));
        std::vector<fp16> scales(zero_points.size()), mins(zero_points.size());
        for (auto& s : scales) s = fp16::from_float(scale(gen));
        for (auto& v : mins) v = fp16::from_float(minimum(gen));
        const auto x = lowbit_test::random_activations(m, k, 9);
        gemm::activations_u8 a;
        gemm::quantize_activations(x.data(), k, m, k, a);
        if (bits == 4) {
            lowbit_test::gguf::check_product(gemm::pack_s4(codes.data(), k, n, k, group, scales.data(), nullptr, mins.data()), a);
        } else {
            lowbit_test::gguf::check_product(gemm::pack_s5(codes.data(), k, n, k, group, scales.data(), nullptr, mins.data()), a);
            lowbit_test::gguf::check_product(gemm::pack_s5(codes.data(), k, n, k, group, scales.data(), zero_points.data()), a);
        }
    }
}
