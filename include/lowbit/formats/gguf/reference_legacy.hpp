// lowbit/formats/gguf/reference_legacy.hpp - Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q8_1: the scalar
// specification, bit-exact with ggml's quantize_row_<type>_ref, its importance-weighted
// quantize_<type> and dequantize_row_<type>.
//
// Every block holds 32 weights; element j and j + 16 share a byte (low, high nibble).
// - Q4_0 / Q5_0: d = m / -8 (-16) where m is the *signed* element of largest magnitude (the first
//   one on ties), so m itself maps to code 0; codes are min(15 (31), (int8)(x * (1/d) + 8.5
//   (16.5))): round half up by truncation, with the reciprocal of the fp32 d (before its fp16
//   rounding).
// - Q4_1 / Q5_1: d = (max - min) / 15 (31), m = min; code = (x - min) * (1/d) + 0.5 truncated;
//   Q4_1 clamps to 15, Q5_1 keeps the low five bits of an unclamped code.
// - Q8_0 / Q8_1: d = amax / 127, code = roundf(x * (1/d)); Q8_1 also stores fp16(d * sum(codes)).
// - With an importance vector (one weight per column), Q4_0 / Q5_0 run the search make_qx_quants
//   and Q4_1 / Q5_1 make_qkx3_quants (see search.hpp) with element weights
//   qw * sqrt(sigma2 + x^2), sigma2 the mean square of the whole row.
#pragma once

#include <cfloat>
#include <cmath>
#include <cstddef>
#include <cstdint>

#include "lowbit/formats/gguf/arithmetic.hpp"
#include "lowbit/formats/gguf/kquant_phases.hpp"
#include "lowbit/formats/gguf/search.hpp"
#include "lowbit/formats/gguf/types.hpp"

