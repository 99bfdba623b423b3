// The error figures of lowbit-explore, summed over the layers of a workload.
//
//   SQNR       10 log10(sum w^2 / sum (w - w')^2) over every weight, in dB
//   max |err|  max |w - w'|
//   cosine     sum w w' / sqrt(sum w^2 sum w'^2), the weights as one vector
//   output     ||X W'^T - X W^T||_F / ||X W^T||_F, over every layer's output (the layer's error
//              on the activations X; the activations stay float, so this is the weights' share)
// w' is the dequantized weight. Sums run in double; the products X W^T in float (Eigen).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include <Eigen/Core>

namespace lowbit::explore {

struct error_figures {
    double sqnr_db = 0, max_abs = 0, cosine = 0, output_rel = 0;
};

class error_sums {
public:
    // One layer: weights w and their dequantized w' (rows x cols), activations x (batch x cols).
    void add(const float* w, const float* back, std::int64_t rows, std::int64_t cols, const float* x, std::int64_t batch) {
        const auto n = static_cast<std::size_t>(rows * cols);
        for (std::size_t i = 0; i < n; ++i) {
            const double a = w[i], b = back[i], d = a - b;
            signal_ += a * a;
            noise_ += d * d;
            dot_ += a * b;
            back2_ += b * b;
            max_abs_ = std::max(max_abs_, std::abs(d));
        }
        using matrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
        const Eigen::Map<const matrix> xm(x, batch, cols), wm(w, rows, cols), bm(back, rows, cols);
        const matrix y = xm * wm.transpose();
        const matrix diff = wm - bm;
        const matrix e = xm * diff.transpose();
        output_ref_ += static_cast<double>(y.squaredNorm());
        output_err_ += static_cast<double>(e.squaredNorm());
    }

    error_figures figures() const {
        error_figures f;
        f.sqnr_db = noise_ > 0 ? 10.0 * std::log10(signal_ / noise_) : std::numeric_limits<double>::infinity();
        f.max_abs = max_abs_;
        f.cosine = signal_ > 0 && back2_ > 0 ? dot_ / std::sqrt(signal_ * back2_) : 0.0;
        f.output_rel = output_ref_ > 0 ? std::sqrt(output_err_ / output_ref_) : 0.0;
        return f;
    }

private:
    double signal_ = 0, noise_ = 0, dot_ = 0, back2_ = 0, max_abs_ = 0, output_ref_ = 0, output_err_ = 0;
};

}  // namespace lowbit::explore
