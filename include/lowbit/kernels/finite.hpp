// lowbit/kernels/finite.hpp - are all of n floats finite? The input check every quantizer runs
// before it writes a byte, so it must run at memory speed: the largest |x| bit pattern is folded
// with integer max (four independent accumulators) and compared with +Inf's pattern once.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <type_traits>

#include <xsimd/xsimd.hpp>

#include "lowbit/arch/tags.hpp"
#include "lowbit/kernels/quantize_arch.hpp"

namespace lowbit::kernels {

inline bool all_finite(const float* x, std::int64_t n, arch::scalar) {
    std::uint32_t m = 0;
    for (std::int64_t i = 0; i < n; ++i) {
        std::uint32_t bits;
        std::memcpy(&bits, x + i, sizeof bits);
        m = std::max(m, bits & 0x7fffffffu);
    }
    return m < 0x7f800000u;
}

template <class Arch, std::enable_if_t<!std::is_same_v<quantize_arch_t<Arch>, arch::scalar>, int> = 0>
bool all_finite(const float* x, std::int64_t n, Arch) {
    using XA = typename quantize_arch_t<Arch>::xsimd_arch;
    if constexpr (!XA::supported()) {
        return all_finite(x, n, arch::scalar{});
    } else {
        using I = xsimd::batch<std::int32_t, XA>;
        constexpr std::int64_t W = I::size;
        const I magnitude(0x7fffffff);
        I m0(0), m1(0), m2(0), m3(0);
        std::int64_t i = 0;
        for (; i + 4 * W <= n; i += 4 * W) {
            const auto* p = reinterpret_cast<const std::int32_t*>(x + i);
            m0 = xsimd::max(m0, I::load_unaligned(p) & magnitude);
            m1 = xsimd::max(m1, I::load_unaligned(p + W) & magnitude);
            m2 = xsimd::max(m2, I::load_unaligned(p + 2 * W) & magnitude);
            m3 = xsimd::max(m3, I::load_unaligned(p + 3 * W) & magnitude);
        }
        const I m = xsimd::max(xsimd::max(m0, m1), xsimd::max(m2, m3));
        return !xsimd::any(m >= I(0x7f800000)) && all_finite(x + i, n - i, arch::scalar{});
    }
}

}  // namespace lowbit::kernels
