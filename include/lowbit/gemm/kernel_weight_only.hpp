// lowbit/gemm/kernel_weight_only.hpp - weight-only micro-kernels: float activations times int8
// (packed_s8.hpp) or 4-bit (packed_groups.hpp) weights dequantized in registers, f32 FMA; the float
// results of gemm/reference.hpp (linear_w8_f32, linear_w4_f32) bit for bit.
//
// Both packings hold, per 64-byte chunk, one int32 lane per channel with 4 (int8) or 8 (4-bit) k;
// a shift isolates the k-th weight of every lane at once. int8 weights: shift left then
// arithmetic right, convert. 4-bit codes: a lane's low 4 bits index a 16-entry table of the floats
// c - t (VPERMPS on zmm; AND and convert on ymm). Four accumulators per vector, one per k mod 4,
// keep four FMA chains in flight, in the reference's order.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>

#include "lowbit/arch/tags.hpp"
#include "lowbit/core/config.hpp"
#include "lowbit/gemm/kernel_grouped.hpp"
#include "lowbit/gemm/packed_groups.hpp"
#include "lowbit/gemm/packed_s8.hpp"
#if defined(__AVX2__)
#include <immintrin.h>
#endif

namespace lowbit::gemm::detail {

struct w8f_args {
    const float* x;            // activation rows, K padded to k4 with zeros, ldx floats apart
    std::int64_t ldx;
    const std::int8_t* w;      // the tile's first panel
    std::int64_t k4;
    const float* scales;       // the tile's channel scales
    float* out;                // rows ldo apart
    std::int64_t ldo;
    const std::int8_t* prefetch;  // the next block's first panel, or null
};

template <class Scale>
struct w4f_args {
    const float* x;            // activation rows, ldx floats apart
    std::int64_t ldx;
    const float* xsums;        // affine weights: xs[r][g], rows ldxs apart
    std::int64_t ldxs;
    const packed_s4<Scale>* w;
    std::int64_t panel;
    float* out;
    std::int64_t ldo;
    std::int64_t prefetch_panel;  // or -1
};

// The layout-aware references every tag falls back to.
template <int MR, int NP>
LOWBIT_NO_AUTOVECTORIZE void run_w8f_tile(const w8f_args& t, arch::scalar) {
    for (int r = 0; r < MR; ++r)
        for (int c = 0; c < NP * panel_cols; ++c) {
            const std::int8_t* panel = t.w + (c / panel_cols) * t.k4 * panel_cols;
            float a[4] = {0.f, 0.f, 0.f, 0.f};
            for (std::int64_t kk = 0; kk < t.k4; ++kk)
                a[kk % 4] = std::fma(t.x[r * t.ldx + kk], static_cast<float>(panel[(kk / 4) * 64 + 4 * (c % panel_cols) + kk % 4]), a[kk % 4]);
            t.out[r * t.ldo + c] = ((a[0] + a[1]) + (a[2] + a[3])) * t.scales[c];
        }
}

template <int MR, int NP, class Scale>
LOWBIT_NO_AUTOVECTORIZE void run_w4f_tile(const w4f_args<Scale>& t, arch::scalar) {
    const packed_s4<Scale>& w = *t.w;
    const int shift_code = w.affine ? 0 : 8;
    for (int r = 0; r < MR; ++r)
        for (int c = 0; c < NP * panel_cols; ++c) {
            const std::int64_t j = c % panel_cols;
            float acc = 0.f;
            for (std::int64_t g = 0; g < w.groups; ++g) {
                const std::uint8_t* rec = w.record(t.panel + c / panel_cols, g);
                float p[4] = {0.f, 0.f, 0.f, 0.f};
                for (std::int64_t kk = 0; kk < w.group; ++kk)
                    p[kk % 4] = std::fma(t.x[r * t.ldx + g * w.group + kk], static_cast<float>(w.code(rec, j, kk) - shift_code), p[kk % 4]);
                float d = (p[0] + p[1]) + (p[2] + p[3]);
                if (w.affine) d = std::fma(-static_cast<float>(w.zero_point(rec, j)), t.xsums[r * t.ldxs + g], d);
                acc = std::fma(w.scale(rec, j), d, acc);
            }
            t.out[r * t.ldo + c] = acc;
        }
}

#if defined(__AVX2__) && defined(__FMA__) && defined(__F16C__)
// One output vector's accumulators: one chain per k mod 4, and the sum over groups (4-bit).
template <class Ops>
struct wo_cell {
    typename Ops::vf c0, c1, c2, c3, acc;
};

// Calls f(cell, row, vector) for the MR x NV cells of a tile (at most 2 x 2, named, not an array:
// g++ 12 keeps arrays of vector registers in memory).
template <int MR, int NV, class Cell, class F>
LOWBIT_ALWAYS_INLINE void each_cell(Cell& s00, Cell& s01, Cell& s10, Cell& s11, F&& f) {
    static_assert(MR >= 1 && MR <= 2 && NV >= 1 && NV <= 2, "a weight-only tile is at most 2 rows x 2 vectors");
    f(s00, 0, 0);
    if constexpr (NV > 1) f(s01, 0, 1);
    if constexpr (MR > 1) f(s10, 1, 0);
    if constexpr (MR > 1 && NV > 1) f(s11, 1, 1);
}

template <int MR, int NP, class Ops>
LOWBIT_ALWAYS_INLINE void w8f_tile(const w8f_args& t) {
    using vi = typename Ops::vi;
    using vf = typename Ops::vf;
    constexpr int per_panel = panel_cols / Ops::lanes, nv = NP * per_panel;
    const std::int64_t panel_bytes = t.k4 * panel_cols;
    wo_cell<Ops> s00{}, s01{}, s10{}, s11{};
    each_cell<MR, nv>(s00, s01, s10, s11, [&](wo_cell<Ops>& s, int, int) LOWBIT_INLINE_LAMBDA { s.c0 = s.c1 = s.c2 = s.c3 = Ops::zero_f(); });
    for (std::int64_t g = 0; g < t.k4 / 4; ++g) {
        vf w0[4], w1[4];
        const auto decode = [&](vf* out, int v) LOWBIT_INLINE_LAMBDA {
            const vi bytes = Ops::load(t.w + (v / per_panel) * panel_bytes + g * 64 + (v % per_panel) * 4 * Ops::lanes);
            out[0] = Ops::to_float(Ops::srai(Ops::slli(bytes, 24), 24));
            out[1] = Ops::to_float(Ops::srai(Ops::slli(bytes, 16), 24));
            out[2] = Ops::to_float(Ops::srai(Ops::slli(bytes, 8), 24));
            out[3] = Ops::to_float(Ops::srai(bytes, 24));
        };
        decode(w0, 0);
        if constexpr (nv > 1) decode(w1, 1);
        if (t.prefetch != nullptr)
            for (int j = 0; j < NP; ++j) _mm_prefetch(reinterpret_cast<const char*>(t.prefetch + j * panel_bytes + g * 64), _MM_HINT_T1);
        each_cell<MR, nv>(s00, s01, s10, s11, [&](wo_cell<Ops>& s, int r, int v) LOWBIT_INLINE_LAMBDA {
            const float* xr = t.x + r * t.ldx + 4 * g;
            const vf* wv = v == 0 ? w0 : w1;
            s.c0 = Ops::fma(Ops::set_f(xr[0]), wv[0], s.c0);
            s.c1 = Ops::fma(Ops::set_f(xr[1]), wv[1], s.c1);
            s.c2 = Ops::fma(Ops::set_f(xr[2]), wv[2], s.c2);
            s.c3 = Ops::fma(Ops::set_f(xr[3]), wv[3], s.c3);
        });
    }
    each_cell<MR, nv>(s00, s01, s10, s11, [&](wo_cell<Ops>& s, int r, int v) LOWBIT_INLINE_LAMBDA {
        const vf sum = Ops::add(Ops::add(s.c0, s.c1), Ops::add(s.c2, s.c3));
        Ops::store(t.out + r * t.ldo + v * Ops::lanes, Ops::mul(sum, Ops::load_f(t.scales + v * Ops::lanes)));
    });
}

template <int MR, int NP, class Ops, class Scale>
LOWBIT_ALWAYS_INLINE void w4f_tile(const w4f_args<Scale>& t) {
    using vi = typename Ops::vi;
    using vf = typename Ops::vf;
    constexpr int per_panel = panel_cols / Ops::lanes, nv = NP * per_panel;
    const packed_s4<Scale>& w = *t.w;
    const std::int64_t group = w.group, scale_bytes = panel_cols * static_cast<std::int64_t>(sizeof(Scale));
    const std::int64_t panel_bytes = w.groups * w.record_bytes;
    const auto offset = [&](int v, std::int64_t per_channel) LOWBIT_INLINE_LAMBDA { return (v / per_panel) * panel_bytes + (v % per_panel) * Ops::lanes * per_channel; };
    const typename Ops::table table = Ops::code_table(w.affine ? 0 : 8);
    const std::uint8_t* prefetch = t.prefetch_panel >= 0 ? w.record(t.prefetch_panel, 0) : nullptr;
    wo_cell<Ops> s00{}, s01{}, s10{}, s11{};
    each_cell<MR, nv>(s00, s01, s10, s11, [&](wo_cell<Ops>& s, int, int) LOWBIT_INLINE_LAMBDA { s.acc = Ops::zero_f(); });
    for (std::int64_t g = 0; g < w.groups; ++g) {
        const std::uint8_t* rec = w.record(t.panel, g);
        each_cell<MR, nv>(s00, s01, s10, s11, [&](wo_cell<Ops>& s, int, int) LOWBIT_INLINE_LAMBDA { s.c0 = s.c1 = s.c2 = s.c3 = Ops::zero_f(); });
        for (std::int64_t i = 0; i < group / 8; ++i) {
            const vi b0 = Ops::load(rec + i * 64 + offset(0, 4));
            vi b1 = b0;
            if constexpr (nv > 1) b1 = Ops::load(rec + i * 64 + offset(1, 4));
            if (prefetch != nullptr)
                for (int j = 0; j < NP; ++j) _mm_prefetch(reinterpret_cast<const char*>(prefetch + j * panel_bytes + g * w.record_bytes + i * 64), _MM_HINT_T1);
            // k = 8 i + 4 h + b sits at bits 8 b + 4 h of every lane.
            for (int h = 0; h < 2; ++h) {
                const vf c00 = Ops::codes(Ops::srli(b0, 4 * h), table), c01 = Ops::codes(Ops::srli(b0, 8 + 4 * h), table);
                const vf c02 = Ops::codes(Ops::srli(b0, 16 + 4 * h), table), c03 = Ops::codes(Ops::srli(b0, 24 + 4 * h), table);
                vf c10 = c00, c11 = c01, c12 = c02, c13 = c03;
                if constexpr (nv > 1) {
                    c10 = Ops::codes(Ops::srli(b1, 4 * h), table);
                    c11 = Ops::codes(Ops::srli(b1, 8 + 4 * h), table);
                    c12 = Ops::codes(Ops::srli(b1, 16 + 4 * h), table);
                    c13 = Ops::codes(Ops::srli(b1, 24 + 4 * h), table);
                }
                each_cell<MR, nv>(s00, s01, s10, s11, [&](wo_cell<Ops>& s, int r, int v) LOWBIT_INLINE_LAMBDA {
                    const float* xr = t.x + r * t.ldx + g * group + 8 * i + 4 * h;
                    s.c0 = Ops::fma(Ops::set_f(xr[0]), v == 0 ? c00 : c10, s.c0);
                    s.c1 = Ops::fma(Ops::set_f(xr[1]), v == 0 ? c01 : c11, s.c1);
                    s.c2 = Ops::fma(Ops::set_f(xr[2]), v == 0 ? c02 : c12, s.c2);
                    s.c3 = Ops::fma(Ops::set_f(xr[3]), v == 0 ? c03 : c13, s.c3);
                });
            }
        }
        if (prefetch != nullptr)
            for (int j = 0; j < NP; ++j) _mm_prefetch(reinterpret_cast<const char*>(prefetch + j * panel_bytes + g * w.record_bytes + 8 * group), _MM_HINT_T1);
        const std::uint8_t* tail = rec + 8 * group;
        each_cell<MR, nv>(s00, s01, s10, s11, [&](wo_cell<Ops>& s, int r, int v) LOWBIT_INLINE_LAMBDA {
            vf d = Ops::add(Ops::add(s.c0, s.c1), Ops::add(s.c2, s.c3));
            if (w.affine) {
                const vf minus_z = Ops::neg(Ops::to_float(Ops::load_zero_points(tail + scale_bytes + offset(v, 1))));
                d = Ops::fma(minus_z, Ops::set_f(t.xsums[r * t.ldxs + g]), d);
            }
            s.acc = Ops::fma(Ops::load_scales(tail + offset(v, sizeof(Scale)), Scale{}), d, s.acc);
        });
    }
    each_cell<MR, nv>(s00, s01, s10, s11, [&](wo_cell<Ops>& s, int r, int v) LOWBIT_INLINE_LAMBDA { Ops::store(t.out + r * t.ldo + v * Ops::lanes, s.acc); });
}
#endif

#if defined(__AVX512F__) && defined(__AVX512BW__)
// zmm_ops (kernel_grouped.hpp) plus what the float kernels need.
struct zmm_float_ops : zmm_ops<false> {
    using table = __m512;  // float(c - t) for c = 0..15
    static vi slli(vi v, int n) { return _mm512_slli_epi32(v, static_cast<unsigned>(n)); }
    static vi srai(vi v, int n) { return _mm512_srai_epi32(v, static_cast<unsigned>(n)); }
    static vi srli(vi v, int n) { return _mm512_srli_epi32(v, static_cast<unsigned>(n)); }
    static vf add(vf a, vf b) { return _mm512_add_ps(a, b); }
    static vf neg(vf a) { return _mm512_sub_ps(_mm512_setzero_ps(), a); }
    static vf load_f(const float* p) { return _mm512_loadu_ps(p); }
    static table code_table(int t) {
        return _mm512_sub_ps(_mm512_setr_ps(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15), _mm512_set1_ps(static_cast<float>(t)));
    }
    static vf codes(vi v, table tab) { return _mm512_permutexvar_ps(v, tab); }  // the index is each lane's low 4 bits
};

template <int MR, int NP>
LOWBIT_ALWAYS_INLINE void run_w8f_tile(const w8f_args& t, arch::avx512bw) {
    w8f_tile<MR, NP, zmm_float_ops>(t);
}
template <int MR, int NP, class Scale>
LOWBIT_ALWAYS_INLINE void run_w4f_tile(const w4f_args<Scale>& t, arch::avx512bw) {
    w4f_tile<MR, NP, zmm_float_ops>(t);
}
#endif

#if defined(__AVX2__) && defined(__FMA__) && defined(__F16C__)
struct ymm_float_ops : ymm_ops<false> {
    using table = __m256;  // t, subtracted after converting c
    static vi slli(vi v, int n) { return _mm256_slli_epi32(v, n); }
    static vi srai(vi v, int n) { return _mm256_srai_epi32(v, n); }
    static vi srli(vi v, int n) { return _mm256_srli_epi32(v, n); }
    static vf add(vf a, vf b) { return _mm256_add_ps(a, b); }
    static vf neg(vf a) { return _mm256_sub_ps(_mm256_setzero_ps(), a); }
    static vf load_f(const float* p) { return _mm256_loadu_ps(p); }
    static table code_table(int t) { return _mm256_set1_ps(static_cast<float>(t)); }
    static vf codes(vi v, table t) { return _mm256_sub_ps(_mm256_cvtepi32_ps(_mm256_and_si256(v, _mm256_set1_epi32(15))), t); }
};

template <int MR, int NP>
LOWBIT_ALWAYS_INLINE void run_w8f_tile(const w8f_args& t, arch::avx2) {
    w8f_tile<MR, NP, ymm_float_ops>(t);
}
template <int MR, int NP, class Scale>
LOWBIT_ALWAYS_INLINE void run_w4f_tile(const w4f_args<Scale>& t, arch::avx2) {
    w4f_tile<MR, NP, ymm_float_ops>(t);
}
#endif

// Rows x panels of a weight-only tile per tag.
template <class Arch>
struct weight_only_tile_shape {  // scalar and 512-bit tags: 2 rows x 2 panels, 20 zmm accumulators
    static constexpr int rows = 2, panels = 2;
};
template <>
struct weight_only_tile_shape<arch::avx2> {  // 1 row x the two halves of one panel
    static constexpr int rows = 1, panels = 1;
};
template <>
struct weight_only_tile_shape<arch::avx_vnni> : weight_only_tile_shape<arch::avx2> {};

}  // namespace lowbit::gemm::detail
