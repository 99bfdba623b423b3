// Integer GEMM / GEMV throughput with the baselines in the same binary.
//
//   gemm/w8a8_s32/<arch>/<M>x<K>x<N>/<hot|cold>[/threads:2]   int8 x int8 -> int32 (activations quantized)
//   gemm/w8a8_f32/<arch>/<M>x<K>x<N>/hot                       float in, per-row quantization, float out
//   gemm/w4a8_g32/<arch>/<M>x<K>x<N>/<hot|cold>[/threads:2]    4-bit weights, groups of 32, f16 scales, f32 out
//   gemm/w8a8_g32/<arch>/<M>x<K>x<N>/<hot|cold>                int8 weights with an f16 scale per 32, f32 out
//   gemm/w4f32_g32/<arch>/<M>x<K>x<N>/<hot|cold>[/threads:2]   weight-only: the same 4-bit weights x f32 activations
//   gemm/w8f32/<arch>/<M>x<K>x<N>/<hot|cold>                   weight-only: int8 weights (per-channel scales) x f32
//   onednn/u8s8s32/<M>x<K>x<N>/<hot|cold>[/threads:2]          oneDNN's int8 matmul (when CMake finds it)
//   onednn/u8s8f32/<M>x<K>x<N>/hot                             ... with per-channel f32 output scales
//   eigen/f32/<M>x<K>x<N>                                      Eigen's float GEMM of the same shape
//   memory/read/512[/threads:2]                                a streaming read of 512 MiB (DRAM bandwidth)
//   peak/<instructions>                                        the compute roof of each kernel family
// Besides M in {1, 8, 64, 512} x (K, N) in {(4096, 4096), (4096, 11008), (11008, 4096)}, W8A8 and
// oneDNN run 2048 x 4096 x 4096 (a long prefill) and 512 x 28672 x 4096 (K split into passes).
// Counters: GOP/s (2 M K N per call) and, for M = 1, weight_GB/s (weight bytes per second). The run
// ends with the ratios the targets are stated in (ratio_report.hpp), from this run's medians.
// "hot" reuses one packed matrix (it sits in L2/L3); "cold" rotates through more than 512 MiB of
// distinct packed copies, so every call streams its weights from DRAM. The native tag runs every
// shape; the other compiled tags (avx512bw, avx_vnni, avx2) run M = 1 and M = 512 at 4096 x 4096.
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include <Eigen/Core>
#include <benchmark/benchmark.h>
#include <xsimd/xsimd.hpp>

#include "lowbit/gemm/matmul.hpp"
#include "lowbit/gemm/matmul_grouped.hpp"
#include "lowbit/gemm/matmul_weight_only.hpp"
#include "gemm_baselines.hpp"
#include "ratio_report.hpp"
#if defined(LOWBIT_BENCH_ONEDNN)
#include "onednn_matmul.hpp"
#endif

namespace gemm = lowbit::gemm;

