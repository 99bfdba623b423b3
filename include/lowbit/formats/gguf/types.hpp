// lowbit/formats/gguf/types.hpp - the GGUF block types as lowbit schemes.
//
// `lowbit::gguf::q4_0`, ... name a quantization scheme with a blocked layout: the block struct,
// how many weights one block holds, its size in bytes, ggml's type id (as stored in GGUF tensor
// infos), and whether ggml has an importance-weighted (imatrix) quantizer for it. Everything an
// engine needs to size buffers is constexpr:
//
//     using T = lowbit::gguf::q4_K;
//     static_assert(T::block_size == 256 && T::block_bytes == 144);
//     std::vector<std::byte> row(T::row_bytes(4096));
//
// The codecs (quantize / dequantize) are in reference.hpp (the specification) and rows.hpp (the
// row-level API with its vector paths).
#pragma once

#include <cstddef>
#include <cstdint>

#include "lowbit/formats/gguf/blocks.hpp"

namespace lowbit::gguf {

template <class Block, int Elements, int TypeId, bool Importance>
struct block_format {
    using block = Block;
    static constexpr int block_size = Elements;                   // weights per block
    static constexpr std::size_t block_bytes = sizeof(Block);
    static constexpr int type_id = TypeId;                        // ggml_type value in GGUF files
    static constexpr bool has_importance = Importance;            // ggml has an imatrix quantizer
    static constexpr double bits_per_weight = 8.0 * sizeof(Block) / Elements;
    // Bytes of a row of `cols` weights; `cols` must be a multiple of block_size (checked by the
    // row API, not here).
    static constexpr std::size_t row_bytes(std::int64_t cols) {
        return static_cast<std::size_t>(cols / Elements) * sizeof(Block);
    }
};

struct q4_0 : block_format<block_q4_0, 32, 2, true> { static constexpr const char* name = "q4_0"; };
struct q4_1 : block_format<block_q4_1, 32, 3, true> { static constexpr const char* name = "q4_1"; };
struct q5_0 : block_format<block_q5_0, 32, 6, true> { static constexpr const char* name = "q5_0"; };
struct q5_1 : block_format<block_q5_1, 32, 7, true> { static constexpr const char* name = "q5_1"; };
struct q8_0 : block_format<block_q8_0, 32, 8, false> { static constexpr const char* name = "q8_0"; };
struct q8_1 : block_format<block_q8_1, 32, 9, false> { static constexpr const char* name = "q8_1"; };
struct q2_K : block_format<block_q2_K, super_block, 10, true> { static constexpr const char* name = "q2_K"; };
struct q3_K : block_format<block_q3_K, super_block, 11, true> { static constexpr const char* name = "q3_K"; };
struct q4_K : block_format<block_q4_K, super_block, 12, true> { static constexpr const char* name = "q4_K"; };
struct q5_K : block_format<block_q5_K, super_block, 13, true> { static constexpr const char* name = "q5_K"; };
struct q6_K : block_format<block_q6_K, super_block, 14, true> { static constexpr const char* name = "q6_K"; };
struct q8_K : block_format<block_q8_K, super_block, 15, false> { static constexpr const char* name = "q8_K"; };
struct iq4_nl : block_format<block_iq4_nl, 32, 20, true> { static constexpr const char* name = "iq4_nl"; };
struct iq4_xs : block_format<block_iq4_xs, super_block, 23, true> { static constexpr const char* name = "iq4_xs"; };
struct tq1_0 : block_format<block_tq1_0, super_block, 34, false> { static constexpr const char* name = "tq1_0"; };
struct tq2_0 : block_format<block_tq2_0, super_block, 35, false> { static constexpr const char* name = "tq2_0"; };

// Calls f(T{}) for every block type above, in ggml type-id order.
template <class F>
constexpr void for_each_type(F&& f) {
    f(q4_0{}); f(q4_1{}); f(q5_0{}); f(q5_1{}); f(q8_0{}); f(q8_1{});
    f(q2_K{}); f(q3_K{}); f(q4_K{}); f(q5_K{}); f(q6_K{}); f(q8_K{});
    f(iq4_nl{}); f(iq4_xs{}); f(tq1_0{}); f(tq2_0{});
}

}  // namespace lowbit::gguf
