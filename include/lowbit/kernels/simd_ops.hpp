// lowbit/kernels/simd_ops.hpp - what xsimd 8.1 lacks for quantization kernels: narrowing int32
// lanes to bytes, widening bytes to int32 lanes, and horizontal min / max. One overload per xsimd
// architecture, chosen by the batch type, written with that architecture's intrinsics.
#pragma once

#include <cstdint>
#include <cstring>
#include <type_traits>
#include <utility>

#include <xsimd/xsimd.hpp>

#include "lowbit/core/half.hpp"
#include "lowbit/core/view.hpp"
#if XSIMD_WITH_SSE2
#include <immintrin.h>
#endif

namespace lowbit::kernels {

template <class XA>
using f32 = xsimd::batch<float, XA>;
template <class XA>
using i32 = xsimd::batch<std::int32_t, XA>;

#if XSIMD_WITH_SSE2
inline void stream_fence() { _mm_sfence(); }
#else
inline void stream_fence() {}
#endif

// Architectures without a wide nibble packer leave all codes to the caller's 16-byte loop.
template <class XA>
index_t pack_nibbles(const std::uint8_t*, index_t, std::uint8_t*, XA) {
    return 0;
}

// Round to nearest even, then convert exactly (architectures without embedded rounding).
template <class XA>
i32<XA> cvt_nearest_even(const f32<XA>& v) {
    return xsimd::batch_cast<std::int32_t>(xsimd::nearbyint(v));
}

// Each overload exists where the compiler flags enable its architecture. The declaration below
// only makes the name a template everywhere; calls resolve to an architecture's overload.
template <bool Signed, class XA>
i32<XA> load_bytes(const std::uint8_t* src, XA);
template <class XA>
void store_low_bytes(const i32<XA>& v, std::uint8_t* dst);
template <class XA>
f32<XA> round_even(const f32<XA>& v);
template <class XA>
f32<XA> gather(const float* base, const i32<XA>& index);
template <class XA>
std::uint32_t bitmask(const xsimd::batch_bool<float, XA>& m);
template <class XA, class Op>
f32<XA> reduce_each(const f32<XA>* v, Op op);
template <class XA>
float reduce_max(const f32<XA>& v);
template <class XA>
float reduce_min(const f32<XA>& v);
template <bool Signed, class XA>
void store_codes4(const i32<XA>& a, const i32<XA>& b, const i32<XA>& c, const i32<XA>& d, std::uint8_t* dst);

#if XSIMD_WITH_SSE4_1
// Stores the low byte of each int32 lane (the lanes hold codes in [-128, 255]).
inline void store_low_bytes(const i32<xsimd::sse4_1>& v, std::uint8_t* dst) {
    const __m128i m = _mm_and_si128(v, _mm_set1_epi32(0xff));
    const __m128i b = _mm_packus_epi16(_mm_packus_epi32(m, m), _mm_setzero_si128());
    const auto word = static_cast<std::uint32_t>(_mm_cvtsi128_si32(b));
    std::memcpy(dst, &word, 4);
}

// Round to nearest, ties to even, by the instruction's immediate (not MXCSR); exact.
inline f32<xsimd::sse4_1> round_even(const f32<xsimd::sse4_1>& v) {
    return _mm_round_ps(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
}

// Bit l set where lane l of the mask is true.
inline std::uint32_t bitmask(const xsimd::batch_bool<float, xsimd::sse4_1>& m) {
    return static_cast<std::uint32_t>(_mm_movemask_ps(m));
}

// Lane l is base[index[l]].
inline f32<xsimd::sse4_1> gather(const float* base, const i32<xsimd::sse4_1>& index) {
    alignas(16) std::int32_t i[4];
    index.store_aligned(i);
    return _mm_setr_ps(base[i[0]], base[i[1]], base[i[2]], base[i[3]]);
}

// Stores four batches of codes (each lane in [-128, 127] if Signed, else [0, 255]) as bytes, in
// order: saturating packs are exact on that range, and a permutation undoes their lane order.
template <bool Signed>
void store_codes4(const i32<xsimd::sse4_1>& a, const i32<xsimd::sse4_1>& b, const i32<xsimd::sse4_1>& c,
                  const i32<xsimd::sse4_1>& d, std::uint8_t* dst) {
    const __m128i ab = _mm_packs_epi32(a, b), cd = _mm_packs_epi32(c, d);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(dst), Signed ? _mm_packs_epi16(ab, cd) : _mm_packus_epi16(ab, cd));
}

template <bool Signed>
i32<xsimd::sse4_1> load_bytes(const std::uint8_t* src, xsimd::sse4_1) {
    std::int32_t word;
    std::memcpy(&word, src, 4);
    const __m128i b = _mm_cvtsi32_si128(word);
    return Signed ? _mm_cvtepi8_epi32(b) : _mm_cvtepu8_epi32(b);
}

inline float reduce_min(const f32<xsimd::sse4_1>& v) {
    __m128 m = _mm_min_ps(v, _mm_movehl_ps(v, v));
    m = _mm_min_ss(m, _mm_shuffle_ps(m, m, 1));
    return _mm_cvtss_f32(m);
}
inline float reduce_max(const f32<xsimd::sse4_1>& v) {
    __m128 m = _mm_max_ps(v, _mm_movehl_ps(v, v));
    m = _mm_max_ss(m, _mm_shuffle_ps(m, m, 1));
    return _mm_cvtss_f32(m);
}

// Non-temporal store of a batch to an address aligned to the batch size: large outputs bypass
// the caches and skip the read-for-ownership of ordinary stores. stream_fence() orders them.
inline void stream_store(const f32<xsimd::sse4_1>& v, float* p) { _mm_stream_ps(p, v); }

// reduce_each(v, op): lane k of the result is op folded over the lanes of v[k] (k < W), by a
// transposing tree: each level interleaves pairs of batches and combines them, halving the number
// of batches and doubling the groups each holds. op combines two batches lane-wise; min and max
// are associative and commutative, so the tree gives the same value as any other order.
template <class Op>
f32<xsimd::sse4_1> reduce_each(const f32<xsimd::sse4_1>* v, Op op) {
    using F = f32<xsimd::sse4_1>;
    const F a0 = op(F(_mm_unpacklo_ps(v[0], v[1])), F(_mm_unpackhi_ps(v[0], v[1])));
    const F a1 = op(F(_mm_unpacklo_ps(v[2], v[3])), F(_mm_unpackhi_ps(v[2], v[3])));
    return op(F(_mm_shuffle_ps(a0, a1, _MM_SHUFFLE(1, 0, 1, 0))), F(_mm_shuffle_ps(a0, a1, _MM_SHUFFLE(3, 2, 3, 2))));
}
#endif

#if XSIMD_WITH_AVX2
inline f32<xsimd::avx2> round_even(const f32<xsimd::avx2>& v) {
    return _mm256_round_ps(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
}

inline std::uint32_t bitmask(const xsimd::batch_bool<float, xsimd::avx2>& m) {
    return static_cast<std::uint32_t>(_mm256_movemask_ps(m));
}

inline f32<xsimd::avx2> gather(const float* base, const i32<xsimd::avx2>& index) {
    return _mm256_i32gather_ps(base, index, 4);
}

inline void store_low_bytes(const i32<xsimd::avx2>& v, std::uint8_t* dst) {
    const __m256i m = _mm256_and_si256(v, _mm256_set1_epi32(0xff));
    const __m128i w = _mm_packus_epi32(_mm256_castsi256_si128(m), _mm256_extracti128_si256(m, 1));
    _mm_storel_epi64(reinterpret_cast<__m128i*>(dst), _mm_packus_epi16(w, w));
}

template <bool Signed>
void store_codes4(const i32<xsimd::avx2>& a, const i32<xsimd::avx2>& b, const i32<xsimd::avx2>& c,
                  const i32<xsimd::avx2>& d, std::uint8_t* dst) {
    const __m256i ab = _mm256_packs_epi32(a, b), cd = _mm256_packs_epi32(c, d);
    const __m256i bytes = Signed ? _mm256_packs_epi16(ab, cd) : _mm256_packus_epi16(ab, cd);
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(dst),
                        _mm256_permutevar8x32_epi32(bytes, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7)));
}

