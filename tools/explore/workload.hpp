// lowbit-explore's default workload: a deterministic, LLM-shaped layer set.
//
// Two projections of a 7B-class transformer block, rows = output channels: 4096 x 4096 (attention)
// and 11008 x 4096 (MLP up). Weights have the heavy tails of trained weights (Student-t, 4 degrees
// of freedom, scale 0.02) and 6 input channels (columns) 8x larger, the outliers that make
// per-tensor scales fail. Activations are 64 rows (a prefill chunk) of N(0, 1) with 6 outlier
// channels 20x larger, as LLM activations have. `divisor` shrinks every dimension (tests).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "lowbit/core/error.hpp"

namespace lowbit::explore {

struct layer {
    std::string name;
    std::int64_t rows = 0, cols = 0;  // output x input channels
    std::vector<float> weights;       // rows x cols, row-major
    std::vector<float> activations;   // batch x cols, the layer's input
};

struct workload {
    std::string source;         // what the weights are, for the report
    std::vector<layer> layers;
    std::int64_t batch = 0;     // activation rows
    std::size_t timed = 0;      // the layer whose kernels are timed (choose_timed_layer)
};

namespace detail {

// The same numbers from every compiler and flag set: integers from mt19937_64 (fully specified),
// then closed-form transforms with no multiply-add that a compiler could fuse. (The <random>
// distributions use rejection loops on floats, which -ffp-contract can tip into another draw.)
class deterministic_source {
public:
    explicit deterministic_source(unsigned seed) : gen_(seed) {}

    double uniform() { return (static_cast<double>(gen_() >> 11) + 0.5) * 0x1p-53; }  // in (0, 1)
    std::size_t index(std::size_t n) {
        if (n == 0) lowbit::detail::fail("deterministic_source::index: no index below 0");
        return static_cast<std::size_t>(gen_() % n);
    }

    // Student-t with 4 degrees of freedom, by its quantile function: with a = 4 p (1 - p),
    // t = sign(p - 1/2) 2 sqrt(cos(acos(sqrt(a)) / 3) / sqrt(a) - 1).
    double student_t4() {
        const double p = uniform(), a = 4.0 * p * (1.0 - p), r = std::sqrt(a);
        const double t = 2.0 * std::sqrt(std::cos(std::acos(r) / 3.0) / r - 1.0);
        return p < 0.5 ? -t : t;
    }
    // N(0, 1) by Box-Muller.
    double normal() {
        const double r = std::sqrt(-2.0 * std::log(uniform()));
        return r * std::cos(6.283185307179586 * uniform());
    }

private:
    std::mt19937_64 gen_;
};

// Gain 1 on every channel but min(6, cols) distinct ones, which get `outlier`.
inline std::vector<float> channel_gains(deterministic_source& src, std::int64_t cols, float outlier) {
    std::vector<float> gain(static_cast<std::size_t>(cols), 1.0f);
    for (std::size_t drawn = 0; drawn < std::min<std::size_t>(6, gain.size());) {
        float& g = gain[src.index(gain.size())];
        if (g != outlier) g = outlier, ++drawn;
    }
    return gain;
}

}  // namespace detail

inline layer llm_layer(std::string name, std::int64_t rows, std::int64_t cols, unsigned seed) {
    detail::deterministic_source src(seed);
    const std::vector<float> gain = detail::channel_gains(src, cols, 8.0f);
    layer l{std::move(name), rows, cols, std::vector<float>(static_cast<std::size_t>(rows * cols)), {}};
    for (std::size_t i = 0; i < l.weights.size(); ++i) l.weights[i] = static_cast<float>(0.02 * src.student_t4()) * gain[i % gain.size()];
    return l;
}

inline std::vector<float> llm_activations(std::int64_t batch, std::int64_t cols, unsigned seed) {
    detail::deterministic_source src(seed);
    const std::vector<float> gain = detail::channel_gains(src, cols, 20.0f);
    std::vector<float> x(static_cast<std::size_t>(batch * cols));
    for (std::size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>(src.normal()) * gain[i % gain.size()];
    return x;
}

// divisor 1: 4096 x 4096 and 11008 x 4096, 64 activation rows. The divisor is a power of two up to
// 16, which divides both 4096 and 11008 and leaves cols a multiple of 256 (the k-quant block).
inline workload default_workload(std::int64_t divisor = 1) {
    if (divisor < 1 || divisor > 16 || (divisor & (divisor - 1)) != 0)
        lowbit::detail::fail("default_workload: divisor ", divisor, " is not 1, 2, 4, 8 or 16");
    const std::int64_t cols = 4096 / divisor;
    workload w;
    w.source = divisor == 1 ? "built-in LLM-shaped layers" : "built-in LLM-shaped layers, 1/" + std::to_string(divisor) + " size";
    w.layers.push_back(llm_layer("attn " + std::to_string(4096 / divisor) + "x" + std::to_string(cols), 4096 / divisor, cols, 42));
    w.layers.push_back(llm_layer("mlp_up " + std::to_string(11008 / divisor) + "x" + std::to_string(cols), 11008 / divisor, cols, 43));
    w.batch = 64;
    for (layer& l : w.layers) l.activations = llm_activations(w.batch, cols, 44);
    return w;
}

// The layer whose kernels are timed: the largest whose int8 weights (a byte each) fit in
// `cache_bytes`, so that "hot" runs read from cache; the smallest when none fits or the cache
// size is unknown (0). The first of equals.
inline std::size_t choose_timed_layer(const workload& w, std::uint64_t cache_bytes) {
    if (w.layers.empty()) lowbit::detail::fail("choose_timed_layer: the workload has no layer");
    const auto size = [&](std::size_t i) { return static_cast<std::uint64_t>(w.layers[i].rows * w.layers[i].cols); };
    std::size_t best = 0;
    bool fits = size(0) <= cache_bytes;
    for (std::size_t i = 1; i < w.layers.size(); ++i) {
        const bool f = size(i) <= cache_bytes;
        if (f && (!fits || size(i) > size(best))) best = i, fits = true;
        else if (!f && !fits && size(i) < size(best)) best = i;
    }
    return best;
}

}  // namespace lowbit::explore
