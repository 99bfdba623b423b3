// lowbit/gemm/activations_gguf.hpp - activations quantized per block as ggml quantizes them, for
// the GGUF packings (gguf_weights.hpp), so that an engine can match ggml's numerics.
//
//     lowbit::gemm::activations_u8 a;
//     lowbit::gemm::quantize_activations_gguf<lowbit::gguf::q8_0>(x, ldx, m, k, a);  // 32-block types
//     lowbit::gemm::quantize_activations_gguf<lowbit::gguf::q8_K>(x, ldx, m, k, a);  // the k-quants
//     lowbit::gemm::matmul(a, w, lowbit::gemm::epilogue<>{}, y, ldy, pool);
//
// The codes and scales are ggml's bytes (gguf::quantize_rows): q8_0 gives every 32 codes an fp16
// scale d = amax / 127, q8_K every 256 codes an f32 scale d = max / -127 from the signed element
// of largest magnitude; the codes stay within -127..127 either way. The kernels take, per group g of the weights
// (a group lies inside one activation block), acc = fma(float(P), fl(s_w da), acc) (and the
// minimum term with fl(-mn da)); the row scales are 1. q8_K's 16-element sums are not kept: the
// kernels sum the codes of each weight group themselves, exactly.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <type_traits>
#include <vector>

#include "lowbit/core/error.hpp"
#include "lowbit/core/half.hpp"
#include "lowbit/formats/gguf/blocks.hpp"
#include "lowbit/formats/gguf/rows.hpp"
#include "lowbit/formats/gguf/types.hpp"
#include "lowbit/gemm/activations_u8.hpp"

namespace lowbit::gemm {

// x (m rows of k floats, ldx apart) as ggml's q8_0 or q8_K blocks; k a multiple of the block size.
template <class Type, class Arch = arch::native>
void quantize_activations_gguf(const float* x, std::int64_t ldx, std::int64_t m, std::int64_t k, activations_u8& out) {
    static_assert(std::is_same_v<Type, gguf::q8_0> || std::is_same_v<Type, gguf::q8_K>, "ggml quantizes activations as q8_0 or q8_K");
    constexpr std::int64_t block = Type::block_size;
    detail::check_activation_args("quantize_activations_gguf", x, ldx, m, k);
    if (k % block != 0) lowbit::detail::fail("quantize_activations_gguf<", Type::name, ">: k = ", k, " is not a multiple of ", block);
    detail::reset(out, m, k, false);
    out.block = block;
    out.block_scales.assign(static_cast<std::size_t>(m * (k / block)), 0.f);
    out.scales.assign(static_cast<std::size_t>(m), 1.f);
    std::vector<std::byte> bytes(Type::row_bytes(k));
    for (std::int64_t r = 0; r < m; ++r) {
        detail::find_row_range("quantize_activations_gguf", x + r * ldx, r, k, Arch{});  // rejects NaN / Inf, naming row and column
        gguf::quantize_rows<Type, Arch>(x + r * ldx, 1, k, bytes.data(), bytes.size());
        for (std::int64_t b = 0; b < k / block; ++b) {
            typename Type::block blk;
            std::memcpy(&blk, bytes.data() + static_cast<std::size_t>(b) * sizeof blk, sizeof blk);
            float d;
            if constexpr (std::is_same_v<Type, gguf::q8_0>) d = fp16{blk.d}.to_float();
            else d = blk.d;
            out.block_scales[static_cast<std::size_t>(r * (k / block) + b)] = d;
            std::uint8_t* u = out.data.data() + r * out.k4 + b * block;
            for (std::int64_t i = 0; i < block; ++i) u[i] = static_cast<std::uint8_t>(blk.qs[i] + 128);
        }
    }
}

}  // namespace lowbit::gemm
