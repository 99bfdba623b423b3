// Integer GEMM / GEMV throughput with the baselines in the same binary.
//
//   gemm/w8a8_s32/<arch>/<M>x<K>x<N>/<hot|cold>   int8 x int8 -> int32 (activations already quantized)
//   gemm/w8a8_f32/<arch>/<M>x<K>x<N>/hot          float in, per-row quantization, float out
//   eigen/f32/<M>x<K>x<N>                          Eigen's float GEMM of the same shape
//   memory/read/<MiB>                              a streaming read of 512 MiB (DRAM bandwidth)
//   peak/vpdpbusd_zmm                              VPDPBUSD throughput (16 chains), the compute roof
// Counters: GOP/s (2 M K N per call) and, for M = 1, weight_GB/s (packed weight bytes per second).
// "hot" reuses one packed matrix (it sits in L2/L3); "cold" rotates through more than 512 MiB of
// distinct packed copies, so every call streams its weights from DRAM.
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include <Eigen/Core>
#include <benchmark/benchmark.h>
#include <xsimd/xsimd.hpp>

#include "lowbit/gemm/matmul.hpp"
#include "read_probe.hpp"

namespace gemm = lowbit::gemm;

namespace {

struct shape {
    std::int64_t m, k, n;
    std::string name() const { return std::to_string(m) + "x" + std::to_string(k) + "x" + std::to_string(n); }
};

std::vector<float> activations(std::int64_t m, std::int64_t k) {
    std::mt19937 gen(2);
    std::normal_distribution<float> d(0.f, 1.f);
    std::vector<float> x(static_cast<std::size_t>(m * k));
    for (auto& v : x) v = d(gen);
    return x;
}

// `copies` packed copies of one random N x K matrix (copying is cheaper than packing again).
const std::vector<gemm::packed_s8>& weights(std::int64_t k, std::int64_t n, std::size_t copies) {
    static std::vector<gemm::packed_s8> cache;
    if (cache.empty() || cache[0].k != k || cache[0].n != n) {
        cache.clear();
        std::mt19937 gen(1);
        std::uniform_int_distribution<int> d(-127, 127);
        std::vector<std::int8_t> w(static_cast<std::size_t>(n * k));
        for (auto& v : w) v = static_cast<std::int8_t>(d(gen));
        std::vector<float> scales(static_cast<std::size_t>(n), 0.01f);
        cache.push_back(gemm::pack_s8(w.data(), k, n, k, scales.data()));
    }
    while (cache.size() < copies) cache.push_back(cache[0]);
    return cache;
}

std::size_t copies_for(bool cold, std::int64_t k, std::int64_t n) {
    return cold ? static_cast<std::size_t>((std::int64_t{512} << 20) / (k * n) + 2) : 1;
}

void set_counters(benchmark::State& state, const shape& s, std::size_t weight_bytes) {
    const double calls = static_cast<double>(state.iterations());
    state.counters["GOP/s"] = benchmark::Counter(calls * 2.0 * static_cast<double>(s.m * s.k * s.n) * 1e-9, benchmark::Counter::kIsRate);
    if (s.m == 1) state.counters["weight_GB/s"] = benchmark::Counter(calls * static_cast<double>(weight_bytes) * 1e-9, benchmark::Counter::kIsRate);
}

void bm_s32(benchmark::State& state, shape s, bool cold) {
    const auto& w = weights(s.k, s.n, copies_for(cold, s.k, s.n));
    const auto x = activations(s.m, s.k);
    gemm::activations_u8 a;
    gemm::quantize_activations(x.data(), s.k, s.m, s.k, a);
    std::vector<std::int32_t> c(static_cast<std::size_t>(s.m * s.n));
    const std::size_t count = copies_for(cold, s.k, s.n);
    std::size_t i = 0;
    for (auto _ : state) {
        gemm::matmul_s32(a, w[i], c.data(), s.n);
        i = (i + 1) % count;
        benchmark::DoNotOptimize(c.data());
    }
    set_counters(state, s, w[0].bytes());
}

void bm_f32(benchmark::State& state, shape s) {
    const auto& w = weights(s.k, s.n, 1);
    const auto x = activations(s.m, s.k);
    std::vector<float> y(static_cast<std::size_t>(s.m * s.n));
    for (auto _ : state) {
        gemm::linear_w8a8(x.data(), s.k, s.m, w[0], y.data(), s.n);
        benchmark::DoNotOptimize(y.data());
    }
    set_counters(state, s, w[0].bytes());
}

void bm_eigen(benchmark::State& state, shape s) {
    using matrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
    const matrix x = matrix::Random(s.m, s.k), w = matrix::Random(s.n, s.k);
    matrix y(s.m, s.n);
    for (auto _ : state) {
        y.noalias() = x * w.transpose();
        benchmark::DoNotOptimize(y.data());
    }
    set_counters(state, s, static_cast<std::size_t>(s.n * s.k) * sizeof(float));
}

#if defined(__AVX512VNNI__)
// The instruction's throughput on this core: 16 independent VPDPBUSD chains on fixed registers
// (written in assembly: g++ 12 copies intrinsic accumulators between registers every iteration,
// which would measure the copies, not the instruction).
void bm_vnni_peak(benchmark::State& state) {
    constexpr std::int64_t steps = 1 << 16, per_step = 16;
    for (auto _ : state) {
        for (std::int64_t i = 0; i < steps; ++i)
            asm volatile(
                "vpdpbusd %%zmm0, %%zmm1, %%zmm2\n\tvpdpbusd %%zmm0, %%zmm1, %%zmm3\n\tvpdpbusd %%zmm0, %%zmm1, %%zmm4\n\t"
                "vpdpbusd %%zmm0, %%zmm1, %%zmm5\n\tvpdpbusd %%zmm0, %%zmm1, %%zmm6\n\tvpdpbusd %%zmm0, %%zmm1, %%zmm7\n\t"
                "vpdpbusd %%zmm0, %%zmm1, %%zmm8\n\tvpdpbusd %%zmm0, %%zmm1, %%zmm9\n\tvpdpbusd %%zmm0, %%zmm1, %%zmm10\n\t"
                "vpdpbusd %%zmm0, %%zmm1, %%zmm11\n\tvpdpbusd %%zmm0, %%zmm1, %%zmm12\n\tvpdpbusd %%zmm0, %%zmm1, %%zmm13\n\t"
                "vpdpbusd %%zmm0, %%zmm1, %%zmm14\n\tvpdpbusd %%zmm0, %%zmm1, %%zmm15\n\tvpdpbusd %%zmm0, %%zmm1, %%zmm16\n\t"
                "vpdpbusd %%zmm0, %%zmm1, %%zmm17"
                :
                :
                : "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9", "xmm10", "xmm11", "xmm12", "xmm13", "xmm14", "xmm15", "xmm16",
                  "xmm17");
    }
    state.counters["GOP/s"] = benchmark::Counter(static_cast<double>(state.iterations()) * steps * per_step * 128 * 1e-9, benchmark::Counter::kIsRate);
}
#endif

void bm_read(benchmark::State& state) {
    const auto n = static_cast<std::size_t>(state.range(0)) << 18;  // MiB of floats
    std::vector<float, xsimd::aligned_allocator<float, 64>> x(n, 1.f);
    for (auto _ : state) benchmark::DoNotOptimize(lowbit_bench::read_sum(x.data(), static_cast<std::int64_t>(n)));
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * n * sizeof(float)));
}

}  // namespace

