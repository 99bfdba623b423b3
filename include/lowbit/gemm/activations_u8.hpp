// lowbit/gemm/activations_u8.hpp - int8 activations for the int8 kernels, per row (per token).
//
// Every row m of X (M x K floats) gets a scale s[m] and an integer zero point z[m], and codes
//     q = clamp(round_half_even(X[m][k] / s[m]) + z[m], -127, 127),    X ~ s (q - z),
// stored shifted to unsigned for VPDPBUSD, u = q + 128 (1..255), with K padded to a multiple of 4
// by u = 128 (the packed weights are 0 there). Three ways to choose s and z:
//   quantize_activations         dynamic symmetric: s = max|X[m]| / 127, z = 0
//   quantize_activations_affine  dynamic affine: lo = min(0, min X[m]), hi = max(0, max X[m]),
//                                s = (hi - lo) / 254, z = clamp(round_half_even(-127 - lo / s), -127, 127)
//   quantize_activations_static  a calibrated s and z given by the caller, the same for every row
// A row whose s is 0 (all zeros, or too small to scale) gets q = z = 0. The codes stop at -127,
// not -128, so that the kernels without VNNI can negate them (kernel_s8_maddubs.hpp).
// The division and the rounding are exact IEEE operations that do not depend on the
// floating-point environment (policy/rounding.hpp): the vector path (Arch) gives the scalar
// path's bytes. The cost is O(M K), small next to the O(M K N) product.
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
    std::vector<std::uint8_t, xsimd::aligned_allocator<std::uint8_t, 64>> data;  // m rows of k4 bytes, each 1..255
    std::vector<float> scales;                                                   // s[m]
    std::vector<std::int32_t> zero_points;                                       // z[m]; empty when every z is 0
    // ggml's per-block activations (activations_gguf.hpp): a scale per `block` codes along K
    // (m x k / block, row-major), and the row scales all 1.
    std::int64_t block = 0;  // 0: per row
    std::vector<float> block_scales;

    const std::uint8_t* row(std::int64_t r) const { return data.data() + r * k4; }
};

namespace detail {

[[noreturn]] inline void fail_not_finite(const char* op, const float* row, std::int64_t r, std::int64_t k) {
    for (std::int64_t i = 0; i < k; ++i)
        if (!std::isfinite(row[i])) lowbit::detail::fail(op, ": input has ", row[i], " at row ", r, ", column ", i);
    lowbit::detail::fail(op, ": input row ", r, " is not finite");
}

struct row_range {
    float lo, hi;  // min and max of the row, or fails on NaN / Inf
};

// The result does not depend on the order of comparisons (no NaN can take part).
template <class Arch>
row_range find_row_range(const char* op, const float* row, std::int64_t r, std::int64_t k, Arch) {
    float lo = row[0], hi = row[0];
    std::int64_t i = 0;
    if constexpr (std::is_base_of_v<arch::sse4_1, Arch>) {
        using batch = xsimd::batch<float, typename Arch::xsimd_arch>;
        constexpr auto w = static_cast<std::int64_t>(batch::size);
        if (k >= w) {
            batch bl = batch::load_unaligned(row), bh = bl, nan(0.f);
            for (; i + w <= k; i += w) {
                const batch v = batch::load_unaligned(row + i);
                bl = xsimd::min(bl, v);
                bh = xsimd::max(bh, v);
                nan += v - v;  // NaN once any lane was NaN or infinite
            }
            if (xsimd::any(xsimd::isnan(nan))) fail_not_finite(op, row, r, k);
            lo = kernels::reduce_min(bl);
            hi = kernels::reduce_max(bh);
        }
    }
    for (; i < k; ++i) {
        if (!std::isfinite(row[i])) fail_not_finite(op, row, r, k);
        lo = std::fmin(lo, row[i]);
        hi = std::fmax(hi, row[i]);
    }
    return {lo, hi};
}

// u = clamp(round_half_even(x / s) + z, -127, 127) + 128 for one row; s > 0, |z| <= 127.
template <class Arch>
void encode_row(const float* row, std::int64_t k, float s, std::int32_t z, std::uint8_t* u) {
    const auto zf = static_cast<float>(z);
    std::int64_t i = 0;
    if constexpr (std::is_base_of_v<arch::sse4_1, Arch>) {
        using XA = typename Arch::xsimd_arch;
        using batch = xsimd::batch<float, XA>;
        constexpr auto w = static_cast<std::int64_t>(batch::size);
        for (; i + w <= k; i += w) {
            const batch q = round_nearest_even::apply(batch::load_unaligned(row + i) / batch(s)) + batch(zf);
            kernels::store_low_bytes(xsimd::batch_cast<std::int32_t>(xsimd::min(batch(127.f), xsimd::max(batch(-127.f), q))) + xsimd::batch<std::int32_t, XA>(128), u + i);
        }
    }
    for (; i < k; ++i) {
        const float q = std::fmin(127.f, std::fmax(-127.f, round_nearest_even::apply(row[i] / s) + zf));
        u[i] = static_cast<std::uint8_t>(static_cast<int>(q) + 128);
    }
}

inline void check_activation_args(const char* op, const float* x, std::int64_t ldx, std::int64_t m, std::int64_t k) {
    if (m < 1 || k < 1) lowbit::detail::fail(op, ": the activations are ", m, " x ", k, "; both must be at least 1");
    if (ldx < k) lowbit::detail::fail(op, ": row stride ", ldx, " is less than k = ", k);
    if (x == nullptr) lowbit::detail::fail(op, ": the activations are null");
}

inline void reset(activations_u8& out, std::int64_t m, std::int64_t k, bool zero_points) {
    out.m = m;
    out.k = k;
    out.k4 = (k + 3) / 4 * 4;
    out.data.assign(static_cast<std::size_t>(m * out.k4), 128);
    out.scales.assign(static_cast<std::size_t>(m), 0.f);
    out.zero_points.assign(zero_points ? static_cast<std::size_t>(m) : 0, 0);
    out.block = 0;
    out.block_scales.clear();
}

struct row_parameters {
    float scale;       // 0: the row stays q = 0
    std::int32_t zero_point;
};

// The loop every mode shares: per row, its range (which also rejects NaN / Inf), the parameters
// `choose(range, r)` derives from it, and the codes.
template <class Arch, class Choose>
void quantize_rows(const char* op, const float* x, std::int64_t ldx, std::int64_t m, std::int64_t k, bool zero_points, activations_u8& out,
                   Choose&& choose) {
    check_activation_args(op, x, ldx, m, k);
    reset(out, m, k, zero_points);
    for (std::int64_t r = 0; r < m; ++r) {
        const float* row = x + r * ldx;
        const row_parameters p = choose(find_row_range(op, row, r, k, Arch{}), r);
        if (p.scale == 0.f) continue;  // a subnormal max / 127 can be 0
        out.scales[static_cast<std::size_t>(r)] = p.scale;
        if (zero_points) out.zero_points[static_cast<std::size_t>(r)] = p.zero_point;
        encode_row<Arch>(row, k, p.scale, p.zero_point, out.data.data() + r * out.k4);
    }
}

}  // namespace detail

