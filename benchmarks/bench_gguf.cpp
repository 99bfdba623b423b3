// GGUF block quantize / dequantize throughput, scalar reference and vector kernels in one binary.
//
//   gguf_quantize/<type>/<arch>/<rows>x4096/threads:<t>    float bytes read per second
//   gguf_dequantize/<type>/<arch>/<rows>x4096/threads:<t>  float bytes written per second
//   memory/read/<rows>x4096                                  a streaming read (sum) of as many float bytes
// <arch> "reference" is the scalar specification (reference::quantize_rows); the other names are the
// tag that arch::native selects for the type (kernel_arch_t). Both run on 256 x 4096 rows (4 MiB of
// floats; the reference of a k-quant takes ~0.1 s per pass), the kernels also on 4096 x 4096 (64 MiB,
// streamed from DRAM) with one and two threads. Inputs: N(0, 0.02^2), like transformer weights.
#include <random>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include "lowbit/gguf.hpp"

namespace gguf = lowbit::gguf;

namespace {

constexpr std::int64_t cols = 4096;

const std::vector<float>& input(std::int64_t rows) {
    static std::vector<float> x;
    const auto n = static_cast<std::size_t>(rows * cols);
    if (x.size() < n) {
        std::mt19937 gen(1);
        std::normal_distribution<float> d(0.0f, 0.02f);
        x.resize(n);
        for (auto& v : x) v = d(gen);
    }
    return x;
}

template <class T, bool Reference>
void quantize(benchmark::State& state, std::int64_t rows, int threads) {
    const auto& x = input(rows);
    std::vector<std::byte> q(static_cast<std::size_t>(rows) * T::row_bytes(cols));
    for (auto _ : state) {
        if constexpr (Reference)
            gguf::reference::quantize_rows<T>(x.data(), rows, cols, q.data(), q.size());
        else
            gguf::quantize_rows<T>(x.data(), rows, cols, q.data(), q.size(), nullptr, threads);
        benchmark::DoNotOptimize(q.data());
        benchmark::ClobberMemory();
    }
    state.SetBytesProcessed(state.iterations() * rows * cols * static_cast<std::int64_t>(sizeof(float)));
}

template <class T, bool Reference>
void dequantize(benchmark::State& state, std::int64_t rows, int threads) {
    const auto& x = input(rows);
    std::vector<std::byte> q(static_cast<std::size_t>(rows) * T::row_bytes(cols));
    gguf::quantize_rows<T>(x.data(), rows, cols, q.data(), q.size(), nullptr, 2);
    std::vector<float> y(static_cast<std::size_t>(rows * cols));
    for (auto _ : state) {
        if constexpr (Reference)
            gguf::reference::dequantize_rows<T>(q.data(), q.size(), rows, cols, y.data(), y.size());
        else
            gguf::dequantize_rows<T>(q.data(), q.size(), rows, cols, y.data(), y.size(), threads);
        benchmark::DoNotOptimize(y.data());
        benchmark::ClobberMemory();
    }
    state.SetBytesProcessed(state.iterations() * rows * cols * static_cast<std::int64_t>(sizeof(float)));
}

void memory_read(benchmark::State& state, std::int64_t rows) {
    const auto& x = input(rows);
    const auto n = static_cast<std::size_t>(rows * cols);
    for (auto _ : state) {
        float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        for (std::size_t i = 0; i < n; i += 4) {
            s0 += x[i];
            s1 += x[i + 1];
            s2 += x[i + 2];
            s3 += x[i + 3];
        }
        benchmark::DoNotOptimize(s0 + s1 + s2 + s3);
    }
    state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(n * sizeof(float)));
}

template <class T>
void register_type() {
    const std::string type = T::name;
    const std::string arch = gguf::kernel_arch_t<T, lowbit::arch::native>::name;
    const auto shape = [](std::int64_t rows) { return "/" + std::to_string(rows) + "x4096"; };
    for (const std::string op : {"gguf_quantize", "gguf_dequantize"}) {
        const auto run = [&](const std::string& name, auto fn, std::int64_t rows, int threads) {
            benchmark::RegisterBenchmark((op + "/" + type + "/" + name).c_str(), fn, rows, threads)
                ->Unit(benchmark::kMillisecond)
                ->UseRealTime();
        };
        const bool q = op == "gguf_quantize";
        run("reference" + shape(256), q ? quantize<T, true> : dequantize<T, true>, 256, 1);
        run(arch + shape(256), q ? quantize<T, false> : dequantize<T, false>, 256, 1);
        for (int threads : {1, 2})
            run(arch + shape(4096) + "/threads:" + std::to_string(threads), q ? quantize<T, false> : dequantize<T, false>, 4096, threads);
    }
}

}  // namespace

int main(int argc, char** argv) {
    gguf::for_each_type([](auto t) { register_type<decltype(t)>(); });
    for (std::int64_t rows : {256, 4096})
        benchmark::RegisterBenchmark(("memory/read/" + std::to_string(rows) + "x4096").c_str(), memory_read, rows)
            ->Unit(benchmark::kMillisecond);
    benchmark::Initialize(&argc, argv);
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
}
