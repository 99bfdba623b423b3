// lowbit/formats/gguf/vector_legacy.hpp - Q4_0 and Q8_0 on xsimd batches, byte-exact with the
// scalar reference (reference_legacy.hpp).
//
// W blocks of 32 at a time: each block's absolute maximum is folded across its batches and the W
// maxima are transposed into one batch (reduce_each), so the scales d, their reciprocals and their
// fp16 patterns are computed for W blocks in one go. Codes are then computed a batch at a time with
// the reference's exact operations: an unfused product, then
// - Q8_0: roundf, half away from zero: t = trunc(p), plus sign(p) where |p - t| >= 1/2 (p - t is
//   exact), converted by truncation;
// - Q4_0: p + 8.5 truncated (x86's INT32_MIN for NaN and out-of-range operands), its low byte as a
//   signed int8 clamped to 15, two codes per byte.
// A range that is not a multiple of W blocks finishes with the reference.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "lowbit/core/half.hpp"
#include "lowbit/formats/gguf/lanes.hpp"
#include "lowbit/formats/gguf/reference_legacy.hpp"
#include "lowbit/kernels/simd_ops.hpp"

namespace lowbit::gguf::detail {

template <class XA>
struct vector_legacy {
    using one = lanes<XA, 1>;
    using FB = xsimd::batch<float, XA>;
    using IB = xsimd::batch<std::int32_t, XA>;
    static constexpr int W = static_cast<int>(FB::size);
    static constexpr int per_block = 32 / W;  // batches per block

    static int lowest_set_bit(std::uint32_t bits) {  // bits != 0
#if defined(__GNUC__)
        return __builtin_ctz(bits);
#else
        int i = 0;
        while (!((bits >> i) & 1u)) ++i;
        return i;
#endif
    }

    // These kernels stream: the hardware prefetcher alone leaves DRAM latency exposed (measured on
    // 64 MiB: 15-19 GB/s without, 29-32 GB/s with the input prefetched four groups, 8 KiB, ahead).
    static void prefetch_ahead(const float* x) {
#if defined(__GNUC__)
        for (int l = 0; l < 32 * W; l += 16) __builtin_prefetch(x + 4 * 32 * W + l, 0, 3);
#else
        (void)x;
#endif
    }

    static FB mul(const FB& a, const FB& b) { return FB(unfused(static_cast<typename FB::register_type>(a * b))); }

    // Lane k: max |x| over block k of the W blocks at x.
    static FB block_absmax(const float* x) {
        FB m[extent<W>];
        for (int k = 0; k < W; ++k) {
            FB a = xsimd::abs(FB::load_unaligned(x + 32 * k));
            for (int b = 1; b < per_block; ++b) a = xsimd::max(a, xsimd::abs(FB::load_unaligned(x + 32 * k + W * b)));
            m[k] = a;
        }
        return kernels::reduce_each(m, [](const FB& a, const FB& b) { return xsimd::max(a, b); });
    }

    // The fp16 patterns of W block scales d (a scale that does not fit is the reference's error)
    // and the reciprocals 1 / d (0 where d is 0) the codes are computed with.
    static void block_scales(const FB& d, std::uint16_t* bits, float* id, const char* format) {
        alignas(64) float dv[extent<W>];
        d.store_aligned(dv);
        kernels::to_fp16_bits(d, bits);
        for (int k = 0; k < W; ++k)
            if ((bits[k] & 0x7c00u) == 0x7c00u) (void)to_half(dv[k], format, "scale");  // throws with the reference's message
        xsimd::select(d != FB(0.f), FB(1.f) / d, FB(0.f)).store_aligned(id);
    }

    static IB round_away(const FB& p) {  // roundf, then C's truncating conversion
        const FB t = xsimd::trunc(p);
        const FB adjust = xsimd::select(xsimd::abs(p - t) >= FB(0.5f), xsimd::select(p < FB(0.f), FB(-1.f), FB(1.f)), FB(0.f));
        return xsimd::to_int(t + adjust);
    }

