// Throughput of the scalar reference quantizer and dequantizer, with a memory-copy baseline in
// the same binary. Names: quantize/<scheme>/reference/<elements>, dequantize/..., memory/copy/<elements>.
// Counters: bytes_per_second over the float bytes read (quantize) or written (dequantize).
#include <cstring>
#include <random>
#include <vector>

#include <benchmark/benchmark.h>

#include "lowbit/lowbit.hpp"

using namespace lowbit;

namespace {

std::vector<float> input(std::size_t n) {
    std::mt19937 gen(1);
    std::normal_distribution<float> d(0.0f, 0.02f);
    std::vector<float> x(n);
    for (auto& v : x) v = d(gen);
    return x;
}

constexpr index_t cols = 4096;

template <class Scheme>
void bm_quantize(benchmark::State& state) {
    const auto n = static_cast<index_t>(state.range(0));
    const auto x = input(static_cast<std::size_t>(n));
    quantized_tensor<Scheme> q(n / cols, cols);
    for (auto _ : state) {
        quantize<Scheme>({x.data(), n / cols, cols}, q);
        benchmark::DoNotOptimize(q.packed_codes().data());
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * n * 4);
}

template <class Scheme>
void bm_dequantize(benchmark::State& state) {
    const auto n = static_cast<index_t>(state.range(0));
    const auto x = input(static_cast<std::size_t>(n));
    const auto q = quantize<Scheme>({x.data(), n / cols, cols});
    std::vector<float> out(static_cast<std::size_t>(n));
    for (auto _ : state) {
        dequantize(q, {out.data(), n / cols, cols});
        benchmark::DoNotOptimize(out.data());
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * n * 4);
}

void bm_copy(benchmark::State& state) {
    const auto n = static_cast<std::size_t>(state.range(0));
    const auto x = input(n);
    std::vector<float> out(n);
    for (auto _ : state) {
        std::memcpy(out.data(), x.data(), n * 4);
        benchmark::DoNotOptimize(out.data());
        benchmark::ClobberMemory();
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * n * 4));
}

}  // namespace

BENCHMARK(bm_copy)->Name("memory/copy")->Arg(65536)->Arg(1 << 24);
BENCHMARK(bm_quantize<schemes::w8_per_channel>)->Name("quantize/int8_per_channel/reference")->Arg(65536)->Arg(1 << 24);
BENCHMARK(bm_quantize<schemes::w4_g32_sym>)->Name("quantize/int4_g32_sym/reference")->Arg(65536)->Arg(1 << 24);
BENCHMARK(bm_quantize<schemes::w4_g32_asym>)->Name("quantize/uint4_g32_affine/reference")->Arg(65536)->Arg(1 << 24);
BENCHMARK(bm_dequantize<schemes::w4_g32_sym>)->Name("dequantize/int4_g32_sym/reference")->Arg(65536)->Arg(1 << 24);

BENCHMARK_MAIN();
