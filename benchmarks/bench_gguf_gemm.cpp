// GGUF weights in the integer kernels (gemm/gguf_weights.hpp), with the baselines in the same binary.
//
//   gguf_gemv/<type>/<arch>/4096x4096/<hot|cold>             M = 1: repacked GGUF weights x activations
//   gguf_gemm/<type>/<arch>/<M>x4096x4096/<hot|cold>         the same for M = 8 and 64
//   eigen/f32/<M>x4096x4096                                   Eigen's float GEMM / GEMV of the same shape
//   memory/read/512                                           a streaming read of 512 MiB (DRAM bandwidth)
//   memory/read/18                                            the same over 18 MiB, the size of the Q8_0 tensor,
//                                                             read again and again (L3 bandwidth: the hot runs' roof)
// Types: Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, IQ4_NL, Q2_K, Q3_K, Q4_K, Q5_K, Q6_K, repacked from a 4096 x 4096 tensor quantized by lowbit's
// GGUF quantizer. Each call quantizes its float activations per row (int8, symmetric), as
// linear_a8 does. Counters: GOP/s and, for M = 1, weight_GB/s (the repacked bytes: the file's, or
// for Q3_K-Q6_K 1-6 % more). "cold" rotates through more than 512 MiB of copies, made for that
// run only, and measures the DRAM probe right before and after its timed loop (counter
// DRAM_probe_GB/s): the cold target is against that probe, the one of memory/read/512 is shown
// beside it. The run ends with the ratios from this run's medians.
#include <cstdint>
#include <memory>
#include <string>
#include <type_traits>
#include <vector>

#include <benchmark/benchmark.h>

#include "gemm_baselines.hpp"
#include "lowbit/gemm/gguf_weights.hpp"
#include "lowbit/gemm/matmul_grouped.hpp"
#include "lowbit/gguf.hpp"
#include "ratio_report.hpp"

namespace gemm = lowbit::gemm;
namespace gguf = lowbit::gguf;
using lowbit_bench::shape;

