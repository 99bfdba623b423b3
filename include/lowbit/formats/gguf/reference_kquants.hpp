// lowbit/formats/gguf/reference_kquants.hpp - Q2_K, Q3_K, Q4_K, Q5_K, Q6_K and Q8_K: the scalar
// specification, bit-exact with ggml's quantize_row_<type>_ref, quantize_<type> (importance
// weighted) and dequantize_row_<type>.
//
// A super-block holds 256 weights in sub-blocks of 16 (Q2_K, Q3_K, Q6_K) or 32 (Q4_K, Q5_K). Each
// sub-block gets a scale (and for Q2_K / Q4_K / Q5_K a minimum) from a search (search.hpp); the
// sub-block scales are themselves quantized against an fp16 super-scale, and then every element is
// re-quantized, by division, against the scale as the decoder will see it (fp16 super-scale decoded
// times the integer sub-scale). Q8_K (the activation format of the k-quant dot products) has an fp32
// d = 1 / (-127 / m), m the signed element of largest magnitude, so d is negative when m > 0.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "lowbit/formats/gguf/arithmetic.hpp"
#include "lowbit/formats/gguf/kquant_phases.hpp"
#include "lowbit/formats/gguf/types.hpp"

namespace lowbit::gguf::reference {


inline void dequantize_row(q2_K, const std::byte* in, std::int64_t n, float* y) {
    using namespace detail;
    for (std::size_t b = 0; b < blocks_in(n, super_block); ++b, y += super_block) {
        const auto blk = load_block<block_q2_K>(in + b * sizeof(block_q2_K));
        const float d = from_half(blk.d), min = from_half(blk.dmin);
        for (int i = 0; i < super_block; ++i) {
            const int sc = blk.scales[i / 16];
            const float dl = mul(d, static_cast<float>(sc & 0xf)), ml = mul(min, static_cast<float>(sc >> 4));
            y[i] = mul(dl, static_cast<float>(unpack_2bit(blk.qs, i))) - ml;
        }
    }
}

// ---- Q3_K ----
inline void dequantize_row(q3_K, const std::byte* in, std::int64_t n, float* y) {
    using namespace detail;
    for (std::size_t b = 0; b < blocks_in(n, super_block); ++b, y += super_block) {
        const auto blk = load_block<block_q3_K>(in + b * sizeof(block_q3_K));
        const float d_all = from_half(blk.d);
        for (int i = 0; i < super_block; ++i) {
            const float dl = mul(d_all, static_cast<float>(scale_q3(blk.scales, i / 16)));
            const int high = (blk.hmask[i % 32] >> (i / 32)) & 1;
            y[i] = mul(dl, static_cast<float>(unpack_2bit(blk.qs, i) - (high ? 0 : 4)));
        }
    }
}

namespace detail {
template <class Block, bool Five>
inline void dequantize_k4(const std::byte* in, std::int64_t n, float* y) {
    for (std::size_t b = 0; b < blocks_in(n, super_block); ++b) {
        const auto blk = load_block<Block>(in + b * sizeof(Block));
        const float d = from_half(blk.d), min = from_half(blk.dmin);
        for (int g = 0; g < 4; ++g) {
            for (int half = 0; half < 2; ++half, y += 32) {
                int sc = 0, m = 0;
                scale_min_k4(2 * g + half, blk.scales, sc, m);
                const float dl = mul(d, static_cast<float>(sc)), ml = mul(min, static_cast<float>(m));
                for (int l = 0; l < 32; ++l) {
                    int q = half ? (blk.qs[32 * g + l] >> 4) : (blk.qs[32 * g + l] & 0xf);
                    if constexpr (Five) q += (blk.qh[l] >> (2 * g + half)) & 1 ? 16 : 0;
                    y[l] = mul(dl, static_cast<float>(q)) - ml;
                }
            }
        }
    }
}
}  // namespace detail

inline void dequantize_row(q4_K, const std::byte* in, std::int64_t n, float* y) { detail::dequantize_k4<block_q4_K, false>(in, n, y); }
inline void dequantize_row(q5_K, const std::byte* in, std::int64_t n, float* y) { detail::dequantize_k4<block_q5_K, true>(in, n, y); }

// ---- Q6_K ----
inline void dequantize_row(q6_K, const std::byte* in, std::int64_t n, float* y) {
    using namespace detail;
    for (std::size_t b = 0; b < blocks_in(n, super_block); ++b, y += super_block) {
        const auto blk = load_block<block_q6_K>(in + b * sizeof(block_q6_K));
        const float d = from_half(blk.d);
        for (int i = 0; i < super_block; ++i) {
            const int g = i / 128, r = i % 128, quarter = r / 32, l = r % 32;
            const std::uint8_t low = blk.ql[64 * g + l + 32 * (quarter & 1)];
            const int q = ((quarter < 2 ? low & 0xf : low >> 4) | (((blk.qh[32 * g + l] >> (2 * quarter)) & 3) << 4)) - 32;
            y[i] = mul(mul(d, static_cast<float>(blk.scales[i / 16])), static_cast<float>(q));
        }
    }
}

// ---- Q8_K ----
inline void quantize_row(q8_K, const float* x, std::int64_t n, std::byte* out, const float*) {
    using namespace detail;
    for (std::size_t b = 0; b < blocks_in(n, super_block); ++b, x += super_block) {
        block_q8_K y{};
        float amax = 0.f;
        const float max = signed_absmax(x, super_block, amax);
        if (amax != 0.f) {
            const float iscale = -127.f / max;
            for (int j = 0; j < super_block; ++j) y.qs[j] = static_cast<std::int8_t>(std::min(127, nearest_int(mul(iscale, x[j]))));
            for (int j = 0; j < 16; ++j) {
                int sum = 0;
                for (int ii = 0; ii < 16; ++ii) sum += y.qs[16 * j + ii];
                y.bsums[j] = static_cast<std::int16_t>(sum);
            }
            y.d = 1 / iscale;
        }
        store_block(y, out + b * sizeof y);
    }
}

inline void dequantize_row(q8_K, const std::byte* in, std::int64_t n, float* y) {
    using namespace detail;
    for (std::size_t b = 0; b < blocks_in(n, super_block); ++b, y += super_block) {
        const auto blk = load_block<block_q8_K>(in + b * sizeof(block_q8_K));
        for (int j = 0; j < super_block; ++j) y[j] = mul(blk.d, static_cast<float>(blk.qs[j]));
    }
}

}  // namespace lowbit::gguf::reference
