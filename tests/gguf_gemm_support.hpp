// tests/gguf_gemm_support.hpp - GGUF tensors in the integer kernels: weights a converter meets,
// and the accuracy check of a product (within 2e-6 sum |w a| of float64, the same bits on every tag).
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <random>
#include <string>
#include <tuple>
#include <vector>

#include <catch2/catch.hpp>

#include "gemm_support.hpp"
#include "gguf_support.hpp"
#include "lowbit/gemm/activations_gguf.hpp"
#include "lowbit/gemm/gguf_weights.hpp"
#include "lowbit/gemm/matmul_grouped.hpp"
#include "lowbit/gguf.hpp"

namespace lowbit_test::gguf {

template <class Packed>
std::vector<float> dequantized(const Packed& p) {
    std::vector<float> w(static_cast<std::size_t>(p.n * p.k));
    lowbit::gemm::dequantize_weights(p, w.data(), p.k);
    return w;
}

template <class Type>
std::vector<std::byte> quantized(const std::vector<float>& w, std::int64_t rows, std::int64_t cols) {
    std::vector<std::byte> q(static_cast<std::size_t>(rows) * Type::row_bytes(cols));
    lowbit::gguf::quantize_rows<Type>(w.data(), rows, cols, q.data(), q.size());
    return q;
}

// Weight rows as a model has them, plus the cases a converter meets: heavy tails with outliers,
// a constant row, a row whose blocks are all zero, and a row of one block's worth of extremes.
inline std::vector<float> weights(std::int64_t rows, std::int64_t cols, std::uint32_t seed) {
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

// How a test quantizes the activations: per row (lowbit's own), or per block as ggml does for
// this weight type (q8_0 for the 32-block types, q8_K for the k-quants).
enum class activation_blocks { per_row, ggml };

template <class Type>
lowbit::gemm::activations_u8 quantized_activations(const std::vector<float>& x, std::int64_t m, std::int64_t k, activation_blocks how) {
    lowbit::gemm::activations_u8 a;
    if (how == activation_blocks::per_row) lowbit::gemm::quantize_activations(x.data(), k, m, k, a);
    else if constexpr (Type::block_size == 256) lowbit::gemm::quantize_activations_gguf<lowbit::gguf::q8_K>(x.data(), k, m, k, a);
    else lowbit::gemm::quantize_activations_gguf<lowbit::gguf::q8_0>(x.data(), k, m, k, a);
    return a;
}

// The float an activation code stands for: q times its row's or its block's scale.
inline double activation_value(const lowbit::gemm::activations_u8& a, std::int64_t r, std::int64_t i) {
    const double q = static_cast<double>(a.row(r)[i]) - 128;
    if (a.block == 0) return q * static_cast<double>(a.scales[static_cast<std::size_t>(r)]);
    return q * static_cast<double>(a.block_scales[static_cast<std::size_t>(r * (a.k / a.block) + i / a.block)]);
}

// |y - float64 dot of the dequantized weights and activations| <= 2e-6 sum |w a|, per output, and
// the same bits on every compiled tag (the scalar tile, which runs first, is the reference).
template <class Packed>
void check_product(const Packed& p, const lowbit::gemm::activations_u8& a) {
    const auto w = dequantized(p);
    const std::int64_t m = a.m;
    std::vector<float> want_bits;
    lowbit_test::for_each_compiled_tag([&](auto tag) {
        using Arch = decltype(tag);
        INFO("tag " << Arch::name << ", " << m << " x " << p.k << " x " << p.n << (a.block != 0 ? ", activation blocks of " : ", per-row activations")
                    << (a.block != 0 ? std::to_string(a.block) : std::string()));
        std::vector<float> y(static_cast<std::size_t>(m * p.n));
        lowbit::gemm::matmul<Arch>(a, p, lowbit::gemm::epilogue<>{}, y.data(), p.n);
        if (want_bits.empty()) want_bits = y;
        CHECK(first_float_difference(y, want_bits) == -1);
        double worst = 0;
        for (std::int64_t r = 0; r < m; ++r)
            for (std::int64_t c = 0; c < p.n; ++c) {
                double exact = 0, magnitude = 0;
                for (std::int64_t i = 0; i < p.k; ++i) {
                    const double t = static_cast<double>(w[static_cast<std::size_t>(c * p.k + i)]) * activation_value(a, r, i);
                    exact += t;
                    magnitude += std::fabs(t);
                }
                const double error = std::fabs(static_cast<double>(y[static_cast<std::size_t>(r * p.n + c)]) - exact);
                worst = std::max(worst, magnitude > 0 ? error / magnitude : error);
            }
        INFO("worst error / sum |w a| = " << worst);
        CHECK(worst <= 2e-6);
    });
}

// The products of one GGUF type, with per-row and with ggml's per-block activations: ggml's own
// blocks (M = 1, 3, 8) and realistic and adversarial rows at odd shapes, one block up.
template <class Type>
void check_products() {
    const auto blocks = read_file(std::string(Type::name) + ".blocks.bin");
    const auto ggml = lowbit::gemm::repack_gguf<Type>(blocks.data(), blocks.size(), ref_rows, ref_cols);
    for (auto how : {activation_blocks::per_row, activation_blocks::ggml}) {
        for (std::int64_t m : {1, 3, 8})
            check_product(ggml, quantized_activations<Type>(lowbit_test::random_activations(m, ref_cols, 7), m, ref_cols, how));
        std::uint32_t seed = 70;
        constexpr std::int64_t unit = Type::block_size;
        for (auto [m, rows, cols] : {std::tuple<std::int64_t, std::int64_t, std::int64_t>{1, 33, 4096}, {5, 20, 9 * unit}, {17, 8, 4 * unit}, {2, 1, unit},
                                             {3, 80, 2 * unit}}) {  // 5 panels: two-panel tiles that prefetch, then one panel
            const auto w = weights(rows, cols, seed++);
            const auto q = quantized<Type>(w, rows, cols);
            check_product(lowbit::gemm::repack_gguf<Type>(q.data(), q.size(), rows, cols),
                          quantized_activations<Type>(lowbit_test::random_activations(m, cols, seed++), m, cols, how));
        }
    }
}

}  // namespace lowbit_test::gguf
