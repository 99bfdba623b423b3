// lowbit/formats/gguf/reference.hpp - the scalar specification of every GGUF block type, and its
// row-level entry points.
//
// reference::quantize_rows<T> / dequantize_rows<T> check their arguments (checks.hpp) and run the
// per-row codecs of reference_legacy.hpp, reference_kquants.hpp and reference_nonlinear.hpp, which
// are bit-exact with ggml (tests/data/ggml holds ggml's bytes). The vector paths of rows.hpp are
// tested against these.
#pragma once

#include <cstddef>
#include <cstdint>

#include "lowbit/formats/gguf/checks.hpp"
#include "lowbit/formats/gguf/reference_kquants.hpp"
#include "lowbit/formats/gguf/reference_legacy.hpp"
#include "lowbit/formats/gguf/reference_nonlinear.hpp"
#include "lowbit/formats/gguf/types.hpp"

namespace lowbit::gguf::reference {

// Quantizes `rows` rows of `cols` floats (row-major, contiguous) into rows x Type::row_bytes(cols)
// bytes at dst. `importance`, if given, holds `cols` non-negative weights (an imatrix row).
template <class Type>
void quantize_rows(const float* src, std::int64_t rows, std::int64_t cols, void* dst, std::size_t dst_bytes,
                   const float* importance = nullptr) {
    using namespace lowbit::gguf::detail;
    check_quantize_args<Type, arch::scalar>(src, rows, cols, dst, dst_bytes, importance, 1);
    auto* out = static_cast<std::byte*>(dst);
    for (std::int64_t r = 0; r < rows; ++r)
        quantize_row(Type{}, src + r * cols, cols, out + static_cast<std::size_t>(r) * Type::row_bytes(cols), importance);
}

template <class Type>
void dequantize_rows(const void* src, std::size_t src_bytes, std::int64_t rows, std::int64_t cols, float* dst,
                     std::size_t dst_count) {
    using namespace lowbit::gguf::detail;
    check_dequantize_args<Type>(src, src_bytes, rows, cols, dst, dst_count);
    const auto* in = static_cast<const std::byte*>(src);
    for (std::int64_t r = 0; r < rows; ++r)
        dequantize_row(Type{}, in + static_cast<std::size_t>(r) * Type::row_bytes(cols), cols, dst + r * cols);
}

}  // namespace lowbit::gguf::reference