namespace lowbit::gguf::reference {

using lowbit::gguf::detail::blocks_in;

namespace detail {
using namespace lowbit::gguf::detail;

inline void block_min_max(const float* x, float& min, float& max) {  // ggml's scan from FLT_MAX / -FLT_MAX
    min = FLT_MAX;
    max = -FLT_MAX;
    for (int j = 0; j < 32; ++j) {
        if (x[j] < min) min = x[j];
        if (x[j] > max) max = x[j];
    }
}

inline float row_mean_square(const float* x, std::int64_t n) {
    float sum = 0.f;
    for (std::int64_t j = 0; j < n; ++j) sum += mul(x[j], x[j]);
    return sum / static_cast<float>(n);
}

// Five-bit codes 0..31 of the 32 elements into 16 nibble bytes and the 32-bit high-bit word.
inline void pack_q5(const std::uint8_t* code, std::uint8_t* qs, std::uint8_t* qh) {
    std::uint32_t high = 0;
    for (int j = 0; j < 16; ++j) {
        qs[j] = static_cast<std::uint8_t>((code[j] & 0x0f) | ((code[j + 16] & 0x0f) << 4));
        high |= static_cast<std::uint32_t>((code[j] & 0x10u) >> 4) << j;
        high |= static_cast<std::uint32_t>((code[j + 16] & 0x10u) >> 4) << (j + 16);
    }
    std::memcpy(qh, &high, 4);
}

inline std::uint32_t high_bits(const std::uint8_t* qh) {
    std::uint32_t high;
    std::memcpy(&high, qh, 4);
    return high;
}

inline int q5_code(const std::uint8_t* qs, std::uint32_t high, int j) {
    const int low = j < 16 ? (qs[j] & 0x0f) : (qs[j - 16] >> 4);
    return low | static_cast<int>(((high >> j) & 1u) << 4);
}

}  // namespace detail

// ---- Q4_0 ----
inline void quantize_row(q4_0, const float* x, std::int64_t n, std::byte* out, const float* importance) {
    using namespace detail;
    const float sigma2 = importance ? row_mean_square(x, n) : 0.f;
    for (std::size_t b = 0; b < blocks_in(n, 32); ++b) {
        const float* xb = x + 32 * b;
        block_q4_0 y{};
        if (importance) {
            float weight[32];
            std::int8_t L[32];
            importance_weights(xb, importance + 32 * b, sigma2, 32, weight);
            y.d = to_half(make_qx_quants(32, 8, xb, L, weight), "q4_0", "scale");
            for (int j = 0; j < 16; ++j) y.qs[j] = static_cast<std::uint8_t>(L[j] | (L[j + 16] << 4));
        } else {
            float amax = 0.f;
            const float d = signed_absmax(xb, 32, amax) / -8;
            const float id = d != 0.f ? 1.0f / d : 0.0f;
            y.d = to_half(d, "q4_0", "scale");
            for (int j = 0; j < 16; ++j) {
                const auto xi0 = static_cast<std::uint8_t>(std::min<int>(15, truncate_to_int8_x86(mul(xb[j], id) + 8.5f)));
                const auto xi1 = static_cast<std::uint8_t>(std::min<int>(15, truncate_to_int8_x86(mul(xb[j + 16], id) + 8.5f)));
                y.qs[j] = static_cast<std::uint8_t>(xi0 | (xi1 << 4));
            }
        }
        store_block(y, out + b * sizeof y);
    }
}

inline void dequantize_row(q4_0, const std::byte* in, std::int64_t n, float* y) {
    using namespace detail;
    for (std::size_t b = 0; b < blocks_in(n, 32); ++b, y += 32) {
        const auto blk = load_block<block_q4_0>(in + b * sizeof(block_q4_0));
        const float d = from_half(blk.d);
        for (int j = 0; j < 16; ++j) {
            y[j] = mul(static_cast<float>((blk.qs[j] & 0x0f) - 8), d);
            y[j + 16] = mul(static_cast<float>((blk.qs[j] >> 4) - 8), d);
        }
    }
}

// ---- Q4_1 ----
inline void quantize_row(q4_1, const float* x, std::int64_t n, std::byte* out, const float* importance) {
    using namespace detail;
    const float sigma2 = importance ? row_mean_square(x, n) : 0.f;
    for (std::size_t b = 0; b < blocks_in(n, 32); ++b) {
        const float* xb = x + 32 * b;
        block_q4_1 y{};
        if (importance) {
            float weight[32];
            std::uint8_t L[32], Laux[32];
            importance_weights(xb, importance + 32 * b, sigma2, 32, weight);
            float min = 0.f;
            const float d = make_qkx3_quants(32, 15, xb, weight, L, &min, Laux, -0.9f, 0.05f, 36, false);
            y.d = to_half(d, "q4_1", "scale");
            y.m = to_half(-min, "q4_1", "minimum");
            for (int j = 0; j < 16; ++j) y.qs[j] = static_cast<std::uint8_t>(L[j] | (L[j + 16] << 4));
        } else {
            float min = 0.f, max = 0.f;
            block_min_max(xb, min, max);
            const float d = (max - min) / 15;
            const float id = d != 0.f ? 1.0f / d : 0.0f;
            y.d = to_half(d, "q4_1", "scale");
            y.m = to_half(min, "q4_1", "minimum");
            for (int j = 0; j < 16; ++j) {
                const auto xi0 = static_cast<std::uint8_t>(std::min<int>(15, truncate_to_int8_x86(mul(xb[j] - min, id) + 0.5f)));
                const auto xi1 = static_cast<std::uint8_t>(std::min<int>(15, truncate_to_int8_x86(mul(xb[j + 16] - min, id) + 0.5f)));
                y.qs[j] = static_cast<std::uint8_t>(xi0 | (xi1 << 4));
            }
        }
        store_block(y, out + b * sizeof y);
    }
}

inline void dequantize_row(q4_1, const std::byte* in, std::int64_t n, float* y) {
    using namespace detail;
    for (std::size_t b = 0; b < blocks_in(n, 32); ++b, y += 32) {
        const auto blk = load_block<block_q4_1>(in + b * sizeof(block_q4_1));
        const float d = from_half(blk.d), m = from_half(blk.m);
        for (int j = 0; j < 16; ++j) {
            y[j] = mul(static_cast<float>(blk.qs[j] & 0x0f), d) + m;
            y[j + 16] = mul(static_cast<float>(blk.qs[j] >> 4), d) + m;
        }
    }
}

// ---- Q5_0 ----
inline void quantize_row(q5_0, const float* x, std::int64_t n, std::byte* out, const float* importance) {
    using namespace detail;
    const float sigma2 = importance ? row_mean_square(x, n) : 0.f;
    for (std::size_t b = 0; b < blocks_in(n, 32); ++b) {
        const float* xb = x + 32 * b;
        block_q5_0 y{};
        std::uint8_t code[32];
        if (importance) {
            float weight[32];
            std::int8_t L[32];
            importance_weights(xb, importance + 32 * b, sigma2, 32, weight);
            y.d = to_half(make_qx_quants(32, 16, xb, L, weight), "q5_0", "scale");
            for (int j = 0; j < 32; ++j) code[j] = static_cast<std::uint8_t>(L[j]);
        } else {
            float amax = 0.f;
            const float d = signed_absmax(xb, 32, amax) / -16;
            const float id = d != 0.f ? 1.0f / d : 0.0f;
            y.d = to_half(d, "q5_0", "scale");
            for (int j = 0; j < 32; ++j)
                code[j] = static_cast<std::uint8_t>(std::min<int>(31, truncate_to_int8_x86(mul(xb[j], id) + 16.5f)));
        }
        pack_q5(code, y.qs, y.qh);
        store_block(y, out + b * sizeof y);
    }
}

inline void dequantize_row(q5_0, const std::byte* in, std::int64_t n, float* y) {
    using namespace detail;
    for (std::size_t b = 0; b < blocks_in(n, 32); ++b, y += 32) {
        const auto blk = load_block<block_q5_0>(in + b * sizeof(block_q5_0));
        const float d = from_half(blk.d);
        const std::uint32_t high = high_bits(blk.qh);
        for (int j = 0; j < 32; ++j) y[j] = mul(static_cast<float>(q5_code(blk.qs, high, j) - 16), d);
    }
}

// ---- Q5_1 ----
inline void quantize_row(q5_1, const float* x, std::int64_t n, std::byte* out, const float* importance) {
    using namespace detail;
    const float sigma2 = importance ? row_mean_square(x, n) : 0.f;
    for (std::size_t b = 0; b < blocks_in(n, 32); ++b) {
        const float* xb = x + 32 * b;
        block_q5_1 y{};
        std::uint8_t code[32];
        if (importance) {
            float weight[32];
            std::uint8_t Laux[32];
            importance_weights(xb, importance + 32 * b, sigma2, 32, weight);
            float min = 0.f;
            const float d = make_qkx3_quants(32, 31, xb, weight, code, &min, Laux, -0.9f, 0.05f, 36, false);
            y.d = to_half(d, "q5_1", "scale");
            y.m = to_half(-min, "q5_1", "minimum");
        } else {
            float min = 0.f, max = 0.f;
            block_min_max(xb, min, max);
            const float d = (max - min) / 31;
            const float id = d != 0.f ? 1.0f / d : 0.0f;
            y.d = to_half(d, "q5_1", "scale");
            y.m = to_half(min, "q5_1", "minimum");
            // No clamp: ggml keeps the low bits of (uint8_t)(v + 0.5f).
            for (int j = 0; j < 32; ++j)
                code[j] = static_cast<std::uint8_t>(truncate_to_int8_x86(mul(xb[j] - min, id) + 0.5f));
        }
        pack_q5(code, y.qs, y.qh);
        store_block(y, out + b * sizeof y);
    }
}

inline void dequantize_row(q5_1, const std::byte* in, std::int64_t n, float* y) {
    using namespace detail;
    for (std::size_t b = 0; b < blocks_in(n, 32); ++b, y += 32) {
        const auto blk = load_block<block_q5_1>(in + b * sizeof(block_q5_1));
        const float d = from_half(blk.d), m = from_half(blk.m);
        const std::uint32_t high = high_bits(blk.qh);
        for (int j = 0; j < 32; ++j) y[j] = mul(static_cast<float>(q5_code(blk.qs, high, j)), d) + m;
    }
}

// ---- Q8_0 / Q8_1 ----
namespace detail {
template <class Block>
inline Block quantize_q8(const float* xb, const char* format, float& d_out) {
    float amax = 0.f;
    for (int j = 0; j < 32; ++j) amax = std::max(amax, std::fabs(xb[j]));
    const float d = amax / 127;
    const float id = d != 0.f ? 1.0f / d : 0.0f;
    Block y{};
    y.d = to_half(d, format, "scale");
    for (int j = 0; j < 32; ++j) y.qs[j] = round_away_to_int8(mul(xb[j], id));
    d_out = d;
    return y;
}
}  // namespace detail

inline void quantize_row(q8_0, const float* x, std::int64_t n, std::byte* out, const float*) {
    float d = 0.f;
    for (std::size_t b = 0; b < blocks_in(n, 32); ++b)
        detail::store_block(detail::quantize_q8<block_q8_0>(x + 32 * b, "q8_0", d), out + b * sizeof(block_q8_0));
}

inline void quantize_row(q8_1, const float* x, std::int64_t n, std::byte* out, const float*) {
    using namespace detail;
    for (std::size_t b = 0; b < blocks_in(n, 32); ++b) {
        float d = 0.f;
        auto y = quantize_q8<block_q8_1>(x + 32 * b, "q8_1", d);
        int sum = 0;
        for (int j = 0; j < 32; ++j) sum += y.qs[j];
        y.s = to_half(mul(static_cast<float>(sum), d), "q8_1", "sum");  // the fp32 d, not its fp16
        store_block(y, out + b * sizeof y);
    }
}

template <class Type>
inline void dequantize_q8(const std::byte* in, std::int64_t n, float* y) {
    using Block = typename Type::block;
    for (std::size_t b = 0; b < blocks_in(n, 32); ++b, y += 32) {
        const auto blk = detail::load_block<Block>(in + b * sizeof(Block));
        const float d = detail::from_half(blk.d);
        for (int j = 0; j < 32; ++j) y[j] = detail::mul(static_cast<float>(blk.qs[j]), d);
    }
}
inline void dequantize_row(q8_0, const std::byte* in, std::int64_t n, float* y) { dequantize_q8<q8_0>(in, n, y); }
inline void dequantize_row(q8_1, const std::byte* in, std::int64_t n, float* y) { dequantize_q8<q8_1>(in, n, y); }

}  // namespace lowbit::gguf::reference