template <bool Signed>
i32<xsimd::avx2> load_bytes(const std::uint8_t* src, xsimd::avx2) {
    const __m128i b = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(src));
    return Signed ? _mm256_cvtepi8_epi32(b) : _mm256_cvtepu8_epi32(b);
}

inline float reduce_min(const f32<xsimd::avx2>& v) {
    return reduce_min(f32<xsimd::sse4_1>(_mm_min_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1))));
}
inline float reduce_max(const f32<xsimd::avx2>& v) {
    return reduce_max(f32<xsimd::sse4_1>(_mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1))));
}

inline void stream_store(const f32<xsimd::avx2>& v, float* p) { _mm256_stream_ps(p, v); }

template <class Op>
f32<xsimd::avx2> reduce_each(const f32<xsimd::avx2>* v, Op op) {
    using F = f32<xsimd::avx2>;
    F a[4];
    for (int i = 0; i < 4; ++i)
        a[i] = op(F(_mm256_unpacklo_ps(v[2 * i], v[2 * i + 1])), F(_mm256_unpackhi_ps(v[2 * i], v[2 * i + 1])));
    F b[2];
    for (int i = 0; i < 2; ++i)
        b[i] = op(F(_mm256_shuffle_ps(a[2 * i], a[2 * i + 1], _MM_SHUFFLE(1, 0, 1, 0))),
                  F(_mm256_shuffle_ps(a[2 * i], a[2 * i + 1], _MM_SHUFFLE(3, 2, 3, 2))));
    return op(F(_mm256_permute2f128_ps(b[0], b[1], 0x20)), F(_mm256_permute2f128_ps(b[0], b[1], 0x31)));
}