namespace {

constexpr std::int64_t rows = 4096, cols = 4096;

// One repacked 4096 x 4096 tensor quantized from heavy-tailed weights.
template <class Type>
const typename gemm::gguf_packing<Type>::packed& repacked() {
    static const auto packed = [] {
        std::mt19937 gen(1);
        std::student_t_distribution<float> tails(4.f);
        std::vector<float> w(static_cast<std::size_t>(rows * cols));
        for (auto& v : w) v = 0.02f * tails(gen);
        std::vector<std::byte> q(static_cast<std::size_t>(rows) * Type::row_bytes(cols));
        gguf::quantize_rows<Type>(w.data(), rows, cols, q.data(), q.size());
        return gemm::repack_gguf<Type>(q.data(), q.size(), rows, cols);
    }();
    return packed;
}

template <class Type, class Arch>
void bm_gguf(benchmark::State& state, std::int64_t m, bool cold) {
    // The copies live as long as this run: the cold runs of every type do not add up.
    const auto& one = repacked<Type>();
    const std::vector<std::decay_t<decltype(one)>> w(lowbit_bench::copies_for(cold, one.bytes()), one);
    const auto x = lowbit_bench::activations(m, cols);
    std::vector<float> y(static_cast<std::size_t>(m * rows));
    std::size_t i = 0;
    const auto probe = cold ? std::make_unique<lowbit_bench::paired_read_probe>() : nullptr;
    const double probe_before = probe ? probe->measure() : 0;
    for (auto _ : state) {
        gemm::linear_a8<Arch>(x.data(), cols, m, w[i], y.data(), rows);
        i = (i + 1) % w.size();
        benchmark::DoNotOptimize(y.data());
    }
    lowbit_bench::set_counters(state, shape{m, cols, rows}, one.bytes());
    if (probe) state.counters["DRAM_probe_GB/s"] = 0.5 * (probe_before + probe->measure());
}

std::string bench_name(const char* type, const char* arch, std::int64_t m, bool cold) {
    const std::string temperature = cold ? "/cold" : "/hot";
    if (m == 1) return std::string("gguf_gemv/") + type + "/" + arch + "/4096x4096" + temperature;
    return std::string("gguf_gemm/") + type + "/" + arch + "/" + std::to_string(m) + "x4096x4096" + temperature;
}

template <class Type, class Arch>
void register_type() {
    for (std::int64_t m : {1, 8, 64})
        for (bool cold : {false, true})
            benchmark::RegisterBenchmark(bench_name(Type::name, Arch::name, m, cold).c_str(), bm_gguf<Type, Arch>, m, cold)
                ->Unit(benchmark::kMicrosecond)
                ->UseRealTime();
}

std::vector<lowbit_bench::ratio> target_ratios(const char* arch) {
    std::vector<lowbit_bench::ratio> r;
    for (const char* type : {"q4_0", "q4_1", "q5_0", "q5_1", "q8_0", "iq4_nl", "q2_K", "q3_K", "q4_K", "q5_K", "q6_K"}) {
        const std::string t = type, hot = bench_name(type, arch, 1, false), cold = bench_name(type, arch, 1, true);
        // The issue: 150 GOP/s for Q4_0, Q8_0, Q4_K; other types twice ggml's nearest relative on
        // this machine (the 32-block ones: q4_0 x q8_0, 38 GOP/s; the k-quants: q4_K x q8_K, 54).
        const bool k_quant = t.back() == 'K';
        const double hot_target = t == "q4_0" || t == "q8_0" || t == "q4_K" ? 150.0 : k_quant ? 108.0 : 76.0;
        const bool cold_target = t == "q4_0" || t == "q8_0" || t == "q4_K" || t == "q6_K";
        r.push_back({t + " GEMV hot GOP/s", hot, "GOP/s", "", "", 1, hot_target});
        r.push_back({t + " GEMV hot weight bytes / L3 probe", hot, "weight_GB/s", "memory/read/18", "GB/s", 1, 0});
        r.push_back({t + " GEMV cold weight bytes / DRAM probe beside it", cold, "weight_GB/s", cold, "DRAM_probe_GB/s", 1, cold_target ? 0.85 : 0});
        r.push_back({t + " GEMV cold weight bytes / DRAM probe of the binary", cold, "weight_GB/s", "memory/read/512", "GB/s", 1, 0});
        r.push_back({t + " GEMV cold / Eigen f32 GEMV", cold, "GOP/s", "eigen/f32/1x4096x4096", "GOP/s", 1, 0});
        for (std::int64_t m : {8, 64})
            r.push_back({t + " M=" + std::to_string(m) + " hot / Eigen f32", bench_name(type, arch, m, false), "GOP/s",
                         "eigen/f32/" + std::to_string(m) + "x4096x4096", "GOP/s", 1, 0});
    }
    return r;
}

}  // namespace

int main(int argc, char** argv) {
    using native = lowbit::arch::native;
    register_type<gguf::q4_0, native>();
    register_type<gguf::q4_1, native>();
    register_type<gguf::q5_0, native>();
    register_type<gguf::q5_1, native>();
    register_type<gguf::q8_0, native>();
    register_type<gguf::iq4_nl, native>();
    register_type<gguf::q2_K, native>();
    register_type<gguf::q3_K, native>();
    register_type<gguf::q4_K, native>();
    register_type<gguf::q5_K, native>();
    register_type<gguf::q6_K, native>();
    for (std::int64_t m : {1, 8, 64})
        benchmark::RegisterBenchmark(("eigen/f32/" + shape{m, cols, rows}.name()).c_str(), lowbit_bench::bm_eigen, shape{m, cols, rows})
            ->Unit(benchmark::kMicrosecond)
            ->UseRealTime();
    benchmark::RegisterBenchmark("memory/read/512", lowbit_bench::bm_read, std::size_t{512}, 1)->Unit(benchmark::kMillisecond)->UseRealTime();
    benchmark::RegisterBenchmark("memory/read/18", lowbit_bench::bm_read, std::size_t{18}, 1)->Unit(benchmark::kMicrosecond)->UseRealTime();
    return lowbit_bench::run_benchmarks(argc, argv, target_ratios(native::name));
}
