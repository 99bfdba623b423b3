// lowbit/gemm/gguf_weights.hpp - GGUF weight tensors repacked, losslessly, for the integer kernels.
//
//     const auto w = lowbit::gemm::repack_gguf<lowbit::gguf::q4_0>(bytes, size, rows, cols);  // once, at load
//     lowbit::gemm::linear_a8(x, cols, m, w, y, rows, pool);                                 // y = x W^T
//     (or matmul(activations, w, epilogue, y, ldy, pool) with activations quantized ahead)
//
// A 2-D GGUF tensor of `rows` output channels by `cols` inputs is `rows` rows of blocks. The
// 32-blocks are grouped packings (packed_groups.hpp) with groups of 32 and the blocks' fp16 scales:
//     Q4_0    w = d (q - 8), q 4-bit        ->  packed_s4<fp16>  (symmetric, z = 8)          4.5 bits per weight
//     Q4_1    w = fl(d q) + m, q 4-bit      ->  packed_s4<fp16>  with fp16 minima            5 bits
//     Q5_0    w = d (q - 16), q 5-bit       ->  packed_s5<fp16>  (symmetric, z = 16)         5.5 bits
//     Q5_1    w = fl(d q) + m, q 5-bit      ->  packed_s5<fp16>  with fp16 minima            6 bits
//     Q8_0    w = d q, q int8               ->  packed_s8g<fp16> (codes q + 128)             8.5 bits
//     IQ4_NL  w = d L[q], q a 4-bit index   ->  packed_iq4_nl    (codes L[q] + 128, z = 128) 4.5 bits
// The k-quants have packings of their own structure:
//     Q2_K  w = fl(d sc) q - fl(dmin m) per 16, d, dmin fp16 per 256, sc, m 4-bit, q 2-bit
//                            ->  packed_k2     2.625 bits per weight (file: 2.625)
//     Q3_K  w = fl(d sc) (q - 4) per 16, d fp16 per 256, sc 6-bit signed, q 3-bit
//                            ->  packed_k3     3.625 bits per weight (file: 3.4375)
//     Q4_K  w = fl(d sc) q - fl(dmin m) per 32, d, dmin fp16 per 256, sc, m 6-bit
//                            ->  packed_k4     4.625 bits per weight (file: 4.5)
//     Q5_K  the same with 5-bit q      ->  packed_k5     5.625 bits per weight (file: 5.5)
//     Q6_K  w = fl(d sc) (q - 32) per 16, d fp16 per 256, sc int8, q 6-bit
//                            ->  packed_k6     6.625 bits per weight (file: 6.5625)
// Codes, scales and minima are copied bit for bit, nothing is requantized: the packed tensor
// dequantizes (gemm::dequantize_weights) to the very floats ggml's dequantizer gives.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <type_traits>
#include <vector>

#include "lowbit/core/error.hpp"
#include "lowbit/core/half.hpp"
#include "lowbit/formats/gguf/blocks.hpp"
#include "lowbit/formats/gguf/kquant_phases.hpp"
#include "lowbit/formats/gguf/reference_legacy.hpp"
#include "lowbit/formats/gguf/reference_nonlinear.hpp"
#include "lowbit/formats/gguf/types.hpp"
#include "lowbit/gemm/packed_groups.hpp"
#include "lowbit/gemm/packed_k2.hpp"
#include "lowbit/gemm/packed_k3.hpp"
#include "lowbit/gemm/packed_k4.hpp"
#include "lowbit/gemm/packed_k6.hpp"

