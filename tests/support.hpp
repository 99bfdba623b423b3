// tests/support.hpp - data generators and helpers shared by the test files.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>
#include <random>
#include <vector>

#include "lowbit/lowbit.hpp"
#include "same_bits.hpp"

namespace lowbit_test {

using lowbit::index_t;

// A row-major matrix in a buffer whose rows are `pad` floats apart beyond cols; the padding holds
// NaN so that a kernel reading outside the view fails loudly.
struct strided_matrix {
    index_t rows, cols, stride;
    std::vector<float> buffer;
    strided_matrix(index_t r, index_t c, index_t pad = 0)
        : rows(r), cols(c), stride(c + pad), buffer(static_cast<std::size_t>(r * (c + pad)), std::nanf("")) {}
    float& operator()(index_t r, index_t c) { return buffer[static_cast<std::size_t>(r * stride + c)]; }
    lowbit::matrix_view<const float> view() const { return {buffer.data(), rows, cols, stride}; }
    std::vector<float> dense() const {
        std::vector<float> out;
        for (index_t r = 0; r < rows; ++r)
            for (index_t c = 0; c < cols; ++c) out.push_back(buffer[static_cast<std::size_t>(r * stride + c)]);
        return out;
    }
};

// Weight-like data: Gaussian bulk, a few large outliers, exact zeros, ties and repeated values.
inline strided_matrix weights(index_t rows, index_t cols, std::uint32_t seed, index_t pad = 0) {
    strided_matrix m(rows, cols, pad);
    std::mt19937 gen(seed);
    std::normal_distribution<float> normal(0.0f, 1.0f);
    std::uniform_int_distribution<int> pick(0, 99);
    for (index_t r = 0; r < rows; ++r)
        for (index_t c = 0; c < cols; ++c) {
            const int k = pick(gen);
            float v = normal(gen) * 0.02f;
            if (k < 3) v *= 40.0f;        // outliers
            else if (k < 8) v = 0.0f;     // exact zeros
            else if (k < 10) v = -0.0f;   // negative zeros
            else if (k < 14) v = 0.015f;  // repeated values
            m(r, c) = v;
        }
    return m;
}

}  // namespace lowbit_test