#if defined(__F16C__)
// The f16 round trip of a batch (round to nearest even by the instruction's immediate, exact back),
// with the 16-bit patterns stored to `bits`. Needs F16C, which x86-64-v3 and later include.
inline f32<xsimd::avx2> f16_round_trip(const f32<xsimd::avx2>& x, std::uint16_t* bits) {
    const __m128i h = _mm256_cvtps_ph(x, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(bits), h);
    return _mm256_cvtph_ps(h);
}
#endif
#endif

#if XSIMD_WITH_AVX512BW
inline f32<xsimd::avx512bw> round_even(const f32<xsimd::avx512bw>& v) {
    return _mm512_roundscale_ps(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
}

inline std::uint32_t bitmask(const xsimd::batch_bool<float, xsimd::avx512bw>& m) {
    return static_cast<std::uint32_t>(static_cast<__mmask16>(m));
}

// columns[c] lane r = src[r * stride + c] for r, c < 16: a 16 x 16 transpose in four shuffle
// stages (64 shuffles for 256 floats; gathering them costs 16 microcoded gathers).
inline void transpose_square(const float* src, std::size_t stride, f32<xsimd::avx512bw>* columns) {
    __m512 r[16], t[16];
    for (std::size_t i = 0; i < 16; ++i) r[i] = _mm512_loadu_ps(src + i * stride);
    for (int k = 0; k < 8; ++k) {  // per 128-bit lane: rows 2k, 2k + 1 interleaved
        t[2 * k] = _mm512_unpacklo_ps(r[2 * k], r[2 * k + 1]);
        t[2 * k + 1] = _mm512_unpackhi_ps(r[2 * k], r[2 * k + 1]);
    }
    for (int k = 0; k < 4; ++k) {  // r[4k + c]: rows 4k..4k+3 of columns c, c + 4, c + 8, c + 12
        r[4 * k] = _mm512_shuffle_ps(t[4 * k], t[4 * k + 2], 0x44);
        r[4 * k + 1] = _mm512_shuffle_ps(t[4 * k], t[4 * k + 2], 0xee);
        r[4 * k + 2] = _mm512_shuffle_ps(t[4 * k + 1], t[4 * k + 3], 0x44);
        r[4 * k + 3] = _mm512_shuffle_ps(t[4 * k + 1], t[4 * k + 3], 0xee);
    }
    for (int c = 0; c < 4; ++c) {  // 128-bit lanes regrouped twice: column c, c + 4, c + 8, c + 12
        const __m512 v0 = _mm512_shuffle_f32x4(r[c], r[4 + c], 0x88), v1 = _mm512_shuffle_f32x4(r[c], r[4 + c], 0xdd);
        const __m512 v2 = _mm512_shuffle_f32x4(r[8 + c], r[12 + c], 0x88), v3 = _mm512_shuffle_f32x4(r[8 + c], r[12 + c], 0xdd);
        columns[c] = _mm512_shuffle_f32x4(v0, v2, 0x88);
        columns[c + 8] = _mm512_shuffle_f32x4(v0, v2, 0xdd);
        columns[c + 4] = _mm512_shuffle_f32x4(v1, v3, 0x88);
        columns[c + 12] = _mm512_shuffle_f32x4(v1, v3, 0xdd);
    }
}

inline f32<xsimd::avx512bw> gather(const float* base, const i32<xsimd::avx512bw>& index) {
    return _mm512_i32gather_ps(index, base, 4);
}

inline void store_low_bytes(const i32<xsimd::avx512bw>& v, std::uint8_t* dst) {
    _mm_storeu_si128(reinterpret_cast<__m128i*>(dst), _mm512_cvtepi32_epi8(v));
}

template <bool Signed>
void store_codes4(const i32<xsimd::avx512bw>& a, const i32<xsimd::avx512bw>& b, const i32<xsimd::avx512bw>& c,
                  const i32<xsimd::avx512bw>& d, std::uint8_t* dst) {
    const __m512i ab = _mm512_packs_epi32(a, b), cd = _mm512_packs_epi32(c, d);
    const __m512i bytes = Signed ? _mm512_packs_epi16(ab, cd) : _mm512_packus_epi16(ab, cd);
    const __m512i order = _mm512_setr_epi32(0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15);
    _mm512_storeu_si512(dst, _mm512_permutexvar_epi32(order, bytes));
}

// Packs 4-bit codes (one per byte, low nibble) pairwise into bytes, code 2j in the low nibble: in
// 16-bit lane j, t = lane & 0x0f0f and t | t >> 4 holds both codes in its low byte, which the
// truncating narrow keeps. Returns how many codes it packed (a multiple of 64).
inline index_t pack_nibbles(const std::uint8_t* codes, index_t n, std::uint8_t* out, xsimd::avx512bw) {
    index_t i = 0;
    for (; i + 64 <= n; i += 64) {
        const __m512i t = _mm512_and_si512(_mm512_loadu_si512(codes + i), _mm512_set1_epi8(0x0f));
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + i / 2), _mm512_cvtepi16_epi8(_mm512_or_si512(t, _mm512_srli_epi16(t, 4))));
    }
    return i;
}

