// GGUF block quantize / dequantize throughput, scalar reference and vector kernels in one binary.
//
//   gguf_quantize/<type>/<arch>/<rows>x4096/threads:<t>    float bytes read per second
//   gguf_dequantize/<type>/<arch>/<rows>x4096/threads:<t>  float bytes written per second
//   memory/read/<rows>x4096/threads:<t>                      a streaming read (sum) of as many float bytes
// <arch> "reference" is the scalar specification (reference::quantize_rows); the other names are the
// tag that arch::native selects for the type (kernel_arch_t). Both run on 256 x 4096 rows (4 MiB of
// floats; the reference of a k-quant takes ~0.1 s per pass), the kernels also on 4096 x 4096 (64 MiB,
// streamed from DRAM) with one and two threads. Inputs: N(0, 0.02^2), like transformer weights.
#include <random>
#include <utility>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include "lowbit/core/parallel.hpp"
#include "lowbit/gguf.hpp"
#include "read_probe.hpp"

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

void memory_read(benchmark::State& state, std::int64_t rows, int threads) {
    const float* x = input(rows).data();
    for (auto _ : state) {
        lowbit::parallel_for(rows, threads, [&](std::int64_t begin, std::int64_t end) {
            benchmark::DoNotOptimize(lowbit_bench::read_sum(x + begin * cols, (end - begin) * cols));
        });
    }
    state.SetBytesProcessed(state.iterations() * rows * cols * static_cast<std::int64_t>(sizeof(float)));
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
    for (const auto& [rows, threads] : {std::pair{256, 1}, std::pair{4096, 1}, std::pair{4096, 2}})
        benchmark::RegisterBenchmark(("memory/read/" + std::to_string(rows) + "x4096/threads:" + std::to_string(threads)).c_str(),
                                     memory_read, rows, threads)
            ->Unit(benchmark::kMillisecond)
            ->UseRealTime();
    benchmark::Initialize(&argc, argv);
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
}
