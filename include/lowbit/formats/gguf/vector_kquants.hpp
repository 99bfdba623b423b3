// lowbit/formats/gguf/vector_kquants.hpp - Q2_K .. Q6_K quantization with one sub-block per lane.
//
// Phases A (weights and scale search) and C (requantization) of kquant_phases.hpp run on xsimd
// batches: A with lane k searching sub-block k (vector_search.hpp, N batches in lockstep), C with
// one element per lane. Phases B and D are the reference's own functions. Sub-blocks are taken in
// order across super-blocks and rows (the rows of a range are contiguous), W at a time; a group
// that runs past the last super-block is padded with zeros whose results are discarded. Every lane
// performs the scalar sequence of operations, so the bytes equal the reference's
// (tests/test_gguf_kernels.cpp proves it for every compiled tag).
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "lowbit/core/config.hpp"
#include "lowbit/formats/gguf/kquant_phases.hpp"
#include "lowbit/formats/gguf/vector_search.hpp"
#include "lowbit/kernels/simd_ops.hpp"

namespace lowbit::gguf::detail {

template <class T, class XA, int N>
struct vector_kquant : vector_search<XA, N> {
    using base = vector_search<XA, N>;
    using typename base::F;
    using typename base::I;
    using base::W;
    using base::mul;
    using tr = reference::detail::kquant_traits<T>;
    static constexpr int sub = tr::sub;
    static constexpr int subs = super_block / sub;
    static constexpr int group = W > subs ? W / subs : 1;  // super-blocks per group
    static constexpr int group_lanes = group * subs;      // a multiple of W
    static constexpr int batches = group_lanes / W;
    static_assert(group_lanes % W == 0, "a lane group must cover whole super-blocks");

    // Lane-wise phase A for W sub-blocks: x[i] holds element i of each lane's sub-block.
    LOWBIT_FLATTEN static void search(const F* x, const F* qw, const F& sigma2, F* L, F& scale, F& min, F& sw) {
        F weights[extent<sub>];
        if (qw) {
            F sum(0.f);
            for (int i = 0; i < sub; ++i) weights[i] = mul(qw[i], base::sqrt(sigma2 + mul(x[i], x[i])));
            for (int i = 0; i < sub; ++i) sum += weights[i];
            sw = sum;
        }
        F Laux[extent<sub>];
        if constexpr (std::is_same_v<T, q2_K>) {
            if (qw) {
                scale = base::template make_qkx_quants<true, sub, 3, false>(x, weights, L, min, Laux, -0.9f, 0.05f, 36);
            } else {
                for (int i = 0; i < sub; ++i) weights[i] = base::abs(x[i]);
                scale = base::template make_qkx_quants<false, sub, 3, true>(x, weights, L, min, Laux, -0.5f, 0.1f, 15);
            }
        } else if constexpr (std::is_same_v<T, q3_K>) {
            scale = qw ? base::template make_qx_quants<sub, 4>(x, L, weights) : base::template make_q3_quants<sub, 4>(x, L);
        } else if constexpr (std::is_same_v<T, q6_K>) {
            scale = base::template make_qx_quants<sub, 32>(x, L, qw);
        } else {  // q4_K, q5_K
            constexpr bool q4 = std::is_same_v<T, q4_K>;
            if (qw) {
                scale = base::template make_qkx_quants<true, sub, tr::hi, false>(x, weights, L, min, Laux, -0.9f, 0.05f, 36);
            } else {
                F sum_x2(0.f);
                for (int i = 0; i < sub; ++i) sum_x2 += mul(x[i], x[i]);
                const F av_x = base::sqrt(sum_x2 / F(32.f));
                for (int i = 0; i < sub; ++i) weights[i] = av_x + base::abs(x[i]);
                scale = base::template make_qkx_quants<false, sub, tr::hi, false>(x, weights, L, min, Laux, q4 ? -1.f : -0.5f, 0.1f,
                                                                                  q4 ? 20 : 15);
            }
        }
    }

