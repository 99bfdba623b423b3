// lowbit/gemm/gguf_weights.hpp - GGUF weight tensors repacked, losslessly, for the integer kernels.
//
//     const auto w = lowbit::gemm::repack_gguf<lowbit::gguf::q4_0>(bytes, size, rows, cols);  // once, at load
//     lowbit::gemm::linear_w4a8(x, cols, m, w, y, rows, pool);                               // y = x W^T
//
// A 2-D GGUF tensor of `rows` output channels by `cols` inputs is `rows` rows of blocks. Two types
// are the grouped packings exactly, with groups of 32 and the blocks' fp16 scales:
//     Q4_0  w = d (q - 8), q 4-bit   ->  packed_s4<fp16>   (symmetric, z = 8)   4.5 bits per weight
//     Q8_0  w = d q,       q int8    ->  packed_s8g<fp16>  (codes q + 128)      8.5 bits per weight
// Codes and scales are copied bit for bit, nothing is requantized: the packed tensor dequantizes
// (gemm::dequantize_weights) to the very floats ggml's dequantizer gives, and takes the file's bytes.
// The other GGUF types (minima, 5- and 6-bit codes, k-quant super-blocks) are not repacked yet.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <type_traits>
#include <vector>

#include "lowbit/core/error.hpp"
#include "lowbit/core/half.hpp"
#include "lowbit/formats/gguf/blocks.hpp"
#include "lowbit/formats/gguf/types.hpp"
#include "lowbit/gemm/packed_groups.hpp"

namespace lowbit::gemm {

// What a GGUF type repacks into; only the types with a packing define `packed`.
template <class Type>
struct gguf_packing {};
template <>
struct gguf_packing<gguf::q4_0> {
    using packed = packed_s4<fp16>;
    // Block b's codes (0..15) for its 32 weights, and its scale.
    static fp16 decode(const gguf::block_q4_0& b, std::uint8_t* codes) {
        for (int j = 0; j < 16; ++j) {
            codes[j] = static_cast<std::uint8_t>(b.qs[j] & 15);
            codes[j + 16] = static_cast<std::uint8_t>(b.qs[j] >> 4);
        }
        return fp16{b.d};
    }
};
template <>
struct gguf_packing<gguf::q8_0> {
    using packed = packed_s8g<fp16>;
    static fp16 decode(const gguf::block_q8_0& b, std::uint8_t* codes) {
        for (int j = 0; j < 32; ++j) codes[j] = static_cast<std::uint8_t>(b.qs[j] + 128);
        return fp16{b.d};
    }
};

// Repacks the `rows` x `cols` tensor of GGUF type Type held in `src` (at least `bytes` readable).
template <class Type>
typename gguf_packing<Type>::packed repack_gguf(const void* src, std::size_t bytes, std::int64_t rows, std::int64_t cols) {
    using packing = gguf_packing<Type>;
    using block = typename Type::block;
    constexpr std::int64_t group = Type::block_size;
    if (rows < 1 || cols < 1) lowbit::detail::fail("repack_gguf<", Type::name, ">: the tensor is ", rows, " x ", cols, "; both must be at least 1");
    if (cols % group != 0) lowbit::detail::fail("repack_gguf<", Type::name, ">: cols = ", cols, " is not a multiple of the block size ", group);
    if (cols > max_k) lowbit::detail::fail("repack_gguf<", Type::name, ">: cols = ", cols, " exceeds ", max_k);
    if (src == nullptr) lowbit::detail::fail("repack_gguf<", Type::name, ">: the tensor data is null");
    const std::size_t row_bytes = Type::row_bytes(cols);
    if (bytes / row_bytes < static_cast<std::size_t>(rows))
        lowbit::detail::fail("repack_gguf<", Type::name, ">: ", rows, " rows of ", cols, " need ", row_bytes * static_cast<std::size_t>(rows), " bytes, the buffer has ", bytes);
    const std::int64_t blocks = cols / group;
    std::vector<std::uint8_t> codes(static_cast<std::size_t>(rows * cols));
    std::vector<fp16> scales(static_cast<std::size_t>(rows * blocks));
    const auto* in = static_cast<const std::byte*>(src);
    for (std::int64_t r = 0; r < rows; ++r)
        for (std::int64_t b = 0; b < blocks; ++b) {
            block blk;
            std::memcpy(&blk, in + static_cast<std::size_t>(r) * row_bytes + static_cast<std::size_t>(b) * sizeof(block), sizeof blk);
            scales[static_cast<std::size_t>(r * blocks + b)] = packing::decode(blk, codes.data() + r * cols + b * group);
        }
    // pack_groups rejects a non-finite scale, naming its channel (row) and group (block).
    return pack_groups<packing::packed::bits>(codes.data(), cols, rows, cols, group, scales.data());
}

}  // namespace lowbit::gemm
