// lowbit/arch/cpu_features.hpp - what the CPU this process runs on can execute.
//
// cpu() queries CPUID (and XGETBV, so that AVX and AVX-512 count only when the operating system
// saves their registers) once, on first use, into a constant it then only reads: a pure query,
// thread-safe through the function-local static, with no state anyone can change.
// supports<Tag>(f) says whether a tag's kernels may run: the tag's instructions plus those that
// the flags its translation unit is meant to be built with enable (x86-64-v3 for avx2,
// x86-64-v4 for avx512bw).
#pragma once

#include <type_traits>

#include "lowbit/arch/tags.hpp"

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

namespace lowbit::arch {

struct cpu_features {
    bool sse4_1 = false, sse4_2 = false, popcnt = false;
    bool avx = false, avx2 = false, fma = false, f16c = false, bmi1 = false, bmi2 = false, movbe = false;
    bool avx512f = false, avx512bw = false, avx512dq = false, avx512cd = false, avx512vl = false;
    bool avx512_vnni = false, avx_vnni = false, avx512_bf16 = false;
    bool neon = false;
};

namespace detail {

#if defined(__x86_64__) || defined(__i386__)
inline unsigned long long xgetbv0() {
    unsigned eax, edx;
    __asm__ volatile("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
    return (static_cast<unsigned long long>(edx) << 32) | eax;
}

inline cpu_features query_cpu() {
    cpu_features f;
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return f;
    f.sse4_1 = c & (1u << 19);
    f.sse4_2 = c & (1u << 20);
    f.popcnt = c & (1u << 23);
    f.movbe = c & (1u << 22);
    const bool osxsave = c & (1u << 27);
    const unsigned long long xcr0 = osxsave ? xgetbv0() : 0;
    const bool os_avx = (xcr0 & 0x6) == 0x6;          // XMM and YMM state
    const bool os_avx512 = (xcr0 & 0xe6) == 0xe6;     // and opmask, ZMM_Hi256, Hi16_ZMM state
    f.avx = os_avx && (c & (1u << 28));
    f.fma = f.avx && (c & (1u << 12));
    f.f16c = f.avx && (c & (1u << 29));
    if (__get_cpuid_count(7, 0, &a, &b, &c, &d)) {
        f.bmi1 = b & (1u << 3);
        f.avx2 = f.avx && (b & (1u << 5));
        f.bmi2 = b & (1u << 8);
        f.avx512f = os_avx512 && (b & (1u << 16));
        f.avx512dq = f.avx512f && (b & (1u << 17));
        f.avx512cd = f.avx512f && (b & (1u << 28));
        f.avx512bw = f.avx512f && (b & (1u << 30));
        f.avx512vl = f.avx512f && (b & (1u << 31));
        f.avx512_vnni = f.avx512f && (c & (1u << 11));
    }
    if (__get_cpuid_count(7, 1, &a, &b, &c, &d)) {
        f.avx_vnni = f.avx2 && (a & (1u << 4));
        f.avx512_bf16 = f.avx512f && (a & (1u << 5));
    }
    return f;
}
#elif defined(__aarch64__)
inline cpu_features query_cpu() {
    cpu_features f;
    f.neon = true;  // Advanced SIMD is mandatory on AArch64
    return f;
}
#else
inline cpu_features query_cpu() { return {}; }
#endif

}  // namespace detail

inline const cpu_features& cpu() {
    static const cpu_features features = detail::query_cpu();
    return features;
}

template <class Tag>
bool supports(const cpu_features& f) {
    const bool v3 = f.avx2 && f.fma && f.f16c && f.bmi1 && f.bmi2 && f.movbe && f.sse4_2 && f.popcnt;
    const bool v4 = v3 && f.avx512f && f.avx512bw && f.avx512dq && f.avx512cd && f.avx512vl;
    if constexpr (std::is_same_v<Tag, scalar>) return true;
    else if constexpr (std::is_same_v<Tag, sse4_1>) return f.sse4_1;
    else if constexpr (std::is_same_v<Tag, avx2>) return v3;
    else if constexpr (std::is_same_v<Tag, avx_vnni>) return v3 && f.avx_vnni;
    else if constexpr (std::is_same_v<Tag, avx512bw>) return v4;
    else if constexpr (std::is_same_v<Tag, avx512_vnni>) return v4 && f.avx512_vnni;
    else if constexpr (std::is_same_v<Tag, neon64>) return f.neon;
    else static_assert(!sizeof(Tag), "supports<Tag>: not a lowbit arch tag");
}

}  // namespace lowbit::arch