    // Phase C with one element per lane (the division is exact lane-wise); sub-blocks whose decoded
    // scale is 0 keep the search's codes, which `search_codes(j, i)` returns.
    template <class SearchCodes>
    static void requantize(const float* x, const float* d, const float* m, std::uint8_t* L, SearchCodes search_codes) {
        using one = lanes<XA, 1>;
        using FB = typename one::F;
        for (int j = 0; j < subs; ++j) {
            if (d[j] == 0.f) {
                for (int i = 0; i < sub; ++i) L[sub * j + i] = static_cast<std::uint8_t>(search_codes(j, i));
                continue;
            }
            const FB dj(d[j]), mj(m[j]);
            for (int c = 0; c < sub; c += one::W) {
                const FB v = (one::load(x + sub * j + c) + mj) / dj;
                const auto codes = one::clamp(one::nearest_int(v), tr::lo, tr::hi) - typename one::I(tr::lo);
                kernels::store_low_bytes(codes.part[0], L + sub * j + c);
            }
        }
    }

    LOWBIT_FLATTEN static void quantize_rows(const float* src, std::int64_t rows, std::int64_t cols, std::byte* dst, const float* importance) {
        const std::int64_t per_row = cols / super_block, total = rows * per_row;
        alignas(64) float padded[extent<group * super_block>];
        alignas(64) float qw_group[extent<group * super_block>];
        alignas(64) float codes[extent<batches>][extent<sub>][extent<W>];
        for (std::int64_t g0 = 0; g0 < total; g0 += group) {
            const int count = static_cast<int>(std::min<std::int64_t>(group, total - g0));
            const float* xg = src + g0 * super_block;
            if (count < group) {  // the last group: zero padding
                std::fill(padded, padded + group * super_block, 0.f);
                std::copy(xg, xg + count * super_block, padded);
                xg = padded;
            }
            float sigma2[extent<group>] = {};
            if (importance) {
                for (int k = 0; k < group; ++k) {
                    const float* qk = importance + ((g0 + k) % per_row) * super_block;
                    std::copy(qk, qk + super_block, qw_group + k * super_block);
                    sigma2[k] = reference::detail::importance_sigma2<T>(xg + k * super_block);
                }
            }
            reference::detail::kquant_work work[extent<group>];
            for (int b = 0; b < batches; ++b) {
                F x[extent<sub>], qw[extent<sub>];
                base::load_transposed(xg + b * W * sub, sub, sub, x);
                if (importance) base::load_transposed(qw_group + b * W * sub, sub, sub, qw);
                alignas(64) float s2[extent<W>];
                for (int l = 0; l < W; ++l) s2[l] = sigma2[(b * W + l) / subs];
                F L[extent<sub>];
                F scale(0.f), min(0.f), sw(0.f);
                search(x, importance ? qw : nullptr, importance ? base::load(s2) : F(0.f), L, scale, min, sw);
                alignas(64) float sc[extent<W>], mn[extent<W>], sws[extent<W>];
                base::store(scale, sc);
                base::store(min, mn);
                base::store(sw, sws);
                for (int i = 0; i < sub; ++i) base::store(L[i], codes[b][i]);  // integral floats
                for (int l = 0; l < W; ++l) {
                    const int s = b * W + l, k = s / subs, j = s % subs;
                    work[k].scales[j] = sc[l];
                    work[k].mins[j] = mn[l];
                    work[k].sw[j] = sws[l];
                }
            }
            for (int k = 0; k < count; ++k) {
                const auto search_codes = [&](int j, int i) {
                    const int s = k * subs + j;
                    return codes[s / W][i][s % W];
                };
                const auto y = reference::detail::finish_block<T>(
                    xg + k * super_block, work[k], importance != nullptr,
                    [&](const float* x, const float* d, const float* m, std::uint8_t* L) { requantize(x, d, m, L, search_codes); });
                store_block(y, dst + static_cast<std::size_t>(g0 + k) * sizeof y);
            }
        }
    }
};

}  // namespace lowbit::gguf::detail