// Dynamic symmetric: s[m] = max |X[m]| / 127, z = 0.
template <class Arch = arch::native>
void quantize_activations(const float* x, std::int64_t ldx, std::int64_t m, std::int64_t k, activations_u8& out) {
    detail::quantize_rows<Arch>("quantize_activations", x, ldx, m, k, false, out, [](detail::row_range range, std::int64_t) {
        return detail::row_parameters{std::fmax(std::fabs(range.lo), std::fabs(range.hi)) / 127.f, 0};
    });
}

// Dynamic affine: the row's range, widened to hold 0, spread over the 255 codes.
template <class Arch = arch::native>
void quantize_activations_affine(const float* x, std::int64_t ldx, std::int64_t m, std::int64_t k, activations_u8& out) {
    detail::quantize_rows<Arch>("quantize_activations_affine", x, ldx, m, k, true, out, [](detail::row_range range, std::int64_t r) {
        const float lo = std::fmin(range.lo, 0.f), hi = std::fmax(range.hi, 0.f);
        const float s = (hi - lo) / 254.f;  // hi - lo may round up to infinity only beyond 1.7e38
        if (!std::isfinite(s)) lowbit::detail::fail("quantize_activations_affine: the range of row ", r, " [", lo, ", ", hi, "] is too wide for a float scale");
        if (s == 0.f) return detail::row_parameters{0.f, 0};
        const float z = std::fmin(127.f, std::fmax(-127.f, round_nearest_even::apply(-127.f - lo / s)));
        return detail::row_parameters{s, static_cast<std::int32_t>(z)};
    });
}

// Static: a calibrated scale s > 0 and zero point z in [-127, 127], the same for every row.
template <class Arch = arch::native>
void quantize_activations_static(const float* x, std::int64_t ldx, std::int64_t m, std::int64_t k, float scale, std::int32_t zero_point,
                                 activations_u8& out) {
    if (!(scale > 0.f) || !std::isfinite(scale)) lowbit::detail::fail("quantize_activations_static: scale ", scale, " is not finite and > 0");
    if (zero_point < -127 || zero_point > 127) lowbit::detail::fail("quantize_activations_static: zero point ", zero_point, " is outside [-127, 127]");
    detail::quantize_rows<Arch>("quantize_activations_static", x, ldx, m, k, zero_point != 0, out,
                                [&](detail::row_range, std::int64_t) { return detail::row_parameters{scale, zero_point}; });
}

}  // namespace lowbit::gemm
