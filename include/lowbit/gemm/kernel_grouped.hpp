// lowbit/gemm/kernel_grouped.hpp - the micro-kernels for grouped weights (packed_groups.hpp: 4-, 5-
// or 8-bit codes, a scale per group) times int8 activations (activations_u8.hpp, symmetric): the
// float result of gemm/reference.hpp (matmul_grouped_a8), W4A8 and W8A8 per group.
//
// The codes are the unsigned operand and the signed activation codes q = u - 128 the signed one, so
// VPDPBUSD sums q c exactly with no correction. Without VNNI, VPMADDUBSW + VPMADDWD does the same
// for 4-bit codes (pairs reach 2 x 15 x 127, far from saturating); for 8-bit codes it would
// saturate, so it takes w = c - 128 as |w| and sign(w) q (pairs within 2 x 128 x 127) and sums
// q (c - 128). The zero point enters once per group, in int32: sum q (c - z) = raw - (z - o) A, with
// o the offset the dot left in (0 or 128) and A = sum q over the group (precomputed per row). Then
// acc = fma(float(P), s, acc) and y = acc * sa, the reference's operations in its order.
// The GGUF packings take the same path: 5- and 6-bit codes are the nibbles OR'd with their top bits
// from a chunk of their own (pairs reach 2 x 63 x 127, still far from saturating); the 2- and
// 3-bit codes of Q2_K / Q3_K (packed_k2.hpp, packed_k3.hpp) come from one chunk of 2-bit fields
// per group of 16 (and Q3_K's bit 2 from a chunk in the head); Q6_K's z = 32, Q3_K's 4; Q2_K,
// Q4_K and Q5_K have no zero point but a minimum per group, entered as a second FMA,
// acc = fma(float(A), -mn, fma(float(P), s, acc)), with s and mn computed from the fp16
// super-block factors exactly as ggml does; Q4_1 / Q5_1 (packed_groups with minima) take the
// same second FMA with their fp16 minimum m. Codes that index a table of levels (IQ4_NL) are
// looked up by VPSHUFB into L[c] + 128 and run as 8-bit codes. For all of these, and for ggml's
// per-block activations (each group's factors times its block's scale), the scalar tile here is
// the reference.
// Two accumulators per vector (low and high nibbles, or even and odd chunks) keep two chains going.
#pragma once

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <type_traits>

#include "lowbit/arch/tags.hpp"
#include "lowbit/core/config.hpp"
#include "lowbit/core/half.hpp"
#include "lowbit/gemm/packed_groups.hpp"
#include "lowbit/gemm/packed_k2.hpp"
#include "lowbit/gemm/packed_k3.hpp"
#include "lowbit/gemm/packed_k4.hpp"
#include "lowbit/gemm/packed_k6.hpp"
#include "lowbit/gemm/tile_args.hpp"
#if defined(__AVX2__)
#include <immintrin.h>
#endif