// Round to nearest even and convert in one instruction: the rounding is embedded in the
// instruction, not read from MXCSR.
inline i32<xsimd::avx512bw> cvt_nearest_even(const f32<xsimd::avx512bw>& v) {
    return _mm512_cvt_roundps_epi32(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
}

template <bool Signed>
i32<xsimd::avx512bw> load_bytes(const std::uint8_t* src, xsimd::avx512bw) {
    const __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(src));
    return Signed ? _mm512_cvtepi8_epi32(b) : _mm512_cvtepu8_epi32(b);
}

inline float reduce_min(const f32<xsimd::avx512bw>& v) { return _mm512_reduce_min_ps(v); }
inline float reduce_max(const f32<xsimd::avx512bw>& v) { return _mm512_reduce_max_ps(v); }

inline void stream_store(const f32<xsimd::avx512bw>& v, float* p) { _mm512_stream_ps(p, v); }

template <class Op>
f32<xsimd::avx512bw> reduce_each(const f32<xsimd::avx512bw>* v, Op op) {
    using F = f32<xsimd::avx512bw>;
    F a[8];
    for (int i = 0; i < 8; ++i)
        a[i] = op(F(_mm512_unpacklo_ps(v[2 * i], v[2 * i + 1])), F(_mm512_unpackhi_ps(v[2 * i], v[2 * i + 1])));
    F b[4];
    for (int i = 0; i < 4; ++i)
        b[i] = op(F(_mm512_shuffle_ps(a[2 * i], a[2 * i + 1], _MM_SHUFFLE(1, 0, 1, 0))),
                  F(_mm512_shuffle_ps(a[2 * i], a[2 * i + 1], _MM_SHUFFLE(3, 2, 3, 2))));
    F c[2];
    for (int i = 0; i < 2; ++i)
        c[i] = op(F(_mm512_shuffle_f32x4(b[2 * i], b[2 * i + 1], _MM_SHUFFLE(2, 0, 2, 0))),
                  F(_mm512_shuffle_f32x4(b[2 * i], b[2 * i + 1], _MM_SHUFFLE(3, 1, 3, 1))));
    return op(F(_mm512_shuffle_f32x4(c[0], c[1], _MM_SHUFFLE(2, 0, 2, 0))),
              F(_mm512_shuffle_f32x4(c[0], c[1], _MM_SHUFFLE(3, 1, 3, 1))));
}

