// lowbit/gemm/activations_u8.hpp - per-row (per-token) int8 activations for the int8 kernels.
//
// Dynamic symmetric quantization of each row m of X (M x K floats):
//     s[m] = max_k |X[m][k]| / 127                        (0 for a row of zeros)
//     q    = clamp(round_half_even(X[m][k] / s[m]), -127, 127)   (0 when s[m] == 0)
// stored shifted to unsigned for VPDPBUSD, u = q + 128, with K padded to a multiple of 4 by
// u = 128 (q = 0). The division and the rounding are exact IEEE operations, so every
// implementation gives the same bytes; rounding does not depend on the floating-point
// environment (policy/rounding.hpp), so the vector path (Arch) gives the scalar path's bytes. The
// cost is O(M K), small next to the O(M K N) product.
#pragma once

#include <cmath>
#include <cstdint>
#include <type_traits>
#include <vector>

#include <xsimd/xsimd.hpp>

#include "lowbit/arch/native.hpp"
#include "lowbit/core/error.hpp"
#include "lowbit/kernels/simd_ops.hpp"
#include "lowbit/policy/rounding.hpp"

namespace lowbit::gemm {

struct activations_u8 {
    std::int64_t m = 0, k = 0, k4 = 0;
    std::vector<std::uint8_t, xsimd::aligned_allocator<std::uint8_t, 64>> data;  // m rows of k4 bytes
    std::vector<float> scales;                                                   // s[m]

    const std::uint8_t* row(std::int64_t r) const { return data.data() + r * k4; }
};

namespace detail {

[[noreturn]] inline void fail_not_finite(const float* row, std::int64_t r, std::int64_t k) {
    for (std::int64_t i = 0; i < k; ++i)
        if (!std::isfinite(row[i])) lowbit::detail::fail("quantize_activations: input has ", row[i], " at row ", r, ", column ", i);
    lowbit::detail::fail("quantize_activations: input row ", r, " is not finite");
}

// max |row[i]|, or fails on NaN / Inf. The maximum does not depend on the order of comparisons.
template <class Arch>
float row_absmax(const float* row, std::int64_t r, std::int64_t k, Arch) {
    float amax = 0.f;
    std::int64_t i = 0;
    if constexpr (std::is_base_of_v<arch::sse4_1, Arch>) {
        using batch = xsimd::batch<float, typename Arch::xsimd_arch>;
        constexpr auto w = static_cast<std::int64_t>(batch::size);
        batch m(0.f), nan(0.f);
        for (; i + w <= k; i += w) {
            const batch v = batch::load_unaligned(row + i);
            m = xsimd::max(m, xsimd::abs(v));
            nan += v - v;  // NaN once any lane was NaN or infinite
        }
        if (xsimd::any(xsimd::isnan(nan))) fail_not_finite(row, r, k);
        amax = kernels::reduce_max(m);
    }
    for (; i < k; ++i) {
        if (!std::isfinite(row[i])) fail_not_finite(row, r, k);
        amax = std::fmax(amax, std::fabs(row[i]));
    }
    return amax;
}

}  // namespace detail

template <class Arch = arch::native>
void quantize_activations(const float* x, std::int64_t ldx, std::int64_t m, std::int64_t k, activations_u8& out) {
    if (m < 1 || k < 1) lowbit::detail::fail("quantize_activations: the activations are ", m, " x ", k, "; both must be at least 1");
    if (ldx < k) lowbit::detail::fail("quantize_activations: row stride ", ldx, " is less than k = ", k);
    if (x == nullptr) lowbit::detail::fail("quantize_activations: the activations are null");
    out.m = m;
    out.k = k;
    out.k4 = (k + 3) / 4 * 4;
    out.data.assign(static_cast<std::size_t>(m * out.k4), 128);
    out.scales.assign(static_cast<std::size_t>(m), 0.f);
    for (std::int64_t r = 0; r < m; ++r) {
        const float* row = x + r * ldx;
        const float s = detail::row_absmax(row, r, k, Arch{}) / 127.f;
        out.scales[static_cast<std::size_t>(r)] = s;
        if (s == 0.f) continue;  // subnormal amax / 127 can be 0 too: the row stays q = 0
        std::uint8_t* u = out.data.data() + r * out.k4;
        std::int64_t i = 0;
        if constexpr (std::is_base_of_v<arch::sse4_1, Arch>) {
            using XA = typename Arch::xsimd_arch;
            using batch = xsimd::batch<float, XA>;
            constexpr auto w = static_cast<std::int64_t>(batch::size);
            for (; i + w <= k; i += w) {
                const batch q = xsimd::min(batch(127.f), xsimd::max(batch(-127.f), round_nearest_even::apply(batch::load_unaligned(row + i) / batch(s))));
                kernels::store_low_bytes(xsimd::batch_cast<std::int32_t>(q) + xsimd::batch<std::int32_t, XA>(128), u + i);
            }
        }
        for (; i < k; ++i) {
            const float q = std::fmin(127.f, std::fmax(-127.f, round_nearest_even::apply(row[i] / s)));
            u[i] = static_cast<std::uint8_t>(static_cast<int>(q) + 128);
        }
    }
}

}  // namespace lowbit::gemm
