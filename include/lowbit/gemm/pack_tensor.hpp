// lowbit/gemm/pack_tensor.hpp - a quantized_tensor packed for the integer kernels, losslessly.
//
//     const auto q = lowbit::quantize<lowbit::schemes::w4_g32_sym>({w, n, k});
//     const auto p = lowbit::gemm::pack_tensor(q);              // packed_s4<float>
//     lowbit::gemm::linear_a8(x, k, m, p, y, n);                // y = x w^T, activations int8 per row
//
// Rows of the tensor are output channels (n x k). Which schemes have a kernel (has_kernel_v):
//     int8, symmetric, per channel (axis 0)           -> packed_s8    (linear_w8a8, linear_weight_only)
//     8 bits per group of 32 / 64 / 128, symmetric    -> packed_s8g   (linear_a8)
//     4 bits per group of 32 / 64 / 128, symmetric     -> packed_s4    (linear_a8, linear_weight_only)
//       or affine (a zero point per group, on a signed or unsigned grid)
// Scales are decoded to f32 (exact for f16 and bf16 storage). Every other scheme (3 and 2 bits,
// per-tensor, per-channel 4 bits, ...) has no kernel yet and does not compile here.
#pragma once

#include <cstdint>
#include <type_traits>
#include <vector>

#include "lowbit/gemm/matmul.hpp"
#include "lowbit/gemm/matmul_grouped.hpp"
#include "lowbit/quant/quantized_tensor.hpp"

namespace lowbit::gemm {

namespace detail {
template <class G>
struct group_size_of : std::integral_constant<index_t, 0> {};
template <int G>
struct group_size_of<per_group<G>> : std::integral_constant<index_t, G> {};
}  // namespace detail

template <class Scheme>
struct has_kernel {
    static constexpr int bits = Scheme::bits::bits;
    static constexpr index_t group = detail::group_size_of<typename Scheme::granularity>::value;
    static constexpr bool per_channel_rows = std::is_same_v<typename Scheme::granularity, per_channel<0>>;
    static constexpr bool value = (bits == 8 && !Scheme::has_zero_point && (per_channel_rows || valid_weight_group(group))) ||
                                  (bits == 4 && valid_weight_group(group) && (Scheme::has_zero_point || Scheme::bits::is_signed));
};
template <class Scheme>
inline constexpr bool has_kernel_v = has_kernel<Scheme>::value;

template <class Scheme>
auto pack_tensor(const quantized_tensor<Scheme>& q) {
    static_assert(has_kernel_v<Scheme>, "pack_tensor: no integer kernel runs this scheme (see lowbit/gemm/pack_tensor.hpp)");
    using traits = has_kernel<Scheme>;
    const index_t n = q.rows(), k = q.cols();
    if (n < 1 || k < 1) lowbit::detail::fail("pack_tensor: the tensor is ", n, " x ", k, "; both must be at least 1");
    std::vector<float> scales(static_cast<std::size_t>(q.group_count()));
    for (index_t g = 0; g < q.group_count(); ++g) scales[static_cast<std::size_t>(g)] = q.scale(g);
    // Signed codes (symmetric, or affine on a signed grid) are offset to the unsigned ones the
    // grouped kernels take; an affine scheme's zero points move with them, code - zero unchanged.
    constexpr int offset = Scheme::bits::is_signed && traits::bits == 4 ? 8 : 0;
    std::vector<std::uint8_t> codes(static_cast<std::size_t>(n * k));
    for (index_t r = 0; r < n; ++r)
        for (index_t c = 0; c < k; ++c) codes[static_cast<std::size_t>(r * k + c)] = static_cast<std::uint8_t>(q.code(r, c) + offset);
    if constexpr (traits::bits == 8 && traits::per_channel_rows) {
        return pack_s8(reinterpret_cast<const std::int8_t*>(codes.data()), k, n, k, scales.data());
    } else if constexpr (traits::bits == 8) {
        return pack_s8g(reinterpret_cast<const std::int8_t*>(codes.data()), k, n, k, traits::group, scales.data());
    } else if constexpr (Scheme::has_zero_point) {
        std::vector<std::uint8_t> zero_points(scales.size());
        for (index_t g = 0; g < q.group_count(); ++g) zero_points[static_cast<std::size_t>(g)] = static_cast<std::uint8_t>(q.zero_point(g) + offset);
        return pack_s4(codes.data(), k, n, k, traits::group, scales.data(), zero_points.data());
    } else {
        return pack_s4(codes.data(), k, n, k, traits::group, scales.data());
    }
}

}  // namespace lowbit::gemm
