// The schemes lowbit-explore compares, and what it measures of each: size, error over every layer
// of the workload, quantize throughput, and the integer kernel's throughput.
//
// Kernels are timed on the workload's timed layer (choose_timed_layer: the largest whose int8 weights
// fit in the L3 cache, 4096 x 4096 by default), on one thread, for M = 1 (GEMV) and M = batch (GEMM):
//   hot   the same packed weights every call (after two warm-up calls), about 2 ms of calls per run:
//         from cache when the packed layer fits (the report gives both sizes);
//   cold  round robin over copies of the packed weights that add up to at least 512 MiB, so every
//         call reads its weights from DRAM (up to 31 timed calls; none for a layer that would need
//         more than 1024 copies).
// Activations are float, quantized to int8 per row inside each call (linear_a8 / linear_w8a8).
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "lowbit/gemm/gguf_weights.hpp"
#include "lowbit/gemm/matmul_grouped.hpp"
#include "lowbit/gemm/pack_tensor.hpp"
#include "lowbit/gguf.hpp"
#include "lowbit/lowbit.hpp"
#include "error_figures.hpp"
#include "figures.hpp"
#include "machine.hpp"
#include "timing.hpp"
#include "workload.hpp"

namespace lowbit::explore {

struct run_options {
    int hot_runs = 7, cold_min_runs = 5, quantize_runs = 3;
    std::size_t cold_bytes = std::size_t{512} << 20;
};

namespace detail {

// Times a packed layer: `run(w, x, m, y)` computes y = x w^T.
template <class Packed, class Run>
kernel_figures time_kernel(std::string name, const Packed& packed, Run run, const workload& wl, const run_options& opt, read_probes& probes) {
    kernel_figures k;
    k.name = std::move(name);
    k.exists = true;
    const layer& l = wl.layers[wl.timed];
    std::vector<float> y(static_cast<std::size_t>(wl.batch * l.rows));
    const double bytes = static_cast<double>(packed.bytes());
    // A layer so small that it would take over 1024 copies to fill cold_bytes gets no cold figure:
    // its calls would time the call overhead, not DRAM.
    const std::size_t copies = std::max<std::size_t>(2, opt.cold_bytes / packed.bytes() + 1);
    const bool cold_measured = copies <= 1024;
    const std::vector<Packed> cold(cold_measured ? copies : 0, packed);
    for (const std::int64_t m : {std::int64_t{1}, wl.batch}) {
        const double ops = 2.0 * static_cast<double>(m * l.cols * l.rows);
        // Hot: each timed run repeats the call for about 2 ms (a GEMV from cache takes ~0.1 ms,
        // too short to time one by one). The L3 probe runs first: the warm-up calls then bring the
        // weights back into the cache it filled.
        const double l3 = probes.l3.measure(3).median;
        const timing warm = time_runs(2, [&](int) { run(packed, l.activations.data(), m, y.data()); });
        const int calls = static_cast<int>(std::clamp(0.002 / std::max(warm.min, 1e-9), 1.0, 1000.0));
        const timing hot_t = time_runs(opt.hot_runs, [&](int) {
            for (int c = 0; c < calls; ++c) run(packed, l.activations.data(), m, y.data());
        });
        throughput hot{rate_of(ops * calls * 1e-9, hot_t), bytes, ops, true, l3};
        (m == 1 ? k.gemv_hot : k.gemm_hot) = hot;
        if (!cold_measured) continue;
        // Cold: one untimed pass brings every copy through memory once; then the timed calls, in
        // the same order, each find their copy evicted by the later ones.
        const double dram = probes.dram.measure(3).median;
        for (const Packed& c : cold) run(c, l.activations.data(), m, y.data());
        const int runs = static_cast<int>(std::clamp<std::size_t>(copies, static_cast<std::size_t>(opt.cold_min_runs), 31));
        const timing cold_t = time_runs(runs, [&](int i) { run(cold[static_cast<std::size_t>(i) % copies], l.activations.data(), m, y.data()); });
        (m == 1 ? k.gemv_cold : k.gemm_cold) = throughput{rate_of(ops * 1e-9, cold_t), bytes, ops, true, dram};
    }
    return k;
}

inline double float_gb(const layer& l) { return static_cast<double>(l.weights.size() * sizeof(float)) * 1e-9; }

}  // namespace detail

// A lowbit scheme type. `name` is what the report calls it.
template <class Scheme>
scheme_report evaluate_scheme(const char* name, const workload& wl, const run_options& opt, read_probes& probes) {
    scheme_report r;
    r.name = name;
    r.family = "lowbit";
    error_sums sums;
    for (const layer& l : wl.layers) {
        const matrix_view<const float> w(l.weights.data(), l.rows, l.cols);
        const quantized_tensor<Scheme> q = quantize<Scheme>(w);
        r.bytes += q.storage_bytes();
        r.weights += static_cast<std::uint64_t>(l.rows * l.cols);
        const std::vector<float> back = dequantize(q);
        sums.add(l.weights.data(), back.data(), l.rows, l.cols, l.activations.data(), wl.batch);
    }
    r.error = sums.figures();
    r.bits_per_weight = 8.0 * static_cast<double>(r.bytes) / static_cast<double>(r.weights);
    const layer& timed = wl.layers[wl.timed];
    const matrix_view<const float> w0(timed.weights.data(), timed.rows, timed.cols);
    r.quantize_gbps = rate_of(detail::float_gb(timed), time_runs(opt.quantize_runs, [&](int) { (void)quantize<Scheme>(w0); }));
    if constexpr (gemm::has_kernel_v<Scheme>) {
        const auto packed = gemm::pack_tensor(quantize<Scheme>(w0));
        using packed_t = std::decay_t<decltype(packed)>;
        if constexpr (std::is_same_v<packed_t, gemm::packed_s8>)
            r.kernel = detail::time_kernel(std::string("linear_w8a8 ") + arch::native::name, packed,
                                           [&](const packed_t& p, const float* x, std::int64_t m, float* y) { gemm::linear_w8a8(x, timed.cols, m, p, y, timed.rows); }, wl, opt, probes);
        else
            r.kernel = detail::time_kernel(std::string("linear_a8 ") + arch::native::name, packed,
                                           [&](const packed_t& p, const float* x, std::int64_t m, float* y) { gemm::linear_a8(x, timed.cols, m, p, y, timed.rows); }, wl, opt, probes);
    } else {
        r.kernel.name = "no kernel yet";
    }
    return r;
}

// A GGUF block type (lowbit's ggml-exact quantizer), run repacked (gemm/gguf_weights.hpp).
template <class Type>
scheme_report evaluate_gguf(const workload& wl, const run_options& opt, read_probes& probes) {
    scheme_report r;
    r.name = std::string("gguf ") + Type::name;
    r.family = "gguf";
    error_sums sums;
    for (const layer& l : wl.layers) {
        std::vector<std::byte> q(static_cast<std::size_t>(l.rows) * Type::row_bytes(l.cols));
        gguf::quantize_rows<Type>(l.weights.data(), l.rows, l.cols, q.data(), q.size());
        r.bytes += q.size();
        r.weights += static_cast<std::uint64_t>(l.rows * l.cols);
        std::vector<float> back(l.weights.size());
        gguf::dequantize_rows<Type>(q.data(), q.size(), l.rows, l.cols, back.data(), back.size());
        sums.add(l.weights.data(), back.data(), l.rows, l.cols, l.activations.data(), wl.batch);
    }
    r.error = sums.figures();
    r.bits_per_weight = 8.0 * static_cast<double>(r.bytes) / static_cast<double>(r.weights);
    const layer& timed = wl.layers[wl.timed];
    std::vector<std::byte> q0(static_cast<std::size_t>(timed.rows) * Type::row_bytes(timed.cols));
    r.quantize_gbps = rate_of(detail::float_gb(timed), time_runs(opt.quantize_runs, [&](int) {
                                  gguf::quantize_rows<Type>(timed.weights.data(), timed.rows, timed.cols, q0.data(), q0.size());
                              }));
    const auto packed = gemm::repack_gguf<Type>(q0.data(), q0.size(), timed.rows, timed.cols);
    using packed_t = std::decay_t<decltype(packed)>;
    r.kernel = detail::time_kernel(std::string("linear_a8 ") + arch::native::name, packed,
                                   [&](const packed_t& p, const float* x, std::int64_t m, float* y) { gemm::linear_a8(x, timed.cols, m, p, y, timed.rows); }, wl, opt, probes);
    return r;
}

// Every scheme of the report, in order; `progress(i, n, name)` before each.
inline std::vector<scheme_report> evaluate_all(const workload& wl, const run_options& opt, read_probes& probes,
                                               const std::function<void(std::size_t, std::size_t, const std::string&)>& progress) {
    using evaluator = std::function<scheme_report()>;
    const std::vector<std::pair<std::string, evaluator>> all = {
        {"int8 per-channel", [&] { return evaluate_scheme<schemes::w8_per_channel>("int8 per-channel", wl, opt, probes); }},
        {"int4 g32 sym", [&] { return evaluate_scheme<schemes::w4_g32_sym>("int4 g32 sym", wl, opt, probes); }},
        {"int4 g32 affine", [&] { return evaluate_scheme<schemes::w4_g32_asym>("int4 g32 affine", wl, opt, probes); }},
        {"int4 g128 sym", [&] { return evaluate_scheme<schemes::w4_g128_sym>("int4 g128 sym", wl, opt, probes); }},
        {"int4 g128 affine", [&] { return evaluate_scheme<schemes::w4_g128_asym>("int4 g128 affine", wl, opt, probes); }},
        {"int3 g128 affine", [&] { return evaluate_scheme<schemes::w3_g128_asym>("int3 g128 affine", wl, opt, probes); }},
        {"int2 g64 affine", [&] { return evaluate_scheme<schemes::w2_g64_asym>("int2 g64 affine", wl, opt, probes); }},
        {"gguf q8_0", [&] { return evaluate_gguf<gguf::q8_0>(wl, opt, probes); }},
        {"gguf q6_K", [&] { return evaluate_gguf<gguf::q6_K>(wl, opt, probes); }},
        {"gguf q5_K", [&] { return evaluate_gguf<gguf::q5_K>(wl, opt, probes); }},
        {"gguf q4_K", [&] { return evaluate_gguf<gguf::q4_K>(wl, opt, probes); }},
        {"gguf q4_0", [&] { return evaluate_gguf<gguf::q4_0>(wl, opt, probes); }},
        {"gguf q3_K", [&] { return evaluate_gguf<gguf::q3_K>(wl, opt, probes); }},
        {"gguf q2_K", [&] { return evaluate_gguf<gguf::q2_K>(wl, opt, probes); }},
    };
    std::vector<scheme_report> out;
    for (std::size_t i = 0; i < all.size(); ++i) {
        progress(i, all.size(), all[i].first);
        out.push_back(all[i].second());
    }
    progress(all.size(), all.size(), "done");
    return out;
}

}  // namespace lowbit::explore
