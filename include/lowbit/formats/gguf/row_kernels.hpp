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

#include "lowbit/arch/tags.hpp"
#include "lowbit/formats/gguf/reference.hpp"

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

}  // namespace lowbit::gguf::detail

namespace lowbit::gguf {
template <class Type, class Arch>
using kernel_arch_t = decltype(detail::kernel_arch(Type{}, Arch{}));
}  // namespace lowbit::gguf