int main(int argc, char** argv) {
    const std::string arch = lowbit::arch::native::name;
    for (std::int64_t m : {1, 8, 64, 512})
        for (auto [k, n] : {std::pair<std::int64_t, std::int64_t>{4096, 4096}, {4096, 11008}, {11008, 4096}}) {
            const shape s{m, k, n};
            for (bool cold : {false, true})
                benchmark::RegisterBenchmark(("gemm/w8a8_s32/" + arch + "/" + s.name() + (cold ? "/cold" : "/hot")).c_str(), bm_s32, s, cold)
                    ->Unit(benchmark::kMicrosecond)
                    ->UseRealTime();
            benchmark::RegisterBenchmark(("gemm/w8a8_f32/" + arch + "/" + s.name() + "/hot").c_str(), bm_f32, s)->Unit(benchmark::kMicrosecond)->UseRealTime();
            benchmark::RegisterBenchmark(("eigen/f32/" + s.name()).c_str(), bm_eigen, s)->Unit(benchmark::kMicrosecond)->UseRealTime();
        }
#if defined(__AVX512VNNI__)
    benchmark::RegisterBenchmark("peak/vpdpbusd_zmm", bm_vnni_peak)->Unit(benchmark::kMillisecond)->UseRealTime();
#endif
    benchmark::RegisterBenchmark("memory/read", bm_read)->Arg(512)->Unit(benchmark::kMillisecond)->UseRealTime();
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
