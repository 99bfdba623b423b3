// lowbit/formats/gguf/checks.hpp - argument checks of the GGUF row API.
//
// Everything is checked before the first byte is written: shapes (cols a multiple of the block
// size, sizes that fit in memory), buffer sizes, null pointers, NaN / Inf anywhere in the input,
// and importance weights (finite, non-negative, only for types that have an imatrix quantizer).
// ggml guards none of these.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>

#include "lowbit/arch/tags.hpp"
#include "lowbit/core/error.hpp"
#include "lowbit/core/parallel.hpp"
#include "lowbit/kernels/finite.hpp"

namespace lowbit::gguf::detail {

template <class Type>
inline void check_shape(const char* op, std::int64_t rows, std::int64_t cols) {
    if (rows < 0) lowbit::detail::fail("gguf ", Type::name, " ", op, ": rows = ", rows, " is negative");
    if (cols < 0) lowbit::detail::fail("gguf ", Type::name, " ", op, ": cols = ", cols, " is negative");
    if (cols % Type::block_size != 0)
        lowbit::detail::fail("gguf ", Type::name, " ", op, ": cols = ", cols, " is not a multiple of the block size ",
                             Type::block_size);
    constexpr auto max_elements = static_cast<std::int64_t>(std::numeric_limits<std::ptrdiff_t>::max() / sizeof(float));
    if (cols != 0 && rows > max_elements / cols)
        lowbit::detail::fail("gguf ", Type::name, " ", op, ": ", rows, " x ", cols, " elements do not fit in memory");
}

template <class Type>
inline std::size_t required_bytes(std::int64_t rows, std::int64_t cols) {
    return static_cast<std::size_t>(rows) * Type::row_bytes(cols);
}

template <class Type>
inline void check_buffer(const char* op, const char* what, const void* p, std::size_t have, std::size_t need, const char* unit) {
    if (need == 0) return;
    if (p == nullptr) lowbit::detail::fail("gguf ", Type::name, " ", op, ": ", what, " is null");
    if (have < need)
        lowbit::detail::fail("gguf ", Type::name, " ", op, ": ", what, " holds ", have, " ", unit, ", the rows need ", need);
}

template <class Type>
inline void check_not_null(const char* op, const char* what, const void* p, std::int64_t elements) {
    if (elements != 0 && p == nullptr) lowbit::detail::fail("gguf ", Type::name, " ", op, ": ", what, " is null");
}

// Rows [begin, end) of the input; Arch picks the vector test (kernels/finite.hpp), and a row that
// fails is scanned again to name the element.
template <class Type, class Arch = arch::scalar>
inline void check_finite_input(const float* src, std::int64_t begin, std::int64_t end, std::int64_t cols) {
    for (std::int64_t r = begin; r < end; ++r) {
        const float* row = src + r * cols;
        if (kernels::all_finite(row, cols, Arch{})) continue;
        for (std::int64_t c = 0; c < cols; ++c)
            if (!std::isfinite(row[c]))
                lowbit::detail::fail("gguf ", Type::name, " quantize: input has ", row[c], " at row ", r, ", column ", c,
                                     " (block ", c / Type::block_size, ")");
    }
}

template <class Type>
inline void check_importance(const float* importance, std::int64_t cols) {
    if (importance == nullptr) return;
    if constexpr (!Type::has_importance) {
        lowbit::detail::fail("gguf ", Type::name, " quantize: this type has no importance-weighted quantizer; pass no importance");
    } else {
        for (std::int64_t c = 0; c < cols; ++c)
            if (!std::isfinite(importance[c]) || importance[c] < 0.f)
                lowbit::detail::fail("gguf ", Type::name, " quantize: importance[", c, "] = ", importance[c],
                                     " (importance weights must be finite and non-negative)");
    }
}

// Everything quantize_rows checks, the input's values included (rows split as `threads` says).
template <class Type, class Arch>
inline void check_quantize_args(const float* src, std::int64_t rows, std::int64_t cols, const void* dst, std::size_t dst_bytes,
                                const float* importance, parallelism threads) {
    check_shape<Type>("quantize", rows, cols);
    check_not_null<Type>("quantize", "the input", src, rows * cols);
    check_buffer<Type>("quantize", "the output", dst, dst_bytes, required_bytes<Type>(rows, cols), "bytes");
    check_importance<Type>(importance, cols);
    parallel_for(rows, threads, [&](std::int64_t begin, std::int64_t end) { check_finite_input<Type, Arch>(src, begin, end, cols); });
}

template <class Type>
inline void check_dequantize_args(const void* src, std::size_t src_bytes, std::int64_t rows, std::int64_t cols, const float* dst,
                                  std::size_t dst_count) {
    check_shape<Type>("dequantize", rows, cols);
    check_buffer<Type>("dequantize", "the input", src, src_bytes, required_bytes<Type>(rows, cols), "bytes");
    check_buffer<Type>("dequantize", "the output", dst, dst_count, static_cast<std::size_t>(rows * cols), "floats");
}

}  // namespace lowbit::gguf::detail