#if defined(__F16C__)
inline f32<xsimd::avx512bw> f16_round_trip(const f32<xsimd::avx512bw>& x, std::uint16_t* bits) {
    const __m256i h = _mm512_cvtps_ph(x, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(bits), h);
    return _mm512_cvtph_ps(h);
}
#endif
#endif

// Whether f16_round_trip exists for an architecture (x86 vector tags from avx2 up, with F16C).
template <class XA, class = void>
inline constexpr bool has_f16_round_trip = false;
template <class XA>
inline constexpr bool has_f16_round_trip<
    XA, std::void_t<decltype(f16_round_trip(std::declval<f32<XA>>(), static_cast<std::uint16_t*>(nullptr)))>> = true;

// Whether transpose_square exists for an architecture.
template <class XA, class = void>
inline constexpr bool has_transpose_square = false;
template <class XA>
inline constexpr bool has_transpose_square<
    XA, std::void_t<decltype(transpose_square(static_cast<const float*>(nullptr), std::size_t{}, static_cast<f32<XA>*>(nullptr)))>> = true;

// columns[c] lane r = src[r * stride + c] for r < W (the batch size) and c < count, a multiple of
// W: square transposes where the architecture has them, gathers otherwise.
template <class XA>
void load_transposed(const float* src, std::size_t stride, int count, f32<XA>* columns) {
    constexpr int W = static_cast<int>(f32<XA>::size);
    if constexpr (has_transpose_square<XA>) {
        for (int c0 = 0; c0 < count; c0 += W) transpose_square(src + c0, stride, columns + c0);
    } else {
        alignas(64) std::int32_t index[f32<XA>::size];
        for (int r = 0; r < W; ++r) index[r] = r * static_cast<std::int32_t>(stride);
        const i32<XA> idx = i32<XA>::load_aligned(index);
        for (int c = 0; c < count; ++c) columns[c] = gather(src + c, idx);
    }
}

// The fp16 patterns (round to nearest even) of a batch: F16C where the architecture has it, else
// the exact scalar conversion lane by lane.
template <class XA>
void to_fp16_bits(const f32<XA>& v, std::uint16_t* bits) {
    if constexpr (has_f16_round_trip<XA>) {
        (void)f16_round_trip(v, bits);
    } else {
        alignas(64) float lanes[f32<XA>::size];
        v.store_aligned(lanes);
        for (std::size_t k = 0; k < f32<XA>::size; ++k) bits[k] = float_to_fp16_bits(lanes[k]);
    }
}

}  // namespace lowbit::kernels