namespace lowbit::gemm::detail {

template <class Packed>
struct grouped_tile_args {
    const std::int8_t* q;              // the signed activation codes q = u - 128, rows ldq bytes apart
    std::int64_t ldq;
    const std::int32_t* group_sums;    // A[r][g], rows ldg apart
    std::int64_t ldg;
    const float* row_scales;           // sa[r]
    const float* group_scales;         // per-block activations: da[r][g] of the block holding group g, rows ldg apart; else null
    const Packed* w;
    std::int64_t panel;                // the tile's first panel
    float* out;                        // rows ldo apart
    std::int64_t ldo;
    std::int64_t prefetch_panel;       // the first of NP panels to pull into L2 at the pace of this tile, or -1
    bool stream;                       // or prefetch ahead of this panel's stream (a GEMV)
};

template <class Packed>
inline constexpr bool is_packed_groups = false;
template <int Bits, class Scale, class Levels>
inline constexpr bool is_packed_groups<packed_groups<Bits, Scale, Levels>> = true;

template <class Packed>
inline constexpr bool has_grouped_levels = false;
template <int Bits, class Scale, class Levels>
inline constexpr bool has_grouped_levels<packed_groups<Bits, Scale, Levels>> = has_levels<Levels>;

// The 16 unsigned codes L[c] + 128 of a packing with levels.
template <class Packed>
constexpr std::array<std::uint8_t, 16> level_codes() {
    std::array<std::uint8_t, 16> codes{};
    for (int c = 0; c < 16; ++c) codes[static_cast<std::size_t>(c)] = static_cast<std::uint8_t>(Packed::level_code(c));
    return codes;
}

// The layout-aware reference every tag falls back to (for packings with minima or levels, and the
// k-quant packings, the specification of their products).
template <int MR, int NP, class Packed>
LOWBIT_NO_AUTOVECTORIZE void run_grouped_tile(const grouped_tile_args<Packed>& t, arch::scalar) {
    const Packed& w = *t.w;
    for (int r = 0; r < MR; ++r)
        for (int c = 0; c < NP * panel_cols; ++c) {
            const std::int64_t panel = t.panel + c / panel_cols, j = c % panel_cols;
            float acc = 0.f;
            for (std::int64_t g = 0; g < w.groups; ++g) {
                const std::uint8_t* rec = w.record(panel, g);
                const std::uint8_t* hd = nullptr;  // the super-block head of the k-quant packings
                if constexpr (!is_packed_groups<Packed>) hd = w.head(panel, g);
                const std::int8_t* q_row = t.q + r * t.ldq + g * w.group;
                const auto by_block = [&](float v) { return t.group_scales != nullptr ? v * t.group_scales[r * t.ldg + g] : v; };
                std::int32_t p = 0, a = 0;  // sum q c and sum q over the group
                for (std::int64_t kk = 0; kk < w.group; ++kk) {
                    const std::int32_t q = q_row[kk];
                    if constexpr (std::is_same_v<Packed, packed_k3>) p += q * w.code(hd, rec, g, j, kk);
                    else p += q * w.code(rec, j, kk);
                    a += q;
                }
                if constexpr (std::is_same_v<Packed, packed_k6> || std::is_same_v<Packed, packed_k3>) {  // sum q s (c - z)
                    acc = std::fma(static_cast<float>(p - Packed::zero_point * a), by_block(w.scale(hd, g, j)), acc);
                } else if constexpr (is_packed_k4<Packed>) {  // sum q (s c - mn) = s P - mn A
                    acc = std::fma(static_cast<float>(p), by_block(w.scale(hd, rec, j)), acc);
                    acc = std::fma(static_cast<float>(a), by_block(-w.min(hd, rec, j)), acc);
                } else if constexpr (std::is_same_v<Packed, packed_k2>) {
                    acc = std::fma(static_cast<float>(p), by_block(w.scale(hd, g, j)), acc);
                    acc = std::fma(static_cast<float>(a), by_block(-w.min(hd, g, j)), acc);
                } else if (w.minima) {  // sum q (s c + m) = s P + m A
                    acc = std::fma(static_cast<float>(p), by_block(w.scale(rec, j)), acc);
                    acc = std::fma(static_cast<float>(a), by_block(w.minimum(rec, j)), acc);
                } else {  // sum q s (c - z)
                    acc = std::fma(static_cast<float>(p - w.zero_point(rec, j) * a), by_block(w.scale(rec, j)), acc);
                }
            }
            t.out[r * t.ldo + c] = acc * t.row_scales[r];
        }
}

#if defined(__AVX2__)
// One row's accumulators: two integer sums of the group for up to two vectors, and the float
// sums over groups. Named members, not arrays: g++ 12 copies arrays of vector registers around
// every VPDPBUSD (and keeps them in memory at -O2).
template <class Ops>
struct grouped_row {
    typename Ops::vi l0, l1, h0, h1;
    typename Ops::vf a0, a1;
};

// The dot of up to 8-bit codes (Ops::dot8) or of codes below 64 (Ops::dot).
template <class Ops, bool ByteCodes>
LOWBIT_ALWAYS_INLINE typename Ops::vi code_dot(typename Ops::vi acc, typename Ops::vi codes, typename Ops::vi q) {
    if constexpr (ByteCodes) return Ops::dot8(acc, codes, q);
    else return Ops::dot(acc, codes, q);
}

// How far ahead of its reads a GEMV prefetches, in bytes, and how: PREFETCHNTA, which on this
// Zen 5 fills L1 without keeping the lines in L2. With hardware prefetch alone a GEMV from DRAM
// reads at 0.5-0.7 of the read probe. 4096^2 GEMV, medians of 3, each over two or more runs
// (GOP/s from L3; from DRAM, weight bytes / the read probe measured beside it):
//     NTA,  8 KB ahead:  Q4_0 237-242, 0.92-0.98   Q8_0 160-172, 0.92-1.00   Q4_K 236-243, 0.97-0.99
//     NTA,  4 KB ahead:  Q4_0 234-235, 0.78-0.88   Q8_0 159-161, 0.81-0.92   Q4_K 231-244, 0.86-0.91
//     NTA, 16 KB ahead:  Q4_0 213-220, 0.93-1.01   Q8_0 171-174, 0.86-0.93   Q4_K 210-214, 0.96-1.00
//     T0,  16 KB ahead:  Q4_0 214-218, 0.86-0.90   Q8_0 164-172, 0.82-0.86   Q4_K 210-214, 0.89-0.92
//     T1,  16 KB ahead:  Q4_0 210-214, 0.81-0.84   Q8_0 139-140, 0.76-0.78   Q4_K 206-211, 0.86-0.87
//     the next block into L2 (PREFETCHT1, stop 14):  Q4_0 193, 0.77-0.82   Q8_0 133, 0.76-0.78
//     two levels (16 KB into L1, 64 KB into L2):     Q4_0 159, 0.81-0.82   Q8_0 123, 0.72
inline constexpr std::int64_t prefetch_distance = 8192;

// Prefetches `bytes` of the weights from offset `from` (none if negative) at the pace of a tile
// that reads panel_bytes / groups bytes of each of its panels per group: at group g, the lines
// that start in [g, g + 1) x bytes / groups from `from`, in 16-bit fixed point (two divisions per
// group held Q6_K, whose groups of 16 are short, at 126 GOP/s against 150).
template <int Locality>  // of __builtin_prefetch: 0 is PREFETCHNTA, 2 PREFETCHT1
struct stream_prefetch {
    const std::uint8_t* data;
    std::int64_t next, start, share, reached = 0, size;  // share and reached: bytes x 2^16

