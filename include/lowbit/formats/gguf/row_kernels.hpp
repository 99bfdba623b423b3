// lowbit/formats/gguf/row_kernels.hpp - which kernel quantizes / dequantizes rows of a GGUF type
// for an arch tag.
//
// quantize_row_range(Type, Arch, ...) has a generic overload for arch::scalar that runs the scalar
// reference row by row, and vector overloads for the types and tags that have one (vector_*.hpp).
// Overload resolution picks the most specific: an exact-tag template beats the conversion to
// arch::scalar. kernel_arch_t<Type, Arch> names the tag that really runs, so a test can catch a
// silent fallback.
#pragma once

#include <cstddef>
#include <cstdint>
#include <type_traits>

#include "lowbit/arch/tags.hpp"
#include "lowbit/formats/gguf/reference.hpp"
#include "lowbit/formats/gguf/vector_kquants.hpp"
#include "lowbit/formats/gguf/vector_legacy.hpp"
#include "lowbit/kernels/quantize_arch.hpp"

namespace lowbit::gguf::detail {

template <class Type>
void quantize_row_range(Type, arch::scalar, const float* src, std::int64_t rows, std::int64_t cols, std::byte* dst,
                        const float* importance) {
    for (std::int64_t r = 0; r < rows; ++r)
        reference::quantize_row(Type{}, src + r * cols, cols, dst + static_cast<std::size_t>(r) * Type::row_bytes(cols), importance);
}

template <class Type>
void dequantize_row_range(Type, arch::scalar, const std::byte* src, std::int64_t rows, std::int64_t cols, float* dst) {
    for (std::int64_t r = 0; r < rows; ++r)
        reference::dequantize_row(Type{}, src + static_cast<std::size_t>(r) * Type::row_bytes(cols), cols, dst + r * cols);
}

template <class Type>
constexpr arch::scalar kernel_arch(Type, arch::scalar) { return {}; }

// The vector kernels: one xsimd implementation serves every x86 tag (sse4_1, avx2, avx512bw; the
// VNNI tags use their base's), compiled in when the translation unit's flags enable the tag.
template <class Type>
inline constexpr bool is_vector_kquant = std::is_same_v<Type, q2_K> || std::is_same_v<Type, q3_K> || std::is_same_v<Type, q4_K>
                                         || std::is_same_v<Type, q5_K> || std::is_same_v<Type, q6_K>;
template <class Type>
inline constexpr bool is_vector_legacy = std::is_same_v<Type, q4_0> || std::is_same_v<Type, q8_0>;
template <class Type>
inline constexpr bool has_vector_quantizer = is_vector_kquant<Type> || is_vector_legacy<Type>;

template <class Arch>
constexpr bool vector_arch_compiled() {
    using impl = kernels::quantize_arch_t<Arch>;
    if constexpr (std::is_same_v<impl, arch::scalar>) return false;
    else return kernels::compiled_for<impl>();
}

// Batches per lane group of the scale searches: independent dependency chains for the core to
// overlap, without spilling registers. Measured on 64 x 4096 inputs: AVX-512 (32 registers) is
// fastest at 6 zmm per value for the 16-element sub-blocks (Q2_K, Q3_K, Q6_K; a group is 6
// super-blocks) and 4 for the 32-element ones (Q4_K, Q5_K; 8 super-blocks); AVX2 and SSE4.1
// (16 registers) at 2.
template <class Type, class XA>
inline constexpr int search_batches =
    !std::is_same_v<XA, xsimd::avx512bw> ? 2 : reference::detail::kquant_traits<Type>::sub == 16 ? 6 : 4;

template <class Type, class Arch>
inline constexpr bool vector_quantize_for = has_vector_quantizer<Type> && vector_arch_compiled<Arch>();

template <class Type, class Arch, std::enable_if_t<vector_quantize_for<Type, Arch>, int> = 0>
void quantize_row_range(Type, Arch, const float* src, std::int64_t rows, std::int64_t cols, std::byte* dst, const float* importance) {
    using XA = typename kernels::quantize_arch_t<Arch>::xsimd_arch;
    if constexpr (is_vector_kquant<Type>) {
        vector_kquant<Type, XA, search_batches<Type, XA>>::quantize_rows(src, rows, cols, dst, importance);
    } else if (importance) {  // the importance-weighted legacy search has no vector kernel (yet)
        quantize_row_range(Type{}, arch::scalar{}, src, rows, cols, dst, importance);
    } else if constexpr (std::is_same_v<Type, q8_0>) {
        vector_legacy<XA>::quantize_q8_0(src, rows * cols / 32, dst);
    } else {
        vector_legacy<XA>::quantize_q4_0(src, rows * cols / 32, dst);
    }
}

template <class Type, class Arch, std::enable_if_t<is_vector_legacy<Type> && vector_arch_compiled<Arch>(), int> = 0>
void dequantize_row_range(Type, Arch, const std::byte* src, std::int64_t rows, std::int64_t cols, float* dst) {
    using XA = typename kernels::quantize_arch_t<Arch>::xsimd_arch;
    if constexpr (std::is_same_v<Type, q8_0>)
        vector_legacy<XA>::dequantize_q8_0(src, rows * cols / 32, dst);
    else
        vector_legacy<XA>::dequantize_q4_0(src, rows * cols / 32, dst);
}

template <class Type, class Arch, std::enable_if_t<vector_quantize_for<Type, Arch>, int> = 0>
constexpr kernels::quantize_arch_t<Arch> kernel_arch(Type, Arch) { return {}; }

}  // namespace lowbit::gguf::detail

namespace lowbit::gguf {
template <class Type, class Arch>
using kernel_arch_t = decltype(detail::kernel_arch(Type{}, Arch{}));
}  // namespace lowbit::gguf
