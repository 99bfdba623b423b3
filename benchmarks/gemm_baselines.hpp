// benchmarks/gemm_baselines.hpp - what the GEMM benchmark binaries share: the shape of a product,
// its counters, and the baselines measured in the same run (Eigen's float GEMM of the same shape,
// a streaming DRAM read).
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include <Eigen/Core>
#include <benchmark/benchmark.h>
#include <xsimd/xsimd.hpp>

#include "lowbit/core/parallel.hpp"
#include "read_probe.hpp"

namespace lowbit_bench {

struct shape {
    std::int64_t m, k, n;
    std::string name() const { return std::to_string(m) + "x" + std::to_string(k) + "x" + std::to_string(n); }
};

inline std::vector<float> activations(std::int64_t m, std::int64_t k) {
    std::mt19937 gen(2);
    std::normal_distribution<float> d(0.f, 1.f);
    std::vector<float> x(static_cast<std::size_t>(m * k));
    for (auto& v : x) v = d(gen);
    return x;
}

// Copies of the weights to rotate through so that every call streams its weights from DRAM
// (cold: more than 512 MiB of them), or the one copy that stays in cache (hot).
inline std::size_t copies_for(bool cold, std::size_t bytes_per_copy) {
    return cold ? static_cast<std::size_t>((std::int64_t{512} << 20) / static_cast<std::int64_t>(bytes_per_copy) + 2) : 1;
}

// GOP/s (2 M K N per call) and, for M = 1, weight_GB/s (weight bytes per second, 1e9 bytes).
inline void set_counters(benchmark::State& state, const shape& s, std::size_t weight_bytes) {
    const double calls = static_cast<double>(state.iterations());
    state.counters["GOP/s"] = benchmark::Counter(calls * 2.0 * static_cast<double>(s.m * s.k * s.n) * 1e-9, benchmark::Counter::kIsRate);
    if (s.m == 1) state.counters["weight_GB/s"] = benchmark::Counter(calls * static_cast<double>(weight_bytes) * 1e-9, benchmark::Counter::kIsRate);
}

inline void bm_eigen(benchmark::State& state, shape s) {
    using matrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
    const matrix x = matrix::Random(s.m, s.k), w = matrix::Random(s.n, s.k);
    matrix y(s.m, s.n);
    for (auto _ : state) {
        y.noalias() = x * w.transpose();
        benchmark::DoNotOptimize(y.data());
    }
    set_counters(state, s, static_cast<std::size_t>(s.n * s.k) * sizeof(float));
}

// A streaming read of `mib` MiB on `threads` threads. Google Benchmark prints bytes_per_second in
// GiB/s; GB/s is the same rate in 1e9 bytes, the unit of weight_GB/s.
inline void bm_read(benchmark::State& state, std::size_t mib, int threads) {
    const std::size_t n = mib << 18;  // floats
    std::vector<float, xsimd::aligned_allocator<float, 64>> x(n, 1.f);
    lowbit::thread_pool pool(threads);
    for (auto _ : state)
        lowbit::parallel_for(static_cast<std::int64_t>(n) / 4096, pool, [&](std::int64_t b, std::int64_t e) {
            benchmark::DoNotOptimize(read_sum(x.data() + b * 4096, (e - b) * 4096));
        });
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * n * sizeof(float)));
    state.counters["GB/s"] = benchmark::Counter(static_cast<double>(state.iterations() * n * sizeof(float)) * 1e-9, benchmark::Counter::kIsRate);
}

// The DRAM read probe measured beside a cold run, in the same benchmark: the machine's memory
// bandwidth drifts by 20 % between minutes, so a probe run once per binary can land in another
// minute than the kernel it is compared with. `measure` is the median of three single-thread
// sweeps of 512 MiB, in GB/s; a cold benchmark calls it before and after its timed loop.
class paired_read_probe {
public:
    paired_read_probe() : x_(std::size_t{512} << 18, 1.f) {}

    double measure() const {
        double gbps[3];
        for (double& g : gbps) {
            const auto start = std::chrono::steady_clock::now();
            benchmark::DoNotOptimize(read_sum(x_.data(), static_cast<std::int64_t>(x_.size())));
            const std::chrono::duration<double> seconds = std::chrono::steady_clock::now() - start;
            g = static_cast<double>(x_.size() * sizeof(float)) * 1e-9 / seconds.count();
        }
        std::sort(gbps, gbps + 3);
        return gbps[1];
    }

private:
    std::vector<float, xsimd::aligned_allocator<float, 64>> x_;
};

}  // namespace lowbit_bench
