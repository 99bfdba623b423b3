// What lowbit-explore says about the machine: the CPU, its features, the arch tag the kernels were
// compiled for, and peaks measured by short probes (one thread each):
//   int8 dot   the widest int8 multiply-add this build can issue (VPDPBUSD zmm, VEX VPDPBUSD ymm,
//              or the VPMADDUBSW + VPMADDWD + VPADDD triple), independent chains, in GOP/s
//              (2 operations per multiply-add);
//   f32 FMA    VFMADD231PS on the widest registers, independent chains, in GFLOP/s;
//   DRAM read  a vector sum over 512 MiB (or what the caller asks), in GB/s (1e9 bytes); L3 read:
//              the same over 16 MiB, read again and again, the roof of weights that stay in cache.
// Each probe is the median of 5 runs. The chains are written in assembly: g++ 12 would copy
// intrinsic accumulators between registers every iteration and measure the copies.
#pragma once

#include <cstdint>
#include <fstream>
#include <string>
#include <vector>

#include <xsimd/xsimd.hpp>

#include "lowbit/arch/cpu_features.hpp"
#include "lowbit/arch/native.hpp"
#include "../text.hpp"
#include "timing.hpp"

namespace lowbit::explore {

struct machine {
    std::string cpu, features, arch_tag;
    std::string int8_instruction, f32_instruction;  // empty: not measured on this build
    rate int8_gops, f32_gflops, dram_gbps, l3_gbps;
    std::size_t dram_probe_mib = 0, l3_probe_mib = 0;
    std::uint64_t l3_cache_bytes = 0;  // 0: unknown
};

inline std::string cpu_model() {
    std::ifstream in("/proc/cpuinfo");
    std::string line;
    while (std::getline(in, line))
        if (line.rfind("model name", 0) == 0) {
            const auto colon = line.find(':');
            if (colon != std::string::npos) return line.substr(line.find_first_not_of(' ', colon + 1));
        }
    return "unknown CPU";
}

// The size of the L3 cache CPU 0 sees, from Linux's sysfs; 0 when it cannot be read.
inline std::uint64_t l3_cache_bytes() {
    for (int index = 0; index < 8; ++index) {
        const std::string dir = "/sys/devices/system/cpu/cpu0/cache/index" + std::to_string(index) + "/";
        int level = 0;
        std::string size;
        if (!(std::ifstream(dir + "level") >> level) || level != 3 || !(std::ifstream(dir + "size") >> size)) continue;
        std::size_t digits = 0;
        while (digits < size.size() && size[digits] >= '0' && size[digits] <= '9') ++digits;
        if (digits == 0 || digits > 12) return 0;
        const std::uint64_t n = std::stoull(size.substr(0, digits));
        const std::string unit = size.substr(digits);
        return unit == "K" ? n << 10 : unit == "M" ? n << 20 : unit.empty() ? n : 0;
    }
    return 0;
}

inline std::string cpu_feature_list() {
    const arch::cpu_features& f = arch::cpu();
    std::string s;
    const auto add = [&](bool has, const char* name) {
        if (has) s += (s.empty() ? "" : " ") + std::string(name);
    };
    add(f.sse4_2, "sse4.2");
    add(f.avx2, "avx2");
    add(f.fma, "fma");
    add(f.f16c, "f16c");
    add(f.avx_vnni, "avx-vnni");
    add(f.avx512f, "avx512f");
    add(f.avx512bw, "avx512bw");
    add(f.avx512vl, "avx512vl");
    add(f.avx512_vnni, "avx512-vnni");
    add(f.avx512_bf16, "avx512-bf16");
    add(f.neon, "neon");
    return s.empty() ? "none of the SIMD features lowbit uses" : s;
}

namespace detail {

// n: a multiple of 8 vectors (the probes read whole MiB).
inline float read_sum(const float* x, std::int64_t n) {
    using batch = xsimd::batch<float>;
    constexpr auto w = static_cast<std::int64_t>(batch::size);
    batch a0(0.f), a1(0.f), a2(0.f), a3(0.f), a4(0.f), a5(0.f), a6(0.f), a7(0.f);
    for (std::int64_t i = 0; i + 8 * w <= n; i += 8 * w) {
        a0 += batch::load_unaligned(x + i);
        a1 += batch::load_unaligned(x + i + w);
        a2 += batch::load_unaligned(x + i + 2 * w);
        a3 += batch::load_unaligned(x + i + 3 * w);
        a4 += batch::load_unaligned(x + i + 4 * w);
        a5 += batch::load_unaligned(x + i + 5 * w);
        a6 += batch::load_unaligned(x + i + 6 * w);
        a7 += batch::load_unaligned(x + i + 7 * w);
    }
    return xsimd::hadd(((a0 + a1) + (a2 + a3)) + ((a4 + a5) + (a6 + a7)));
}


// The probes run their loop inside one asm statement: registers are zeroed first (an instruction
// would otherwise start from whatever the compiler left there, denormals included), then the loop
// issues 12 independent multiply-adds per iteration into 12 accumulators.
#define LOWBIT_EXPLORE_CHAINS(op) op(2) op(3) op(4) op(5) op(6) op(7) op(8) op(9) op(10) op(11) op(12) op(13)
#define LOWBIT_EXPLORE_ZERO(r) "vpxor %%xmm" #r ", %%xmm" #r ", %%xmm" #r "\n\t"
#define LOWBIT_EXPLORE_LOOP(op, n)                                                                  \
    asm volatile(LOWBIT_EXPLORE_ZERO(0) LOWBIT_EXPLORE_ZERO(1) LOWBIT_EXPLORE_ZERO(14) LOWBIT_EXPLORE_ZERO(15) \
                 LOWBIT_EXPLORE_CHAINS(LOWBIT_EXPLORE_ZERO) "1:\n\t" LOWBIT_EXPLORE_CHAINS(op) "dec %0\n\tjnz 1b" \
                 : "+r"(n)                                                                                \
                 :                                                                                        \
                 : "cc", "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9",  \
                   "xmm10", "xmm11", "xmm12", "xmm13", "xmm14", "xmm15")

// `ops` operations per iteration of loop(n), which runs n iterations.
template <class Loop>
rate instruction_probe(double ops, Loop loop) {
    constexpr long iterations = 1 << 16;
    const timing t = time_runs(5, [&](int) { loop(iterations); });
    return rate_of(ops * iterations * 1e-9, t);
}

inline void int8_peak(machine& m) {
#if defined(__AVX512VNNI__)
#define LOWBIT_EXPLORE_OP(r) "vpdpbusd %%zmm0, %%zmm1, %%zmm" #r "\n\t"
    m.int8_instruction = "VPDPBUSD zmm";
    m.int8_gops = instruction_probe(12 * 64 * 2, [](long n) { LOWBIT_EXPLORE_LOOP(LOWBIT_EXPLORE_OP, n); });
#undef LOWBIT_EXPLORE_OP
#elif defined(__AVXVNNI__)
#define LOWBIT_EXPLORE_OP(r) "%{vex%} vpdpbusd %%ymm0, %%ymm1, %%ymm" #r "\n\t"
    m.int8_instruction = "VPDPBUSD ymm (VEX)";
    m.int8_gops = instruction_probe(12 * 32 * 2, [](long n) { LOWBIT_EXPLORE_LOOP(LOWBIT_EXPLORE_OP, n); });
#undef LOWBIT_EXPLORE_OP
#elif defined(__AVX2__)
#define LOWBIT_EXPLORE_OP(r) "vpmaddubsw %%ymm0, %%ymm1, %%ymm14\n\tvpmaddwd %%ymm15, %%ymm14, %%ymm14\n\tvpaddd %%ymm14, %%ymm" #r ", %%ymm" #r "\n\t"
    m.int8_instruction = "VPMADDUBSW + VPMADDWD + VPADDD ymm";
    m.int8_gops = instruction_probe(12 * 32 * 2, [](long n) { LOWBIT_EXPLORE_LOOP(LOWBIT_EXPLORE_OP, n); });
#undef LOWBIT_EXPLORE_OP
#else
    (void)m;
#endif
}

inline void f32_peak(machine& m) {
#if defined(__AVX512F__)
#define LOWBIT_EXPLORE_OP(r) "vfmadd231ps %%zmm0, %%zmm1, %%zmm" #r "\n\t"
    m.f32_instruction = "VFMADD231PS zmm";
    m.f32_gflops = instruction_probe(12 * 16 * 2, [](long n) { LOWBIT_EXPLORE_LOOP(LOWBIT_EXPLORE_OP, n); });
#undef LOWBIT_EXPLORE_OP
#elif defined(__FMA__)
#define LOWBIT_EXPLORE_OP(r) "vfmadd231ps %%ymm0, %%ymm1, %%ymm" #r "\n\t"
    m.f32_instruction = "VFMADD231PS ymm";
    m.f32_gflops = instruction_probe(12 * 8 * 2, [](long n) { LOWBIT_EXPLORE_LOOP(LOWBIT_EXPLORE_OP, n); });
#undef LOWBIT_EXPLORE_OP
#else
    (void)m;
#endif
}

#undef LOWBIT_EXPLORE_LOOP
#undef LOWBIT_EXPLORE_ZERO
#undef LOWBIT_EXPLORE_CHAINS

}  // namespace detail

// A streaming read of `mib` MiB, `passes` times per run; `measure(runs)` is the median rate in
// GB/s with its spread. The buffer lives as long as the probe, so it can be measured again beside
// each kernel measurement: this machine's bandwidth drifts by a fifth between minutes.
class read_probe {
public:
    read_probe(std::size_t mib, int passes) : x_((mib << 20) / sizeof(float), 1.f), passes_(passes) {
        sink_ = detail::read_sum(x_.data(), static_cast<std::int64_t>(x_.size()));  // first touch
    }
    rate measure(int runs) {
        const timing t = time_runs(runs, [&](int) {
            for (int p = 0; p < passes_; ++p) sink_ = detail::read_sum(x_.data(), static_cast<std::int64_t>(x_.size()));
        });
        return rate_of(static_cast<double>(x_.size() * sizeof(float)) * passes_ * 1e-9, t);
    }
    std::size_t mib() const { return (x_.size() * sizeof(float)) >> 20; }

private:
    std::vector<float> x_;
    int passes_;
    volatile float sink_ = 0;
};

// The DRAM and L3 read probes.
struct read_probes {
    static constexpr std::size_t l3_mib = 16;
    read_probe dram, l3;
    explicit read_probes(std::size_t dram_mib) : dram(dram_mib, 1), l3(l3_mib, 8) {}
};

inline machine probe_machine(read_probes& probes) {
    machine m;
    m.dram_probe_mib = probes.dram.mib();
    m.l3_probe_mib = probes.l3.mib();
    m.cpu = tools::clean_text(cpu_model());
    m.l3_cache_bytes = l3_cache_bytes();
    m.features = cpu_feature_list();
    m.arch_tag = arch::native::name;
    detail::int8_peak(m);
    detail::f32_peak(m);
    m.dram_gbps = probes.dram.measure(5);
    m.l3_gbps = probes.l3.measure(5);
    return m;
}

}  // namespace lowbit::explore
