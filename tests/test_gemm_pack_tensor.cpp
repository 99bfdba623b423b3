// gemm/pack_tensor.hpp: a quantized_tensor packed for the kernels stands for the very floats
// dequantize() gives, and its product is the integer kernels' product of those weights.
#include <catch2/catch.hpp>

#include <cmath>
#include <random>
#include <vector>

#include "lowbit/gemm/pack_tensor.hpp"
#include "lowbit/lowbit.hpp"

namespace gemm = lowbit::gemm;
using namespace lowbit;

namespace {

std::vector<float> heavy_tailed(index_t rows, index_t cols, unsigned seed) {
    std::mt19937 gen(seed);
    std::student_t_distribution<float> t(3.f);
    std::vector<float> w(static_cast<std::size_t>(rows * cols));
    for (auto& v : w) v = 0.05f * t(gen);
    w[3] = 0.f;  // a zero and an outlier in the first group
    w[5] = 2.f;
    return w;
}

template <class Scheme>
void check_lossless(index_t rows, index_t cols) {
    INFO(rows << " x " << cols);
    const std::vector<float> w = heavy_tailed(rows, cols, static_cast<unsigned>(rows * 7 + cols));
    const quantized_tensor<Scheme> q = quantize<Scheme>({w.data(), rows, cols});
    const auto p = gemm::pack_tensor(q);
    std::vector<float> unpacked(static_cast<std::size_t>(rows * cols));
    gemm::dequantize_weights(p, unpacked.data(), cols);
    const std::vector<float> want = dequantize(q);
    std::size_t differ = 0;
    for (std::size_t i = 0; i < want.size(); ++i) differ += unpacked[i] != want[i];
    CHECK(differ == 0);
    // The kernel's product (activations int8 per row) against the product of the dequantized
    // weights: close, to the activations' quantization error.
    const index_t m = 3;
    std::vector<float> x(static_cast<std::size_t>(m * cols));
    std::mt19937 gen(5);
    std::normal_distribution<float> normal(0.f, 1.f);
    for (auto& v : x) v = normal(gen);
    std::vector<float> y(static_cast<std::size_t>(m * rows));
    if constexpr (std::is_same_v<std::decay_t<decltype(p)>, gemm::packed_s8>) gemm::linear_w8a8(x.data(), cols, m, p, y.data(), rows);
    else gemm::linear_a8(x.data(), cols, m, p, y.data(), rows);
    for (index_t r = 0; r < m; ++r)
        for (index_t c = 0; c < rows; ++c) {
            double exact = 0, magnitude = 0, xmax = 0;
            for (index_t i = 0; i < cols; ++i) xmax = std::max(xmax, std::fabs(static_cast<double>(x[static_cast<std::size_t>(r * cols + i)])));
            for (index_t i = 0; i < cols; ++i) {
                const double t = static_cast<double>(want[static_cast<std::size_t>(c * cols + i)]) * x[static_cast<std::size_t>(r * cols + i)];
                exact += t;
                magnitude += std::fabs(static_cast<double>(want[static_cast<std::size_t>(c * cols + i)]));
            }
            // Each activation errs by at most half its row's step, xmax / 127 / 2.
            CHECK(std::fabs(y[static_cast<std::size_t>(r * rows + c)] - exact) <= magnitude * xmax / 254 * 1.001 + 1e-5);
        }
}

}  // namespace

TEST_CASE("pack_tensor: every scheme with a kernel packs losslessly") {
    for (const auto& [rows, cols] : {std::pair<index_t, index_t>{1, 128}, {17, 256}, {40, 384}}) {
        check_lossless<schemes::w8_per_channel>(rows, cols);
        check_lossless<schemes::w4_g32_sym>(rows, cols);
        check_lossless<schemes::w4_g32_asym>(rows, cols);
        check_lossless<schemes::w4_g128_sym>(rows, cols);
        check_lossless<schemes::w4_g128_asym>(rows, cols);
        check_lossless<scheme<int_bits<4>, per_group<64>, scale_f16>>(rows, cols);
        check_lossless<scheme<int_bits<8>, per_group<32>>>(rows, cols);
        check_lossless<scheme<int_bits<4>, affine, per_group<32>>>(rows, cols);  // signed grid, zero points in [-8, 7]
    }
}

TEST_CASE("pack_tensor: which schemes have a kernel") {
    STATIC_REQUIRE(gemm::has_kernel_v<schemes::w8_per_channel>);
    STATIC_REQUIRE(gemm::has_kernel_v<schemes::w4_g128_asym>);
    STATIC_REQUIRE(!gemm::has_kernel_v<schemes::w3_g128_asym>);
    STATIC_REQUIRE(!gemm::has_kernel_v<schemes::w2_g64_asym>);
    STATIC_REQUIRE(!gemm::has_kernel_v<schemes::w8_per_tensor>);
    STATIC_REQUIRE(!gemm::has_kernel_v<scheme<int_bits<4>, per_channel<0>>>);
    STATIC_REQUIRE(!gemm::has_kernel_v<scheme<int_bits<4>, per_group<16>>>);
    STATIC_REQUIRE(!gemm::has_kernel_v<scheme<uint_bits<8>, affine, per_group<32>>>);
}