namespace {

using lowbit_bench::activations;
using lowbit_bench::set_counters;
using lowbit_bench::shape;

std::vector<std::int8_t> int8_weights(std::int64_t k, std::int64_t n) {
    std::mt19937 gen(1);
    std::uniform_int_distribution<int> d(-127, 127);
    std::vector<std::int8_t> w(static_cast<std::size_t>(n * k));
    for (auto& v : w) v = static_cast<std::int8_t>(d(gen));
    return w;
}

// `copies` packed copies of one random N x K matrix (copying is cheaper than packing again).
const std::vector<gemm::packed_s8>& weights(std::int64_t k, std::int64_t n, std::size_t copies) {
    static std::vector<gemm::packed_s8> cache;
    if (cache.empty() || cache[0].k != k || cache[0].n != n) {
        cache.clear();
        const auto w = int8_weights(k, n);
        std::vector<float> scales(static_cast<std::size_t>(n), 0.01f);
        cache.push_back(gemm::pack_s8(w.data(), k, n, k, scales.data()));
    }
    while (cache.size() < copies) cache.push_back(cache[0]);
    return cache;
}

std::size_t copies_for(bool cold, std::int64_t k, std::int64_t n, std::size_t bytes_per_copy = 0) {
    return lowbit_bench::copies_for(cold, bytes_per_copy != 0 ? bytes_per_copy : static_cast<std::size_t>(k * n));
}

// Symmetric 4-bit or 8-bit weights in groups of 32 with f16 scales, enough packed copies for cold runs.
template <int Bits>
const std::vector<gemm::packed_groups<Bits, lowbit::fp16>>& grouped_weights(std::int64_t k, std::int64_t n, bool cold) {
    static std::vector<gemm::packed_groups<Bits, lowbit::fp16>> cache;
    if (cache.empty() || cache[0].k != k || cache[0].n != n) {
        cache.clear();
        std::mt19937 gen(1);
        std::vector<std::uint8_t> codes(static_cast<std::size_t>(n * k));
        for (auto& c : codes) c = static_cast<std::uint8_t>(gen() % (1u << Bits));
        std::vector<lowbit::fp16> scales(static_cast<std::size_t>(n * (k / 32)), lowbit::fp16::from_float(0.01f));
        cache.push_back(gemm::pack_groups<Bits>(codes.data(), k, n, k, 32, scales.data()));
    }
    const std::size_t copies = copies_for(cold, k, n, cache[0].bytes());
    while (cache.size() < copies) cache.push_back(cache[0]);
    return cache;
}

template <class Arch>
void bm_s32(benchmark::State& state, shape s, bool cold, int threads) {
    const auto& w = weights(s.k, s.n, copies_for(cold, s.k, s.n));
    const auto x = activations(s.m, s.k);
    gemm::activations_u8 a;
    gemm::quantize_activations(x.data(), s.k, s.m, s.k, a);
    std::vector<std::int32_t> c(static_cast<std::size_t>(s.m * s.n));
    lowbit::thread_pool pool(threads);
    const std::size_t count = copies_for(cold, s.k, s.n);
    std::size_t i = 0;
    for (auto _ : state) {
        gemm::matmul_s32<Arch>(a, w[i], c.data(), s.n, pool);
        i = (i + 1) % count;
        benchmark::DoNotOptimize(c.data());
    }
    set_counters(state, s, w[0].bytes());
}

template <class Arch, int Bits>
void bm_grouped(benchmark::State& state, shape s, bool cold, int threads) {
    const auto& w = grouped_weights<Bits>(s.k, s.n, cold);
    const auto x = activations(s.m, s.k);
    gemm::activations_u8 a;
    gemm::quantize_activations(x.data(), s.k, s.m, s.k, a);
    std::vector<float> y(static_cast<std::size_t>(s.m * s.n));
    lowbit::thread_pool pool(threads);
    const std::size_t count = copies_for(cold, s.k, s.n, w[0].bytes());
    std::size_t i = 0;
    for (auto _ : state) {
        gemm::matmul<Arch>(a, w[i], gemm::epilogue<>{}, y.data(), s.n, pool);
        i = (i + 1) % count;
        benchmark::DoNotOptimize(y.data());
    }
    set_counters(state, s, w[0].bytes());
}

// Weight-only: Weights is packed_s8 or packed_s4 (the same copies as the integer benchmarks).
template <class Arch, bool Four>
void bm_weight_only(benchmark::State& state, shape s, bool cold, int threads) {
    const auto& w = [&]() -> const auto& {
        if constexpr (Four) return grouped_weights<4>(s.k, s.n, cold);
        else return weights(s.k, s.n, copies_for(cold, s.k, s.n));
    }();
    const auto x = activations(s.m, s.k);
    std::vector<float> y(static_cast<std::size_t>(s.m * s.n));
    lowbit::thread_pool pool(threads);
    const std::size_t count = copies_for(cold, s.k, s.n, Four ? w[0].bytes() : 0);
    std::size_t i = 0;
    for (auto _ : state) {
        gemm::linear_weight_only<Arch>(x.data(), s.k, s.m, w[i], y.data(), s.n, pool);
        i = (i + 1) % count;
        benchmark::DoNotOptimize(y.data());
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

#if defined(LOWBIT_BENCH_ONEDNN)
void bm_onednn(benchmark::State& state, shape s, bool cold, bool f32_out, int threads) {
    const auto w = int8_weights(s.k, s.n);
    std::vector<std::uint8_t> a(static_cast<std::size_t>(s.m * s.k));
    std::mt19937 gen(3);
    for (auto& v : a) v = static_cast<std::uint8_t>(gen() % 255 + 1);
    const std::vector<float> scales(static_cast<std::size_t>(s.n), 0.01f);
    const std::size_t count = copies_for(cold, s.k, s.n);
    lowbit_bench::onednn_matmul mm(s.m, s.k, s.n, w.data(), a.data(), f32_out, scales.data(), count, threads);
    std::size_t i = 0;
    for (auto _ : state) {
        mm.run(i);
        i = (i + 1) % count;
        benchmark::DoNotOptimize(mm.output());
    }
    set_counters(state, s, mm.weight_bytes());
    state.SetLabel(mm.implementation());
}
#endif

// Instruction throughput on this core: independent chains on fixed registers (16 on zmm, 12 where
// VEX encodings reach only 16 registers), in assembly (g++ 12 copies intrinsic accumulators between
// registers every iteration, which would measure the copies). A step is chains x `macs` int8
// multiply-adds, counted as 2 operations each; the
// VPMADDUBSW steps are the three instructions the non-VNNI kernels need per VPDPBUSD.
#define LOWBIT_CHAINS(op) op(2) op(3) op(4) op(5) op(6) op(7) op(8) op(9) op(10) op(11) op(12) op(13)
#define LOWBIT_CHAINS16(op) LOWBIT_CHAINS(op) op(16) op(17) op(18) op(19)
#define LOWBIT_CLOBBERS "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9", "xmm10", "xmm11", "xmm12", "xmm13", "xmm14"
#define LOWBIT_VPDPBUSD_ZMM(r) "vpdpbusd %%zmm0, %%zmm1, %%zmm" #r "\n\t"
#define LOWBIT_VPDPBUSD_YMM(r) "%{vex%} vpdpbusd %%ymm0, %%ymm1, %%ymm" #r "\n\t"
#define LOWBIT_MADDUBS_ZMM(r) "vpmaddubsw %%zmm0, %%zmm1, %%zmm14\n\tvpmaddwd %%zmm15, %%zmm14, %%zmm14\n\tvpaddd %%zmm14, %%zmm" #r ", %%zmm" #r "\n\t"
#define LOWBIT_MADDUBS_YMM(r) "vpmaddubsw %%ymm0, %%ymm1, %%ymm14\n\tvpmaddwd %%ymm15, %%ymm14, %%ymm14\n\tvpaddd %%ymm14, %%ymm" #r ", %%ymm" #r "\n\t"

template <class Step>
void run_peak(benchmark::State& state, int chains, int macs, Step step) {
    constexpr std::int64_t steps = 1 << 16;
    for (auto _ : state)
        for (std::int64_t i = 0; i < steps; ++i) step();
    state.counters["GOP/s"] = benchmark::Counter(static_cast<double>(state.iterations()) * steps * chains * macs * 2 * 1e-9, benchmark::Counter::kIsRate);
}
#if defined(__AVX512VNNI__)
void bm_peak_vpdpbusd_zmm(benchmark::State& state) {
    run_peak(state, 16, 64, [] { asm volatile(LOWBIT_CHAINS16(LOWBIT_VPDPBUSD_ZMM)::: LOWBIT_CLOBBERS, "xmm16", "xmm17", "xmm18", "xmm19"); });
}
#endif
#if defined(__AVXVNNI__)
void bm_peak_vpdpbusd_ymm(benchmark::State& state) {
    run_peak(state, 12, 32, [] { asm volatile(LOWBIT_CHAINS(LOWBIT_VPDPBUSD_YMM)::: LOWBIT_CLOBBERS); });
}
#endif
#if defined(__AVX512BW__)
void bm_peak_maddubs_zmm(benchmark::State& state) {
    run_peak(state, 12, 64, [] { asm volatile(LOWBIT_CHAINS(LOWBIT_MADDUBS_ZMM)::: LOWBIT_CLOBBERS); });
}
#endif
#if defined(__AVX2__)
void bm_peak_maddubs_ymm(benchmark::State& state) {
    run_peak(state, 12, 32, [] { asm volatile(LOWBIT_CHAINS(LOWBIT_MADDUBS_YMM)::: LOWBIT_CLOBBERS); });
}
#endif

template <class Arch>
void register_s32(const shape& s, bool cold, int threads) {
    const std::string name = std::string("gemm/w8a8_s32/") + Arch::name + "/" + s.name() + (cold ? "/cold" : "/hot") +
                             (threads > 1 ? "/threads:" + std::to_string(threads) : "");
    benchmark::RegisterBenchmark(name.c_str(), bm_s32<Arch>, s, cold, threads)->Unit(benchmark::kMicrosecond)->UseRealTime();
}

template <class Arch, int Bits = 4>
void register_w4a8(const shape& s, bool cold, int threads) {
    const std::string name = std::string(Bits == 4 ? "gemm/w4a8_g32/" : "gemm/w8a8_g32/") + Arch::name + "/" + s.name() + (cold ? "/cold" : "/hot") +
                             (threads > 1 ? "/threads:" + std::to_string(threads) : "");
    benchmark::RegisterBenchmark(name.c_str(), bm_grouped<Arch, Bits>, s, cold, threads)->Unit(benchmark::kMicrosecond)->UseRealTime();
}

template <class Arch, bool Four>
void register_weight_only(const shape& s, bool cold, int threads) {
    const std::string name = std::string(Four ? "gemm/w4f32_g32/" : "gemm/w8f32/") + Arch::name + "/" + s.name() + (cold ? "/cold" : "/hot") +
                             (threads > 1 ? "/threads:" + std::to_string(threads) : "");
    benchmark::RegisterBenchmark(name.c_str(), bm_weight_only<Arch, Four>, s, cold, threads)->Unit(benchmark::kMicrosecond)->UseRealTime();
}

void register_onednn(const shape& s, bool cold, bool f32_out, int threads) {
#if defined(LOWBIT_BENCH_ONEDNN)
    const std::string name = std::string("onednn/") + (f32_out ? "u8s8f32/" : "u8s8s32/") + s.name() + (cold ? "/cold" : "/hot") +
                             (threads > 1 ? "/threads:" + std::to_string(threads) : "");
    benchmark::RegisterBenchmark(name.c_str(), bm_onednn, s, cold, f32_out, threads)->Unit(benchmark::kMicrosecond)->UseRealTime();
#else
    (void)s, (void)cold, (void)f32_out, (void)threads;
#endif
}

// The other compiled tags, on the two shapes that show their compute and memory behaviour.
template <class... Tags>
void register_other_tags() {
    for (const shape s : {shape{1, 4096, 4096}, shape{512, 4096, 4096}})
        for (bool cold : {false, true})
            if (s.m == 1 || !cold) {
                (register_s32<Tags>(s, cold, 1), ...);
                (register_w4a8<Tags>(s, cold, 1), ...);
                (register_weight_only<Tags, true>(s, cold, 1), ...);
            }
}

// The ratios of the targets, for the shapes this binary runs.
std::vector<lowbit_bench::ratio> target_ratios(const std::string& native) {
    const std::string gemm = "gemm/", dram = "memory/read/512";
    std::vector<lowbit_bench::ratio> r;
    for (const char* kn : {"4096x4096", "4096x11008", "11008x4096"}) {
        const std::string shape(kn), s512 = "512x" + shape, s64 = "64x" + shape, s8 = "8x" + shape, s1 = "1x" + shape;
        r.push_back({"W8A8 M=512 " + shape + " / oneDNN int8 (hot, s32)", gemm + "w8a8_s32/" + native + "/" + s512 + "/hot", "GOP/s",
                     "onednn/u8s8s32/" + s512 + "/hot", "GOP/s", 1, 1.0});
        r.push_back({"W8A8 M=512 " + shape + " / VNNI zmm peak", gemm + "w8a8_s32/" + native + "/" + s512 + "/hot", "GOP/s", "peak/vpdpbusd_zmm", "GOP/s", 1, 0.85});
        r.push_back({"W8A8 M=512 " + shape + " f32 out / oneDNN f32 out (hot)", gemm + "w8a8_f32/" + native + "/" + s512 + "/hot", "GOP/s",
                     "onednn/u8s8f32/" + s512 + "/hot", "GOP/s", 1, 0});
        r.push_back({"W8A8 M=8 " + shape + " cold / oneDNN int8 cold", gemm + "w8a8_s32/" + native + "/" + s8 + "/cold", "GOP/s",
                     "onednn/u8s8s32/" + s8 + "/cold", "GOP/s", 1, 1.2});
        r.push_back({"W8A8 M=1 " + shape + " cold weight bytes / DRAM probe", gemm + "w8a8_s32/" + native + "/" + s1 + "/cold", "weight_GB/s", dram,
                     "GB/s", 1, 0.9});
        r.push_back({"W4A8 g32 M=1 " + shape + " cold weight bytes / DRAM probe", gemm + "w4a8_g32/" + native + "/" + s1 + "/cold", "weight_GB/s", dram,
                     "GB/s", 1, 0.9});
        r.push_back({"W4A8 g32 M=1 " + shape + " hot GOP/s", gemm + "w4a8_g32/" + native + "/" + s1 + "/hot", "GOP/s", "", "", 1, 150});
        r.push_back({"W4A8 g32 M=1 " + shape + " cold / oneDNN int8 GEMV cold", gemm + "w4a8_g32/" + native + "/" + s1 + "/cold", "GOP/s",
                     "onednn/u8s8s32/" + s1 + "/cold", "GOP/s", 1, 0});
        r.push_back({"W4A8 g32 M=1 " + shape + " cold / Eigen f32 GEMV", gemm + "w4a8_g32/" + native + "/" + s1 + "/cold", "GOP/s", "eigen/f32/" + s1, "GOP/s", 1, 0});
        r.push_back({"weight-only W4 g32 M=1 " + shape + " cold weight bytes / DRAM probe", gemm + "w4f32_g32/" + native + "/" + s1 + "/cold", "weight_GB/s", dram,
                     "GB/s", 1, 0.85});
        for (const std::string& m : {s64, s512})
            r.push_back({"W8A8 " + m + " hot: 2 threads / 1", gemm + "w8a8_s32/" + native + "/" + m + "/hot/threads:2", "GOP/s",
                         gemm + "w8a8_s32/" + native + "/" + m + "/hot", "GOP/s", 1, 1.8});
        r.push_back({"W8A8 " + s1 + " cold: 2 threads / 1", gemm + "w8a8_s32/" + native + "/" + s1 + "/cold/threads:2", "GOP/s",
                     gemm + "w8a8_s32/" + native + "/" + s1 + "/cold", "GOP/s", 1, 1.5});
    }
    for (const char* s : {"2048x4096x4096", "512x28672x4096"})
        r.push_back({std::string("W8A8 ") + s + " / oneDNN int8 (hot, s32)", gemm + "w8a8_s32/" + native + "/" + s + "/hot", "GOP/s",
                     std::string("onednn/u8s8s32/") + s + "/hot", "GOP/s", 1, 0});
    r.push_back({"DRAM probe: 2 threads / 1", dram + "/threads:2", "GB/s", dram, "GB/s", 1, 0});
    for (const auto& [tag, peak] : {std::pair<const char*, const char*>{"avx512bw", "maddubs_zmm"}, {"avx_vnni", "vpdpbusd_ymm"}, {"avx2", "maddubs_ymm"}})
        r.push_back({std::string("W8A8 M=512 4096x4096 ") + tag + " / its peak (" + peak + ")", gemm + "w8a8_s32/" + tag + "/512x4096x4096/hot", "GOP/s",
                     std::string("peak/") + peak, "GOP/s", 1, 0});
    return r;
}

}  // namespace

int main(int argc, char** argv) {
    using native = lowbit::arch::native;
    for (std::int64_t m : {1, 8, 64, 512})
        for (auto [k, n] : {std::pair<std::int64_t, std::int64_t>{4096, 4096}, {4096, 11008}, {11008, 4096}}) {
            const shape s{m, k, n};
            for (bool cold : {false, true}) {
                register_s32<native>(s, cold, 1);
                register_onednn(s, cold, false, 1);
            }
            if (m == 1) register_s32<native>(s, false, 2);
            if (m == 1 || m >= 64) {
                register_s32<native>(s, m == 1, 2);
                register_onednn(s, m == 1, false, 2);
            }
            for (bool cold : {false, true}) {
                register_w4a8<native>(s, cold, 1);
                register_w4a8<native, 8>(s, cold, 1);
            }
            if (m == 1 || m >= 64) register_w4a8<native>(s, m == 1, 2);
            if (m <= 64) {
                for (bool cold : {false, true}) {
                    register_weight_only<native, true>(s, cold, 1);
                    register_weight_only<native, false>(s, cold, 1);
                }
                if (m == 1) register_weight_only<native, true>(s, true, 2);
            }
            benchmark::RegisterBenchmark(("gemm/w8a8_f32/" + std::string(native::name) + "/" + s.name() + "/hot").c_str(), bm_f32, s)
                ->Unit(benchmark::kMicrosecond)
                ->UseRealTime();
            register_onednn(s, false, true, 1);
            benchmark::RegisterBenchmark(("eigen/f32/" + s.name()).c_str(), lowbit_bench::bm_eigen, s)->Unit(benchmark::kMicrosecond)->UseRealTime();
        }
    // Larger shapes: a long prefill (A of 8 MiB, far past L2) and a K whose block of panels does not
    // fit L2, which blocking.hpp splits into passes (a 70B-class down projection).
    for (const shape s : {shape{2048, 4096, 4096}, shape{512, 28672, 4096}}) {
        register_s32<native>(s, false, 1);
        register_onednn(s, false, false, 1);
    }
#if defined(__AVX512VNNI__) && defined(__AVXVNNI__)
    register_other_tags<lowbit::arch::avx512bw, lowbit::arch::avx_vnni, lowbit::arch::avx2>();
#elif defined(__AVX512BW__)
    register_other_tags<lowbit::arch::avx2>();
#endif
#if defined(__AVX512VNNI__)
    benchmark::RegisterBenchmark("peak/vpdpbusd_zmm", bm_peak_vpdpbusd_zmm)->Unit(benchmark::kMillisecond)->UseRealTime();
#endif
#if defined(__AVXVNNI__)
    benchmark::RegisterBenchmark("peak/vpdpbusd_ymm", bm_peak_vpdpbusd_ymm)->Unit(benchmark::kMillisecond)->UseRealTime();
#endif
#if defined(__AVX512BW__)
    benchmark::RegisterBenchmark("peak/maddubs_zmm", bm_peak_maddubs_zmm)->Unit(benchmark::kMillisecond)->UseRealTime();
#endif
#if defined(__AVX2__)
    benchmark::RegisterBenchmark("peak/maddubs_ymm", bm_peak_maddubs_ymm)->Unit(benchmark::kMillisecond)->UseRealTime();
#endif
    benchmark::RegisterBenchmark("memory/read/512", lowbit_bench::bm_read, std::size_t{512}, 1)->Unit(benchmark::kMillisecond)->UseRealTime();
    benchmark::RegisterBenchmark("memory/read/512/threads:2", lowbit_bench::bm_read, std::size_t{512}, 2)->Unit(benchmark::kMillisecond)->UseRealTime();
    return lowbit_bench::run_benchmarks(argc, argv, target_ratios(native::name));
}
