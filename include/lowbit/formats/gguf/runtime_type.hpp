// lowbit/formats/gguf/runtime_type.hpp - the row API for a block type chosen at run time.
//
// A converter learns the type from a file or a command line: these overloads take a tensor_type
// and call quantize_rows<T> / dequantize_rows<T> of the matching block type (every kernel of the
// 16 types is instantiated where this header is used). Types without a lowbit codec (iq2_xxs, ...,
// and plain f32 / f16 / bf16) are a lowbit::error.
#pragma once

#include <cstddef>
#include <cstdint>

#include "lowbit/arch/native.hpp"
#include "lowbit/core/error.hpp"
#include "lowbit/formats/gguf/rows.hpp"
#include "lowbit/formats/gguf/tensor_type.hpp"
#include "lowbit/formats/gguf/types.hpp"

namespace lowbit::gguf {

// Calls f(T{}) for the block type whose id is `type`; false when lowbit has no codec for it.
template <class F>
bool visit_block_type(tensor_type type, F&& f) {
    bool found = false;
    for_each_type([&](auto t) {
        if (!found && static_cast<std::uint32_t>(decltype(t)::type_id) == static_cast<std::uint32_t>(type)) {
            found = true;
            f(t);
        }
    });
    return found;
}

inline bool has_codec(tensor_type type) {
    return visit_block_type(type, [](auto) {});
}

inline bool has_importance(tensor_type type) {
    bool yes = false;
    visit_block_type(type, [&](auto t) { yes = decltype(t)::has_importance; });
    return yes;
}

template <class Arch = arch::native>
void quantize_rows(tensor_type type, const float* src, std::int64_t rows, std::int64_t cols, void* dst, std::size_t dst_bytes,
                   const float* importance = nullptr, parallelism threads = 1) {
    if (!visit_block_type(type, [&](auto t) { quantize_rows<decltype(t), Arch>(src, rows, cols, dst, dst_bytes, importance, threads); }))
        lowbit::detail::fail("gguf quantize: lowbit has no quantizer for type ", name_of(type));
}

template <class Arch = arch::native>
void dequantize_rows(tensor_type type, const void* src, std::size_t src_bytes, std::int64_t rows, std::int64_t cols, float* dst,
                     std::size_t dst_count, parallelism threads = 1) {
    if (!visit_block_type(type, [&](auto t) { dequantize_rows<decltype(t), Arch>(src, src_bytes, rows, cols, dst, dst_count, threads); }))
        lowbit::detail::fail("gguf dequantize: lowbit has no dequantizer for type ", name_of(type));
}

}  // namespace lowbit::gguf