    static void quantize_q8_0(const float* x, std::int64_t blocks, std::byte* dst) {
        const std::int64_t full = blocks - blocks % W;
        for (std::int64_t g = 0; g < full; g += W, x += 32 * W) {
            prefetch_ahead(x);
            alignas(64) std::uint16_t bits[extent<W>];
            alignas(64) float idv[extent<W>];
            block_scales(block_absmax(x) / FB(127.f), bits, idv, "q8_0");
            for (int k = 0; k < W; ++k) {
                auto* out = reinterpret_cast<std::uint8_t*>(dst + static_cast<std::size_t>(g + k) * sizeof(block_q8_0));
                std::memcpy(out, &bits[k], 2);
                for (int b = 0; b < per_block; ++b)
                    kernels::store_low_bytes(round_away(mul(FB::load_unaligned(x + 32 * k + W * b), FB(idv[k]))), out + 2 + W * b);
            }
        }
        for (std::int64_t g = full; g < blocks; ++g, x += 32)
            reference::quantize_row(q8_0{}, x, 32, dst + static_cast<std::size_t>(g) * sizeof(block_q8_0), nullptr);
    }

    static IB q4_0_code(const FB& x, const FB& id) {  // min(15, (int8)(x * id + 8.5))
        const IB c = xsimd::to_int(mul(x, id) + FB(8.5f));
        return xsimd::min((c << 24) >> 24, IB(15));
    }

    static void quantize_q4_0(const float* x, std::int64_t blocks, std::byte* dst) {
        const std::int64_t full = blocks - blocks % W;
        for (std::int64_t g = 0; g < full; g += W, x += 32 * W) {
            prefetch_ahead(x);
            alignas(64) float amax[extent<W>], maxv[extent<W>];
            block_absmax(x).store_aligned(amax);
            for (int k = 0; k < W; ++k) {  // the signed element of largest magnitude, the first on ties
                if (amax[k] == 0.f) {
                    maxv[k] = 0.f;
                    continue;
                }
                std::uint32_t hits = 0;
                for (int b = 0; b < per_block; ++b)
                    hits |= kernels::bitmask(xsimd::abs(FB::load_unaligned(x + 32 * k + W * b)) == FB(amax[k])) << (W * b);
                maxv[k] = x[32 * k + lowest_set_bit(hits)];
            }
            alignas(64) std::uint16_t bits[extent<W>];
            alignas(64) float idv[extent<W>];
            block_scales(FB::load_aligned(maxv) / FB(-8.f), bits, idv, "q4_0");
            for (int k = 0; k < W; ++k) {
                auto* out = reinterpret_cast<std::uint8_t*>(dst + static_cast<std::size_t>(g + k) * sizeof(block_q4_0));
                std::memcpy(out, &bits[k], 2);
                const FB idk(idv[k]);
                for (int b = 0; b < per_block / 2; ++b) {
                    const IB lo = q4_0_code(FB::load_unaligned(x + 32 * k + W * b), idk);
                    const IB hi = q4_0_code(FB::load_unaligned(x + 32 * k + 16 + W * b), idk);
                    kernels::store_low_bytes(lo | (hi << 4), out + 2 + W * b);
                }
            }
        }
        for (std::int64_t g = full; g < blocks; ++g, x += 32)
            reference::quantize_row(q4_0{}, x, 32, dst + static_cast<std::size_t>(g) * sizeof(block_q4_0), nullptr);
    }

    static void dequantize_q8_0(const std::byte* src, std::int64_t blocks, float* y) {
        for (std::int64_t g = 0; g < blocks; ++g, y += 32) {
            const auto* in = reinterpret_cast<const std::uint8_t*>(src + static_cast<std::size_t>(g) * sizeof(block_q8_0));
            std::uint16_t h;
            std::memcpy(&h, in, 2);
            const FB d(fp16_bits_to_float(h));
            for (int b = 0; b < per_block; ++b)
                (xsimd::to_float(kernels::load_bytes<true>(in + 2 + W * b, XA{})) * d).store_unaligned(y + W * b);
        }
    }

    static void dequantize_q4_0(const std::byte* src, std::int64_t blocks, float* y) {
        for (std::int64_t g = 0; g < blocks; ++g, y += 32) {
            const auto* in = reinterpret_cast<const std::uint8_t*>(src + static_cast<std::size_t>(g) * sizeof(block_q4_0));
            std::uint16_t h;
            std::memcpy(&h, in, 2);
            const FB d(fp16_bits_to_float(h));
            for (int b = 0; b < per_block / 2; ++b) {
                const IB q = kernels::load_bytes<false>(in + 2 + W * b, XA{});
                (xsimd::to_float((q & IB(15)) - IB(8)) * d).store_unaligned(y + W * b);
                (xsimd::to_float((q >> 4) - IB(8)) * d).store_unaligned(y + 16 + W * b);
            }
        }
    }
};

}  // namespace lowbit::gguf::detail