    template <class Packed>
    stream_prefetch(const Packed& w, std::int64_t from, std::int64_t bytes)
        : data(w.data.data()), next(from), start(from), share(from >= 0 ? (bytes << 16) / w.groups : 0), size(static_cast<std::int64_t>(w.data.size())) {}

    LOWBIT_ALWAYS_INLINE void step() {
        reached += share;
        const std::int64_t end = std::min(start + (reached >> 16), size);
        for (; next < end; next += 64) __builtin_prefetch(data + next, 0, Locality);
    }
};

// The chunks in 32 k, or in a whole group where the packing's groups are smaller (the k-quants
// have a fixed group: 16 for Q2_K, Q3_K and Q6_K, 32 for Q4_K and Q5_K; packed_groups at least 32).
template <class Packed>
constexpr std::int64_t chunks_unrolled() {
    constexpr std::int64_t k_per_chunk = Packed::bits == 8 ? 4 : Packed::bits <= 3 ? 16 : 8;
    if constexpr (is_packed_groups<Packed>) return 32 / k_per_chunk;
    else return std::min<std::int64_t>(32, Packed::group) / k_per_chunk;
}

// The vector tile over an instruction-set Ops (below): 16 / Ops::lanes vectors per panel, at most
// two vectors per row (NP x 16 / lanes <= 2) and three rows.
template <int MR, int NP, class Ops, class Packed>
LOWBIT_ALWAYS_INLINE void grouped_tile(const grouped_tile_args<Packed>& t) {
    using vi = typename Ops::vi;
    using vf = typename Ops::vf;
    constexpr bool k4 = is_packed_k4<Packed>, k6 = std::is_same_v<Packed, packed_k6>, levels = has_grouped_levels<Packed>;
    constexpr bool k2 = std::is_same_v<Packed, packed_k2>, k3 = std::is_same_v<Packed, packed_k3>;
    constexpr int per_panel = panel_cols / Ops::lanes, nv = NP * per_panel;
    static_assert(MR >= 1 && MR <= 3 && nv >= 1 && nv <= 2, "the grouped tile is at most 3 rows x 2 vectors");
    constexpr bool byte_codes = Packed::bits == 8 || levels;                    // codes up to 255: the 8-bit dot
    constexpr int offset_left = byte_codes ? Ops::code_offset8 : 0;             // the dot sums q (c - offset_left)
    const Packed& w = *t.w;
    const std::int64_t group = w.group, code_bytes = w.code_bytes(), panel_bytes = w.panel_bytes();
    // The byte offset of vector v in a chunk or among a record's per-channel values.
    const auto offset = [&](int v, std::int64_t per_channel) LOWBIT_INLINE_LAMBDA { return (v / per_panel) * panel_bytes + (v % per_panel) * Ops::lanes * per_channel; };
    vi level_table = Ops::zero_i();  // L[c] + 128 for c = 0..15 in every 16-byte lane
    if constexpr (levels) level_table = Ops::byte_table(level_codes<Packed>().data());
    grouped_row<Ops> s0{}, s1{}, s2{};
    const auto each_row = [&](auto&& f) LOWBIT_INLINE_LAMBDA {
        f(s0, 0);
        if constexpr (MR > 1) f(s1, 1);
        if constexpr (MR > 2) f(s2, 2);
    };
    each_row([&](grouped_row<Ops>& s, int) LOWBIT_INLINE_LAMBDA { s.a0 = s.a1 = Ops::zero_f(); });
    // A GEMV's tile prefetches its own stream (panels lie back to back, so it runs on across panel
    // ends), prefetch_distance ahead, non-temporally. With more rows, the first row tile of a block pulls
    // the next block into L2, where the later row tiles find it (M = 8, 4096^2: Q8_0 417 against
    // 306 GOP/s, Q4_K 490 against 468 with the GEMV's prefetch).
    stream_prefetch<0> ahead(w, t.stream ? t.panel * panel_bytes + prefetch_distance : -1, panel_bytes);
    stream_prefetch<2> next_block(w, t.prefetch_panel >= 0 ? t.prefetch_panel * panel_bytes : -1, NP * panel_bytes);
    for (std::int64_t g = 0; g < w.groups; ++g) {
        const std::uint8_t* rec = w.record(t.panel, g);
        ahead.step();
        next_block.step();
        each_row([&](grouped_row<Ops>& s, int) LOWBIT_INLINE_LAMBDA { s.l0 = s.l1 = s.h0 = s.h1 = Ops::zero_i(); });
        // The chunks of 32 k (or of a smaller group) at a time, unrolled: the dot of 8-bit codes
        // loses a branch per chunk (Q8_0 GEMV from L3, 4096^2: 112 -> 130 GOP/s).
        constexpr std::int64_t unrolled = chunks_unrolled<Packed>();
        for (std::int64_t i0 = 0; i0 < code_bytes / 64; i0 += unrolled)
#pragma GCC unroll 8
        for (std::int64_t i = i0; i < i0 + unrolled; ++i) {
            const vi b0 = Ops::load(rec + i * 64 + offset(0, 4));
            vi b1 = b0;
            if constexpr (nv > 1) b1 = Ops::load(rec + i * 64 + offset(1, 4));
            if constexpr (Packed::bits <= 3) {  // one chunk of 16 k: bits 2 h, 2 h + 1 for k = 4 h + b; h even into l, odd into h
                vi top0 = Ops::zero_i(), top1 = top0;  // Q3_K: bit 2 of the codes, at bit high + h
                int high = 0;
                if constexpr (k3) {
                    const std::uint8_t* chunk = Packed::high_chunk(w.head(t.panel, g), g);
                    top0 = Ops::load(chunk + offset(0, 4));
                    if constexpr (nv > 1) top1 = Ops::load(chunk + offset(1, 4));
                    high = Packed::high_shift(g);
                }
                for (int h = 0; h < 4; ++h) {
                    vi c0 = Ops::two_bits(b0, 2 * h), c1 = c0;
                    if constexpr (nv > 1) c1 = Ops::two_bits(b1, 2 * h);
                    if constexpr (k3) {
                        c0 = Ops::or_(c0, Ops::template top_bits<1, 2>(top0, high + h));
                        if constexpr (nv > 1) c1 = Ops::or_(c1, Ops::template top_bits<1, 2>(top1, high + h));
                    }
                    each_row([&](grouped_row<Ops>& s, int r) LOWBIT_INLINE_LAMBDA {
                        const vi q = Ops::broadcast(four(t.q + r * t.ldq + g * group + 4 * h));
                        if (h % 2 == 0) {
                            s.l0 = Ops::dot(s.l0, c0, q);
                            if constexpr (nv > 1) s.l1 = Ops::dot(s.l1, c1, q);
                        } else {
                            s.h0 = Ops::dot(s.h0, c0, q);
                            if constexpr (nv > 1) s.h1 = Ops::dot(s.h1, c1, q);
                        }
                    });
                }
            } else if constexpr (Packed::bits != 8) {
                vi cl0 = Ops::low_nibbles(b0), ch0 = Ops::high_nibbles(b0);
                vi cl1 = cl0, ch1 = ch0;
                if constexpr (nv > 1) {
                    cl1 = Ops::low_nibbles(b1);
                    ch1 = Ops::high_nibbles(b1);
                }
                if constexpr (Packed::bits > 4) {  // the top bits of each code, from the chunk after the nibbles
                    constexpr int width = Packed::bits - 4;
                    const int shift = static_cast<int>(2 * width * i);
                    const vi top0 = Ops::load(rec + code_bytes + offset(0, 4));
                    cl0 = Ops::or_(cl0, Ops::template top_bits<width>(top0, shift));
                    ch0 = Ops::or_(ch0, Ops::template top_bits<width>(top0, shift + width));
                    if constexpr (nv > 1) {
                        const vi top1 = Ops::load(rec + code_bytes + offset(1, 4));
                        cl1 = Ops::or_(cl1, Ops::template top_bits<width>(top1, shift));
                        ch1 = Ops::or_(ch1, Ops::template top_bits<width>(top1, shift + width));
                    }
                }
                if constexpr (levels) {
                    cl0 = Ops::lookup(level_table, cl0);
                    ch0 = Ops::lookup(level_table, ch0);
                    if constexpr (nv > 1) {
                        cl1 = Ops::lookup(level_table, cl1);
                        ch1 = Ops::lookup(level_table, ch1);
                    }
                }
                each_row([&](grouped_row<Ops>& s, int r) LOWBIT_INLINE_LAMBDA {
                    const std::int8_t* qr = t.q + r * t.ldq + g * group + 8 * i;
                    const vi ql = Ops::broadcast(four(qr)), qh = Ops::broadcast(four(qr + 4));
                    s.l0 = code_dot<Ops, byte_codes>(s.l0, cl0, ql);
                    s.h0 = code_dot<Ops, byte_codes>(s.h0, ch0, qh);
                    if constexpr (nv > 1) {
                        s.l1 = code_dot<Ops, byte_codes>(s.l1, cl1, ql);
                        s.h1 = code_dot<Ops, byte_codes>(s.h1, ch1, qh);
                    }
                });
            } else {  // even chunks into l, odd ones into h
                each_row([&](grouped_row<Ops>& s, int r) LOWBIT_INLINE_LAMBDA {
                    const vi q = Ops::broadcast(four(t.q + r * t.ldq + g * group + 4 * i));
                    if (i % 2 == 0) {
                        s.l0 = Ops::dot8(s.l0, b0, q);
                        if constexpr (nv > 1) s.l1 = Ops::dot8(s.l1, b1, q);
                    } else {
                        s.h0 = Ops::dot8(s.h0, b0, q);
                        if constexpr (nv > 1) s.h1 = Ops::dot8(s.h1, b1, q);
                    }
                });
            }
        }
        // Per-block activations scale the group's factors by the row's block scale first.
        const auto by_block = [&](vf v, int r) LOWBIT_INLINE_LAMBDA { return t.group_scales != nullptr ? Ops::mul(v, Ops::set_f(t.group_scales[r * t.ldg + g])) : v; };
        if constexpr (k4 || k2) {  // s = fl(d sc), -mn = fl(dmin (-m)); acc = fma(P, s, acc), then fma(A, -mn, acc)
            const std::uint8_t* hd = w.head(t.panel, g);
            const auto terms = [&](int v, vf& scale, vf& negative_min) LOWBIT_INLINE_LAMBDA {
                vi sc, m;
                vf d, dmin;
                if constexpr (k4) {  // sc and m bytes in the record, d and dmin at the start of the head
                    sc = Ops::load_zero_points(rec + Packed::terms_offset + offset(v, 1));
                    m = Ops::load_zero_points(rec + Packed::terms_offset + panel_cols + offset(v, 1));
                    d = Ops::load_scales(hd + offset(v, 2), fp16{});
                    dmin = Ops::load_scales(hd + 2 * panel_cols + offset(v, 2), fp16{});
                } else {  // one byte sc | m << 4 per group in the head, then d and dmin
                    const vi both = Ops::load_zero_points(hd + g % Packed::groups_per_super * panel_cols + offset(v, 1));
                    sc = Ops::and_(both, Ops::broadcast(15));
                    m = Ops::template srli32<4>(both);
                    d = Ops::load_scales(hd + Packed::d_offset + offset(v, 2), fp16{});
                    dmin = Ops::load_scales(hd + Packed::dmin_offset + offset(v, 2), fp16{});
                }
                scale = Ops::mul(d, Ops::to_float(sc));
                negative_min = Ops::mul(dmin, Ops::to_float(Ops::sub(Ops::zero_i(), m)));
            };
            vf scale0, min0, scale1, min1;
            terms(0, scale0, min0);
            if constexpr (nv > 1) terms(1, scale1, min1);
            each_row([&](grouped_row<Ops>& s, int r) LOWBIT_INLINE_LAMBDA {
                const vf a = Ops::to_float(Ops::broadcast(t.group_sums[r * t.ldg + g]));
                s.a0 = Ops::fma(a, by_block(min0, r), Ops::fma(Ops::to_float(Ops::add(s.l0, s.h0)), by_block(scale0, r), s.a0));
                if constexpr (nv > 1) s.a1 = Ops::fma(a, by_block(min1, r), Ops::fma(Ops::to_float(Ops::add(s.l1, s.h1)), by_block(scale1, r), s.a1));
            });
        } else if constexpr (k6 || k3) {  // s = fl(d sc), P = sum q c - z A (z = 32, 4)
            const std::uint8_t* hd = w.head(t.panel, g);
            const std::uint8_t* sc = hd + g % Packed::groups_per_super * panel_cols;
            const vf scale0 = Ops::mul(Ops::load_scales(hd + Packed::d_offset + offset(0, 2), fp16{}), Ops::to_float(Ops::load_s8(sc + offset(0, 1))));
            vf scale1 = scale0;
            if constexpr (nv > 1) scale1 = Ops::mul(Ops::load_scales(hd + Packed::d_offset + offset(1, 2), fp16{}), Ops::to_float(Ops::load_s8(sc + offset(1, 1))));
            const vi z = Ops::broadcast(Packed::zero_point);
            each_row([&](grouped_row<Ops>& s, int r) LOWBIT_INLINE_LAMBDA {
                const vi a = Ops::broadcast(t.group_sums[r * t.ldg + g]);
                s.a0 = Ops::fma(Ops::to_float(Ops::sub(Ops::add(s.l0, s.h0), Ops::mullo(z, a))), by_block(scale0, r), s.a0);
                if constexpr (nv > 1) s.a1 = Ops::fma(Ops::to_float(Ops::sub(Ops::add(s.l1, s.h1), Ops::mullo(z, a))), by_block(scale1, r), s.a1);
            });
        } else if (w.minima) {  // acc = fma(P, s, acc), then fma(A, m, acc)
            using Scale = typename Packed::scale_type;
            const std::uint8_t* tail = rec + w.scales_offset();
            const std::int64_t scale_bytes = panel_cols * static_cast<std::int64_t>(sizeof(Scale));
            const vf scale0 = Ops::load_scales(tail + offset(0, sizeof(Scale)), Scale{}), min0 = Ops::load_scales(tail + scale_bytes + offset(0, sizeof(Scale)), Scale{});
            vf scale1 = scale0, min1 = min0;
            if constexpr (nv > 1) {
                scale1 = Ops::load_scales(tail + offset(1, sizeof(Scale)), Scale{});
                min1 = Ops::load_scales(tail + scale_bytes + offset(1, sizeof(Scale)), Scale{});
            }
            each_row([&](grouped_row<Ops>& s, int r) LOWBIT_INLINE_LAMBDA {
                const vf a = Ops::to_float(Ops::broadcast(t.group_sums[r * t.ldg + g]));
                s.a0 = Ops::fma(a, by_block(min0, r), Ops::fma(Ops::to_float(Ops::add(s.l0, s.h0)), by_block(scale0, r), s.a0));
                if constexpr (nv > 1) s.a1 = Ops::fma(a, by_block(min1, r), Ops::fma(Ops::to_float(Ops::add(s.l1, s.h1)), by_block(scale1, r), s.a1));
            });
        } else {
            using Scale = typename Packed::scale_type;
            const std::uint8_t* tail = rec + w.scales_offset();
            const std::int64_t scale_bytes = panel_cols * static_cast<std::int64_t>(sizeof(Scale));
            const vf scale0 = Ops::load_scales(tail + offset(0, sizeof(Scale)), Scale{});
            const vf scale1 = nv > 1 ? Ops::load_scales(tail + offset(1, sizeof(Scale)), Scale{}) : scale0;
            vi z0 = Ops::broadcast(Packed::symmetric_zero_point - offset_left), z1 = z0;  // z - offset_left
            if (w.affine) {
                z0 = Ops::sub(Ops::load_zero_points(tail + scale_bytes + offset(0, 1)), Ops::broadcast(offset_left));
                if constexpr (nv > 1) z1 = Ops::sub(Ops::load_zero_points(tail + scale_bytes + offset(1, 1)), Ops::broadcast(offset_left));
            }
            each_row([&](grouped_row<Ops>& s, int r) LOWBIT_INLINE_LAMBDA {
                const vi a = Ops::broadcast(t.group_sums[r * t.ldg + g]);
                s.a0 = Ops::fma(Ops::to_float(Ops::sub(Ops::add(s.l0, s.h0), Ops::mullo(z0, a))), by_block(scale0, r), s.a0);
                if constexpr (nv > 1) s.a1 = Ops::fma(Ops::to_float(Ops::sub(Ops::add(s.l1, s.h1), Ops::mullo(z1, a))), by_block(scale1, r), s.a1);
            });
        }
    }
    each_row([&](grouped_row<Ops>& s, int r) LOWBIT_INLINE_LAMBDA {
        const vf sa = Ops::set_f(t.row_scales[r]);
        Ops::store(t.out + r * t.ldo, Ops::mul(s.a0, sa));
        if constexpr (nv > 1) Ops::store(t.out + r * t.ldo + Ops::lanes, Ops::mul(s.a1, sa));
    });
}
#endif

#if defined(__AVX512F__) && defined(__AVX512BW__)
template <bool Vnni>
struct zmm_ops {
    using vi = __m512i;
    using vf = __m512;
    static constexpr int lanes = 16;
    static vi zero_i() { return _mm512_setzero_si512(); }
    static vf zero_f() { return _mm512_setzero_ps(); }
    static vi load(const void* p) { return _mm512_loadu_si512(p); }
    static vi low_nibbles(vi v) { return _mm512_and_si512(v, _mm512_set1_epi8(15)); }
    static vi high_nibbles(vi v) { return _mm512_and_si512(_mm512_srli_epi16(v, 4), _mm512_set1_epi8(15)); }
    static vi broadcast(std::int32_t x) { return _mm512_set1_epi32(x); }
    static vi dot(vi acc, vi codes, vi q) {
#if defined(__AVX512VNNI__)
        if constexpr (Vnni) return _mm512_dpbusd_epi32(acc, codes, q);
#endif
        return _mm512_add_epi32(acc, _mm512_madd_epi16(_mm512_maddubs_epi16(codes, q), _mm512_set1_epi16(1)));
    }
    static constexpr int code_offset8 = Vnni ? 0 : 128;
    // sum q c (VNNI) or sum q (c - 128) (without: c - 128 as |w| and sign(w) q, no saturation)
    static vi dot8(vi acc, vi codes, vi q) {
#if defined(__AVX512VNNI__)
        if constexpr (Vnni) return _mm512_dpbusd_epi32(acc, codes, q);
#endif
        const vi w = _mm512_xor_si512(codes, _mm512_set1_epi8(static_cast<char>(0x80)));
        const vi signed_q = _mm512_mask_sub_epi8(q, _mm512_movepi8_mask(w), _mm512_setzero_si512(), q);
        return _mm512_add_epi32(acc, _mm512_madd_epi16(_mm512_maddubs_epi16(_mm512_abs_epi8(w), signed_q), _mm512_set1_epi16(1)));
    }
    static vi add(vi a, vi b) { return _mm512_add_epi32(a, b); }
    static vi sub(vi a, vi b) { return _mm512_sub_epi32(a, b); }
    static vi mullo(vi a, vi b) { return _mm512_mullo_epi32(a, b); }
    static vf load_scales(const std::uint8_t* p, float) { return _mm512_loadu_ps(p); }
    static vf load_scales(const std::uint8_t* p, fp16) { return _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p))); }
    static vi load_zero_points(const std::uint8_t* p) { return _mm512_cvtepu8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p))); }
    static vi load_s8(const std::uint8_t* p) { return _mm512_cvtepi8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p))); }
    static vi or_(vi a, vi b) { return _mm512_or_si512(a, b); }
    static vi and_(vi a, vi b) { return _mm512_and_si512(a, b); }
    template <int N>
    static vi srli32(vi v) { return _mm512_srli_epi32(v, N); }
    // Bits shift, shift + 1 of every byte, at bits 0, 1.
    static vi two_bits(vi v, int shift) { return _mm512_and_si512(_mm512_srli_epi16(v, shift), _mm512_set1_epi8(3)); }
    static vi byte_table(const std::uint8_t* sixteen) { return _mm512_broadcast_i32x4(_mm_loadu_si128(reinterpret_cast<const __m128i*>(sixteen))); }
    static vi lookup(vi table, vi nibbles) { return _mm512_shuffle_epi8(table, nibbles); }
    // Width bits of every byte from bit `shift` on, moved to bit To up (shift + Width <= 8).
    template <int Width, int To = 4>
    static vi top_bits(vi v, int shift) {
        return _mm512_and_si512(_mm512_slli_epi16(_mm512_srli_epi16(v, shift), To), _mm512_set1_epi8(static_cast<char>(((1 << Width) - 1) << To)));
    }
    static vf to_float(vi v) { return _mm512_cvtepi32_ps(v); }
    static vf fma(vf a, vf b, vf c) { return _mm512_fmadd_ps(a, b, c); }
    static vf mul(vf a, vf b) { return _mm512_mul_ps(a, b); }
    static vf set_f(float x) { return _mm512_set1_ps(x); }
    static void store(float* p, vf v) { _mm512_storeu_ps(p, v); }
};

