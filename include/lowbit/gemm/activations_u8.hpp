// lowbit/gemm/activations_u8.hpp - per-row (per-token) int8 activations for the int8 kernels.
//
// Dynamic symmetric quantization of each row m of X (M x K floats):
//     s[m] = max_k |X[m][k]| / 127                        (0 for a row of zeros)
//     q    = clamp(round_half_even(X[m][k] / s[m]), -127, 127)   (0 when s[m] == 0)
// stored shifted to unsigned for VPDPBUSD, u = q + 128, with K padded to a multiple of 4 by
// u = 128 (q = 0). The division and the rounding are exact IEEE operations, so every
// implementation gives the same bytes; rounding does not depend on the floating-point
// environment (policy/rounding.hpp). The cost is O(M K), negligible next to the O(M K N) product.
#pragma once

#include <cmath>
#include <cstdint>
#include <vector>

#include <xsimd/xsimd.hpp>

#include "lowbit/core/error.hpp"
#include "lowbit/policy/rounding.hpp"

namespace lowbit::gemm {

struct activations_u8 {
    std::int64_t m = 0, k = 0, k4 = 0;
    std::vector<std::uint8_t, xsimd::aligned_allocator<std::uint8_t, 64>> data;  // m rows of k4 bytes
    std::vector<float> scales;                                                   // s[m]

    const std::uint8_t* row(std::int64_t r) const { return data.data() + r * k4; }
};

inline void quantize_activations(const float* x, std::int64_t ldx, std::int64_t m, std::int64_t k, activations_u8& out) {
    if (m < 1 || k < 1) detail::fail("quantize_activations: the activations are ", m, " x ", k, "; both must be at least 1");
    if (ldx < k) detail::fail("quantize_activations: row stride ", ldx, " is less than k = ", k);
    if (x == nullptr) detail::fail("quantize_activations: the activations are null");
    out.m = m;
    out.k = k;
    out.k4 = (k + 3) / 4 * 4;
    out.data.assign(static_cast<std::size_t>(m * out.k4), 128);
    out.scales.assign(static_cast<std::size_t>(m), 0.f);
    for (std::int64_t r = 0; r < m; ++r) {
        const float* row = x + r * ldx;
        float amax = 0.f;
        for (std::int64_t i = 0; i < k; ++i) {
            if (!std::isfinite(row[i])) detail::fail("quantize_activations: input has ", row[i], " at row ", r, ", column ", i);
            amax = std::fmax(amax, std::fabs(row[i]));
        }
        const float s = amax / 127.f;
        out.scales[static_cast<std::size_t>(r)] = s;
        if (s == 0.f) continue;  // subnormal amax / 127 can be 0 too: the row stays q = 0
        std::uint8_t* u = out.data.data() + r * out.k4;
        for (std::int64_t i = 0; i < k; ++i) {
            const float q = std::fmin(127.f, std::fmax(-127.f, round_nearest_even::apply(row[i] / s)));
            u[i] = static_cast<std::uint8_t>(static_cast<int>(q) + 128);
        }
    }
}

}  // namespace lowbit::gemm