namespace lowbit::gemm {

namespace detail {

// The shape and size of a rows x cols tensor of Type in `bytes` bytes at `src`.
template <class Type>
void check_gguf_tensor(const void* src, std::size_t bytes, std::int64_t rows, std::int64_t cols) {
    constexpr std::int64_t block_size = Type::block_size;
    if (rows < 1 || cols < 1) lowbit::detail::fail("repack_gguf<", Type::name, ">: the tensor is ", rows, " x ", cols, "; both must be at least 1");
    if (cols % block_size != 0) lowbit::detail::fail("repack_gguf<", Type::name, ">: cols = ", cols, " is not a multiple of the block size ", block_size);
    if (cols > max_k) lowbit::detail::fail("repack_gguf<", Type::name, ">: cols = ", cols, " exceeds ", max_k);
    if (rows > max_weights / cols) lowbit::detail::fail("repack_gguf<", Type::name, ">: ", rows, " x ", cols, " weights exceed ", max_weights);
    if (src == nullptr) lowbit::detail::fail("repack_gguf<", Type::name, ">: the tensor data is null");
    const std::size_t row_bytes = Type::row_bytes(cols);
    if (bytes / row_bytes < static_cast<std::size_t>(rows))
        lowbit::detail::fail("repack_gguf<", Type::name, ">: ", rows, " rows of ", cols, " need ", row_bytes * static_cast<std::size_t>(rows), " bytes, the buffer has ", bytes);
}

// Calls f(row, block index, block) for every block of a checked tensor, each copied out of `src`.
template <class Type, class F>
void for_each_gguf_block(const void* src, std::int64_t rows, std::int64_t cols, F&& f) {
    constexpr std::int64_t block_size = Type::block_size;
    const std::size_t row_bytes = Type::row_bytes(cols);
    const auto* in = static_cast<const std::byte*>(src);
    for (std::int64_t r = 0; r < rows; ++r)
        for (std::int64_t b = 0; b < cols / block_size; ++b) {
            typename Type::block blk;
            std::memcpy(&blk, in + static_cast<std::size_t>(r) * row_bytes + static_cast<std::size_t>(b) * sizeof blk, sizeof blk);
            f(r, b, blk);
        }
}

// The 32 4-bit codes of a legacy block: element j in the low nibble of qs[j], j + 16 in its high one.
inline void nibbles32(const std::uint8_t* qs, std::uint8_t* codes) {
    for (int j = 0; j < 16; ++j) {
        codes[j] = static_cast<std::uint8_t>(qs[j] & 15);
        codes[j + 16] = static_cast<std::uint8_t>(qs[j] >> 4);
    }
}

// ... and the 5-bit ones: the fifth bit of element j is bit j of the little-endian word qh.
inline void codes5(const std::uint8_t* qs, const std::uint8_t* qh, std::uint8_t* codes) {
    const std::uint32_t high = gguf::reference::detail::high_bits(qh);
    for (int j = 0; j < 32; ++j) codes[j] = static_cast<std::uint8_t>(gguf::reference::detail::q5_code(qs, high, j));
}

}  // namespace detail

// The IQ4_NL levels, as a table of packed_groups.
struct iq4_nl_levels {
    static constexpr const std::int8_t (&levels)[16] = gguf::iq4_levels;
};
using packed_iq4_nl = packed_groups<4, fp16, iq4_nl_levels>;

// What a GGUF type repacks into (`packed`) and how (`repack`, given a checked tensor); only the
// types with a packing define them.
template <class Type>
struct gguf_packing {};

// The 32-block types: each block's codes (nibbles; fifth bits from qh for Q5_0 / Q5_1; int8 + 128
// for Q8_0; indices for IQ4_NL), its fp16 scale and, for Q4_1 / Q5_1, its fp16 minimum, packed in
// groups of 32.
template <class Type, class Packed>
struct gguf_packing_blocks32 {
    using packed = Packed;
    static constexpr bool minima = std::is_same_v<Type, gguf::q4_1> || std::is_same_v<Type, gguf::q5_1>;
    static packed repack(const void* src, std::int64_t rows, std::int64_t cols) {
        const std::int64_t blocks = cols / 32;
        std::vector<std::uint8_t> codes(static_cast<std::size_t>(rows * cols));
        std::vector<fp16> scales(static_cast<std::size_t>(rows * blocks)), mins(minima ? scales.size() : 0);
        detail::for_each_gguf_block<Type>(src, rows, cols, [&](std::int64_t r, std::int64_t b, const typename Type::block& blk) {
            std::uint8_t* out = codes.data() + r * cols + b * 32;
            if constexpr (Packed::bits == 8)
                for (int j = 0; j < 32; ++j) out[j] = static_cast<std::uint8_t>(blk.qs[j] + 128);
            else if constexpr (Packed::bits == 5) detail::codes5(blk.qs, blk.qh, out);
            else detail::nibbles32(blk.qs, out);
            const auto i = static_cast<std::size_t>(r * blocks + b);
            scales[i] = fp16{blk.d};
            if constexpr (minima) mins[i] = fp16{blk.m};
        });
        // pack_groups rejects a non-finite scale or minimum, naming its channel (row) and group (block).
        return pack_groups<Packed::bits, typename Packed::levels_type>(codes.data(), cols, rows, cols, 32, scales.data(), nullptr,
                                                                       minima ? mins.data() : nullptr);
    }
};
template <>
struct gguf_packing<gguf::q4_0> : gguf_packing_blocks32<gguf::q4_0, packed_s4<fp16>> {};
template <>
struct gguf_packing<gguf::q4_1> : gguf_packing_blocks32<gguf::q4_1, packed_s4<fp16>> {};
template <>
struct gguf_packing<gguf::q5_0> : gguf_packing_blocks32<gguf::q5_0, packed_s5<fp16>> {};
template <>
struct gguf_packing<gguf::q5_1> : gguf_packing_blocks32<gguf::q5_1, packed_s5<fp16>> {};
template <>
struct gguf_packing<gguf::q8_0> : gguf_packing_blocks32<gguf::q8_0, packed_s8g<fp16>> {};
template <>
struct gguf_packing<gguf::iq4_nl> : gguf_packing_blocks32<gguf::iq4_nl, packed_iq4_nl> {};

// Q4_K / Q5_K: per 256, fp16 d and dmin, eight 6-bit (sc, m) pairs, 4-bit codes of 32-wide groups
// (group 2i + h in the low (h = 0) or high nibbles of bytes 32 i .. 32 i + 31) and, for Q5_K,
// their fifth bits (bit g of qh[l] for element l of group g).
template <class Type, int Bits>
struct gguf_packing_k4 {
    using packed = basic_packed_k4<Bits>;
    static packed repack(const void* src, std::int64_t rows, std::int64_t cols) {
        const std::int64_t supers = cols / 256, groups = cols / 32;
        std::vector<std::uint8_t> codes(static_cast<std::size_t>(rows * cols));
        std::vector<fp16> d(static_cast<std::size_t>(rows * supers)), dmin(d.size());
        std::vector<std::uint8_t> sc(static_cast<std::size_t>(rows * groups)), m(sc.size());
        detail::for_each_gguf_block<Type>(src, rows, cols, [&](std::int64_t r, std::int64_t b, const typename Type::block& blk) {
            d[static_cast<std::size_t>(r * supers + b)] = fp16{blk.d};
            dmin[static_cast<std::size_t>(r * supers + b)] = fp16{blk.dmin};
            for (int g = 0; g < 8; ++g) {
                int s = 0, mn = 0;
                gguf::reference::detail::scale_min_k4(g, blk.scales, s, mn);
                sc[static_cast<std::size_t>(r * groups + b * 8 + g)] = static_cast<std::uint8_t>(s);
                m[static_cast<std::size_t>(r * groups + b * 8 + g)] = static_cast<std::uint8_t>(mn);
                std::uint8_t* out = codes.data() + r * cols + b * 256 + 32 * g;
                for (int l = 0; l < 32; ++l) {
                    out[l] = static_cast<std::uint8_t>(g % 2 ? blk.qs[32 * (g / 2) + l] >> 4 : blk.qs[32 * (g / 2) + l] & 15);
                    if constexpr (Bits == 5) out[l] = static_cast<std::uint8_t>(out[l] | ((blk.qh[l] >> g) & 1) << 4);
                }
            }
        });
        // pack_k4 rejects a non-finite d or dmin, naming its channel (row) and super-block.
        return pack_k4<Bits>(codes.data(), cols, rows, cols, d.data(), dmin.data(), sc.data(), m.data());
    }
};
template <>
struct gguf_packing<gguf::q4_K> : gguf_packing_k4<gguf::q4_K, 4> {};
template <>
struct gguf_packing<gguf::q5_K> : gguf_packing_k4<gguf::q5_K, 5> {};

// Q2_K: per 256, fp16 d and dmin and a byte sc | m << 4 per 16; element i's code is 2 bits of
// qs (unpack_2bit), its group i / 16.
template <>
struct gguf_packing<gguf::q2_K> {
    using packed = packed_k2;
    static packed repack(const void* src, std::int64_t rows, std::int64_t cols) {
        const std::int64_t supers = cols / 256, groups = cols / packed_k2::group;
        std::vector<std::uint8_t> codes(static_cast<std::size_t>(rows * cols)), terms(static_cast<std::size_t>(rows * groups));
        std::vector<fp16> d(static_cast<std::size_t>(rows * supers)), dmin(d.size());
        detail::for_each_gguf_block<gguf::q2_K>(src, rows, cols, [&](std::int64_t r, std::int64_t b, const gguf::block_q2_K& blk) {
            d[static_cast<std::size_t>(r * supers + b)] = fp16{blk.d};
            dmin[static_cast<std::size_t>(r * supers + b)] = fp16{blk.dmin};
            for (int g = 0; g < 16; ++g) terms[static_cast<std::size_t>(r * groups + b * 16 + g)] = blk.scales[g];
            std::uint8_t* out = codes.data() + r * cols + b * 256;
            for (int i = 0; i < 256; ++i) out[i] = static_cast<std::uint8_t>(gguf::reference::detail::unpack_2bit(blk.qs, i));
        });
        // pack_k2 rejects a non-finite d or dmin, naming its channel (row) and super-block.
        return pack_k2(codes.data(), cols, rows, cols, d.data(), dmin.data(), terms.data());
    }
};

// Q3_K: per 256, fp16 d and sixteen 6-bit signed scales; element i's code is 2 bits of qs and, as
// bit 2, bit i / 32 of hmask[i % 32] (ggml subtracts 4 where that bit is clear: c - 4).
template <>
struct gguf_packing<gguf::q3_K> {
    using packed = packed_k3;
    static packed repack(const void* src, std::int64_t rows, std::int64_t cols) {
        const std::int64_t supers = cols / 256, groups = cols / packed_k3::group;
        std::vector<std::uint8_t> codes(static_cast<std::size_t>(rows * cols));
        std::vector<fp16> d(static_cast<std::size_t>(rows * supers));
        std::vector<std::int8_t> sc(static_cast<std::size_t>(rows * groups));
        detail::for_each_gguf_block<gguf::q3_K>(src, rows, cols, [&](std::int64_t r, std::int64_t b, const gguf::block_q3_K& blk) {
            d[static_cast<std::size_t>(r * supers + b)] = fp16{blk.d};
            for (int g = 0; g < 16; ++g) sc[static_cast<std::size_t>(r * groups + b * 16 + g)] = static_cast<std::int8_t>(gguf::reference::detail::scale_q3(blk.scales, g));
            std::uint8_t* out = codes.data() + r * cols + b * 256;
            for (int i = 0; i < 256; ++i)
                out[i] = static_cast<std::uint8_t>(gguf::reference::detail::unpack_2bit(blk.qs, i) | ((blk.hmask[i % 32] >> (i / 32)) & 1) << 2);
        });
        // pack_k3 rejects a non-finite d, naming its channel (row) and super-block.
        return pack_k3(codes.data(), cols, rows, cols, d.data(), sc.data());
    }
};

// Q6_K: per 256, fp16 d and sixteen int8 scales; element i = 128 h + 32 quarter + l has its low
// four bits in ql[64 h + l + 32 (quarter & 1)] (low nibble for quarters 0, 1) and its top two in
// bits 2 quarter of qh[32 h + l].
template <>
struct gguf_packing<gguf::q6_K> {
    using packed = packed_k6;
    static packed repack(const void* src, std::int64_t rows, std::int64_t cols) {
        const std::int64_t supers = cols / 256, groups = cols / packed_k6::group;
        std::vector<std::uint8_t> codes(static_cast<std::size_t>(rows * cols));
        std::vector<fp16> d(static_cast<std::size_t>(rows * supers));
        std::vector<std::int8_t> sc(static_cast<std::size_t>(rows * groups));
        detail::for_each_gguf_block<gguf::q6_K>(src, rows, cols, [&](std::int64_t r, std::int64_t b, const gguf::block_q6_K& blk) {
            d[static_cast<std::size_t>(r * supers + b)] = fp16{blk.d};
            for (int g = 0; g < 16; ++g) sc[static_cast<std::size_t>(r * groups + b * 16 + g)] = blk.scales[g];
            std::uint8_t* out = codes.data() + r * cols + b * 256;
            for (int i = 0; i < 256; ++i) {
                const int h = i / 128, quarter = i % 128 / 32, l = i % 32;
                const int low = blk.ql[64 * h + l + 32 * (quarter & 1)];
                out[i] = static_cast<std::uint8_t>((quarter < 2 ? low & 15 : low >> 4) | ((blk.qh[32 * h + l] >> (2 * quarter)) & 3) << 4);
            }
        });
        // pack_k6 rejects a non-finite d, naming its channel (row) and super-block.
        return pack_k6(codes.data(), cols, rows, cols, d.data(), sc.data());
    }
};

// Repacks the `rows` x `cols` tensor of GGUF type Type held in `src` (at least `bytes` readable).
template <class Type>
typename gguf_packing<Type>::packed repack_gguf(const void* src, std::size_t bytes, std::int64_t rows, std::int64_t cols) {
    detail::check_gguf_tensor<Type>(src, bytes, rows, cols);
    return gguf_packing<Type>::repack(src, rows, cols);
}

}  // namespace lowbit::gemm