template <int MR, int NP, class Packed>
LOWBIT_ALWAYS_INLINE void run_grouped_tile(const grouped_tile_args<Packed>& t, arch::avx512bw) {
    grouped_tile<MR, NP, zmm_ops<false>>(t);
}
#if defined(__AVX512VNNI__)
template <int MR, int NP, class Packed>
LOWBIT_ALWAYS_INLINE void run_grouped_tile(const grouped_tile_args<Packed>& t, arch::avx512_vnni) {
    grouped_tile<MR, NP, zmm_ops<true>>(t);
}
#endif
#endif

#if defined(__AVX2__) && defined(__FMA__) && defined(__F16C__)
template <bool Vnni>
struct ymm_ops {
    using vi = __m256i;
    using vf = __m256;
    static constexpr int lanes = 8;
    static vi zero_i() { return _mm256_setzero_si256(); }
    static vf zero_f() { return _mm256_setzero_ps(); }
    static vi load(const void* p) { return _mm256_loadu_si256(static_cast<const __m256i*>(p)); }
    static vi low_nibbles(vi v) { return _mm256_and_si256(v, _mm256_set1_epi8(15)); }
    static vi high_nibbles(vi v) { return _mm256_and_si256(_mm256_srli_epi16(v, 4), _mm256_set1_epi8(15)); }
    static vi broadcast(std::int32_t x) { return _mm256_set1_epi32(x); }
    static vi dot(vi acc, vi codes, vi q) {
#if defined(__AVXVNNI__)
        if constexpr (Vnni) return _mm256_dpbusd_avx_epi32(acc, codes, q);
#endif
        return _mm256_add_epi32(acc, _mm256_madd_epi16(_mm256_maddubs_epi16(codes, q), _mm256_set1_epi16(1)));
    }
    static constexpr int code_offset8 = Vnni ? 0 : 128;
    static vi dot8(vi acc, vi codes, vi q) {
#if defined(__AVXVNNI__)
        if constexpr (Vnni) return _mm256_dpbusd_avx_epi32(acc, codes, q);
#endif
        const vi w = _mm256_xor_si256(codes, _mm256_set1_epi8(static_cast<char>(0x80)));
        return _mm256_add_epi32(acc, _mm256_madd_epi16(_mm256_maddubs_epi16(_mm256_abs_epi8(w), _mm256_sign_epi8(q, w)), _mm256_set1_epi16(1)));
    }
    static vi add(vi a, vi b) { return _mm256_add_epi32(a, b); }
    static vi sub(vi a, vi b) { return _mm256_sub_epi32(a, b); }
    static vi mullo(vi a, vi b) { return _mm256_mullo_epi32(a, b); }
    static vf load_scales(const std::uint8_t* p, float) { return _mm256_loadu_ps(reinterpret_cast<const float*>(p)); }
    static vf load_scales(const std::uint8_t* p, fp16) { return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p))); }
    static vi load_zero_points(const std::uint8_t* p) { return _mm256_cvtepu8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(p))); }
    static vi load_s8(const std::uint8_t* p) { return _mm256_cvtepi8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(p))); }
    static vi or_(vi a, vi b) { return _mm256_or_si256(a, b); }
    static vi and_(vi a, vi b) { return _mm256_and_si256(a, b); }
    template <int N>
    static vi srli32(vi v) { return _mm256_srli_epi32(v, N); }
    static vi two_bits(vi v, int shift) { return _mm256_and_si256(_mm256_srli_epi16(v, shift), _mm256_set1_epi8(3)); }
    static vi byte_table(const std::uint8_t* sixteen) { return _mm256_broadcastsi128_si256(_mm_loadu_si128(reinterpret_cast<const __m128i*>(sixteen))); }
    static vi lookup(vi table, vi nibbles) { return _mm256_shuffle_epi8(table, nibbles); }
    template <int Width, int To = 4>
    static vi top_bits(vi v, int shift) {
        return _mm256_and_si256(_mm256_slli_epi16(_mm256_srli_epi16(v, shift), To), _mm256_set1_epi8(static_cast<char>(((1 << Width) - 1) << To)));
    }
    static vf to_float(vi v) { return _mm256_cvtepi32_ps(v); }
    static vf fma(vf a, vf b, vf c) { return _mm256_fmadd_ps(a, b, c); }
    static vf mul(vf a, vf b) { return _mm256_mul_ps(a, b); }
    static vf set_f(float x) { return _mm256_set1_ps(x); }
    static void store(float* p, vf v) { _mm256_storeu_ps(p, v); }
};

