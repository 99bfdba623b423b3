// lowbit/gemm/kernel_s8_maddubs.hpp - the int8 tiles for CPUs without VNNI: AVX-512BW (zmm) and
// AVX2 (ymm), with VPMADDUBSW.
//
// VPMADDUBSW multiplies unsigned bytes by signed bytes and adds adjacent pairs into an int16 with
// saturation. On u = q + 128 and w it would saturate (2 x 255 x 128 > 32767), so it is fed the
// magnitude |w| (0..128, an unsigned byte) and q with the sign of w moved onto it:
//     |w| x (sign(w) q) = w q,    |pair| <= 2 x 128 x 127 = 32512 <= 32767,
// which is exact because the activation codes stop at -127 (activations_u8.hpp) and so never meet
// the one value, -128, whose negation does not fit a byte. VPMADDWD with ones then adds the int16
// pairs into the int32 lane that holds four k of one channel, the layout VPDPBUSD uses; the sums
// are those of the signed codes directly, with no column-sum correction; a later pass over K adds
// acc to them.
#pragma once

#include <cstddef>
#include <cstdint>

#include "lowbit/arch/tags.hpp"
#include "lowbit/core/config.hpp"
#include "lowbit/gemm/packed_s8.hpp"
#include "lowbit/gemm/tile_args.hpp"
#if defined(__AVX2__)
#include <immintrin.h>
#endif

namespace lowbit::gemm::detail {

#if defined(__AVX512BW__)
template <int MR, int NP>
LOWBIT_ALWAYS_INLINE void run_tile(const tile_args& t, arch::avx512bw) {
    const std::uint8_t* const u = t.u;
    const std::int64_t ldu = t.ldu;
    const std::int8_t* const w = t.w;
    const std::int64_t panel_bytes = t.panel_bytes, groups = t.groups;
    std::int32_t* const acc = t.acc;
    const std::int64_t ldc = t.ldc;
    constexpr auto mr = static_cast<std::size_t>(MR), np = static_cast<std::size_t>(NP);
    __m512i sum[mr][np];
    for (std::size_t r = 0; r < mr; ++r)
        for (std::size_t j = 0; j < np; ++j) sum[r][j] = _mm512_setzero_si512();  // from zero: see the ymm VNNI tile
    const __m512i ones = _mm512_set1_epi16(1), zero = _mm512_setzero_si512();
    for (std::int64_t g = 0; g < groups; ++g) {
        __m512i magnitude[np];
        __mmask64 negative[np];
        for (std::size_t j = 0; j < np; ++j) {
            const __m512i wj = _mm512_load_si512(w + static_cast<std::int64_t>(j) * panel_bytes + g * 64);
            magnitude[j] = _mm512_abs_epi8(wj);
            negative[j] = _mm512_movepi8_mask(wj);
        }
        for (std::size_t r = 0; r < mr; ++r) {
            const __m512i q = _mm512_set1_epi32(signed_four(u + static_cast<std::int64_t>(r) * ldu + 4 * g));
            for (std::size_t j = 0; j < np; ++j) {
                const __m512i signed_q = _mm512_mask_sub_epi8(q, negative[j], zero, q);
                sum[r][j] = _mm512_add_epi32(sum[r][j], _mm512_madd_epi16(_mm512_maddubs_epi16(magnitude[j], signed_q), ones));
            }
        }
    }
    for (std::size_t r = 0; r < mr; ++r)
        for (std::size_t j = 0; j < np; ++j) {
            std::int32_t* out = acc + static_cast<std::int64_t>(r) * ldc + static_cast<std::int64_t>(j) * panel_cols;
            _mm512_storeu_si512(out, t.accumulate ? _mm512_add_epi32(sum[r][j], _mm512_loadu_si512(out)) : sum[r][j]);
        }
}
#endif

#if defined(__AVX2__)
template <int MR, int NP>
LOWBIT_ALWAYS_INLINE void run_tile(const tile_args& t, arch::avx2) {
    const std::uint8_t* const u = t.u;
    const std::int64_t ldu = t.ldu;
    const std::int8_t* const w = t.w;
    const std::int64_t panel_bytes = t.panel_bytes, groups = t.groups;
    std::int32_t* const acc = t.acc;
    const std::int64_t ldc = t.ldc;
    constexpr auto mr = static_cast<std::size_t>(MR), halves = static_cast<std::size_t>(2 * NP);
    __m256i sum[mr][halves];
    for (std::size_t r = 0; r < mr; ++r)
        for (std::size_t h = 0; h < halves; ++h) sum[r][h] = _mm256_setzero_si256();  // from zero: see the ymm VNNI tile
    const __m256i ones = _mm256_set1_epi16(1);
    for (std::int64_t g = 0; g < groups; ++g) {
        __m256i wh[halves], magnitude[halves];
        for (std::size_t h = 0; h < halves; ++h) {
            wh[h] = _mm256_load_si256(reinterpret_cast<const __m256i*>(w + static_cast<std::int64_t>(h / 2) * panel_bytes + g * 64 + static_cast<std::int64_t>(h % 2) * 32));
            magnitude[h] = _mm256_abs_epi8(wh[h]);
        }
        for (std::size_t r = 0; r < mr; ++r) {
            const __m256i q = _mm256_set1_epi32(signed_four(u + static_cast<std::int64_t>(r) * ldu + 4 * g));
            for (std::size_t h = 0; h < halves; ++h)
                sum[r][h] = _mm256_add_epi32(sum[r][h], _mm256_madd_epi16(_mm256_maddubs_epi16(magnitude[h], _mm256_sign_epi8(q, wh[h])), ones));
        }
    }
    for (std::size_t r = 0; r < mr; ++r)
        for (std::size_t h = 0; h < halves; ++h) {
            auto* out = reinterpret_cast<__m256i*>(acc + static_cast<std::int64_t>(r) * ldc + static_cast<std::int64_t>(8 * h));
            _mm256_storeu_si256(out, t.accumulate ? _mm256_add_epi32(sum[r][h], _mm256_loadu_si256(out)) : sum[r][h]);
        }
}
#endif

}  // namespace lowbit::gemm::detail
