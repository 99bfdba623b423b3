// lowbit/formats/gguf/rows.hpp - the row-level GGUF API an engine or converter calls.
//
//     namespace gguf = lowbit::gguf;
//     std::vector<std::byte> q(rows * gguf::q4_K::row_bytes(cols));
//     gguf::quantize_rows<gguf::q4_K>(w, rows, cols, q.data(), q.size());              // bytes ggml writes
//     gguf::quantize_rows<gguf::q4_K>(w, rows, cols, q.data(), q.size(), imatrix, 2);  // imatrix, 2 threads
//     gguf::dequantize_rows<gguf::q4_K>(q.data(), q.size(), rows, cols, out, rows * cols);
//
// Rows are `cols` contiguous floats, row after row; blocks of a row are back to back, rows are
// Type::row_bytes(cols) bytes apart, exactly as in a GGUF tensor. `cols` must be a multiple of
// Type::block_size. The output equals reference::quantize_rows / dequantize_rows byte for byte for
// every Arch and thread count (tests prove it); Arch selects the vector kernels (arch::native by
// default: the best the compiler flags enable). Arguments are checked before anything is written
// (checks.hpp). The output buffer must not overlap the input.
#pragma once

#include <cstddef>
#include <cstdint>

#include "lowbit/arch/native.hpp"
#include "lowbit/core/parallel.hpp"
#include "lowbit/formats/gguf/checks.hpp"
#include "lowbit/formats/gguf/reference.hpp"
#include "lowbit/formats/gguf/row_kernels.hpp"
#include "lowbit/formats/gguf/types.hpp"

namespace lowbit::gguf {

template <class Type, class Arch = arch::native>
void quantize_rows(const float* src, std::int64_t rows, std::int64_t cols, void* dst, std::size_t dst_bytes,
                   const float* importance = nullptr, parallelism threads = 1) {
    using namespace detail;
    check_quantize_args<Type, Arch>(src, rows, cols, dst, dst_bytes, importance, threads);
    auto* out = static_cast<std::byte*>(dst);
    const std::size_t row_bytes = Type::row_bytes(cols);
    parallel_for(rows, threads, [&](std::int64_t begin, std::int64_t end) {
        quantize_row_range(Type{}, Arch{}, src + begin * cols, end - begin, cols, out + static_cast<std::size_t>(begin) * row_bytes,
                           importance);
    });
}

template <class Type, class Arch = arch::native>
void dequantize_rows(const void* src, std::size_t src_bytes, std::int64_t rows, std::int64_t cols, float* dst,
                     std::size_t dst_count, parallelism threads = 1) {
    using namespace detail;
    check_dequantize_args<Type>(src, src_bytes, rows, cols, dst, dst_count);
    const auto* in = static_cast<const std::byte*>(src);
    const std::size_t row_bytes = Type::row_bytes(cols);
    parallel_for(rows, threads, [&](std::int64_t begin, std::int64_t end) {
        dequantize_row_range(Type{}, Arch{}, in + static_cast<std::size_t>(begin) * row_bytes, end - begin, cols, dst + begin * cols);
    });
}

}  // namespace lowbit::gguf