template <int MR, int NP, class Packed>
LOWBIT_ALWAYS_INLINE void run_grouped_tile(const grouped_tile_args<Packed>& t, arch::avx2) {
    grouped_tile<MR, NP, ymm_ops<false>>(t);
}
#if defined(__AVXVNNI__)
template <int MR, int NP, class Packed>
LOWBIT_ALWAYS_INLINE void run_grouped_tile(const grouped_tile_args<Packed>& t, arch::avx_vnni) {
    grouped_tile<MR, NP, ymm_ops<true>>(t);
}
#endif
#endif

// Rows x panels of the grouped tile per tag: accumulators, two integer sums and a float sum per
// vector. A GEMV runs the tile one panel at a time (matmul_grouped.hpp).
template <class Arch>
struct grouped_tile_shape {  // the scalar reference
    static constexpr int rows = 3, panels = 1;
};
template <>
struct grouped_tile_shape<arch::avx512bw> {  // 3 rows x 2 panels (M = 8, 4096^2: Q4_K 394 -> 489 GOP/s, Q8_0 335 -> 443)
    static constexpr int rows = 3, panels = 2;
};
template <>
struct grouped_tile_shape<arch::avx512_vnni> : grouped_tile_shape<arch::avx512bw> {};
template <>
struct grouped_tile_shape<arch::avx2> {  // 2 rows x the two halves of one panel, 12 ymm accumulators
    static constexpr int rows = 2, panels = 1;
};
template <>
struct grouped_tile_shape<arch::avx_vnni> : grouped_tile_shape<arch::avx2> {};

}  // namespace lowbit::gemm::detail
