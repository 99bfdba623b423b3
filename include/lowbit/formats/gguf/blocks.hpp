// lowbit/formats/gguf/blocks.hpp - the GGUF block structs, byte for byte as ggml lays them out.
//
// A GGUF tensor row is its blocks back to back, with no padding between them. Multi-byte fields
// are little-endian; fp16 fields hold IEEE binary16 bit patterns. Every struct here has the exact
// size and field offsets of the format (asserted below), so a block can be memcpy'd in and out of
// a file. Codecs never dereference caller memory as these structs (it need not be aligned): they
// copy a block in or out with memcpy.
#pragma once

#include <cstddef>
#include <cstdint>

#if defined(__BYTE_ORDER__) && defined(__ORDER_LITTLE_ENDIAN__)
static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "GGUF blocks are little-endian; lowbit assumes a little-endian host");
#endif

namespace lowbit::gguf {

inline constexpr int super_block = 256;  // QK_K: elements per k-quant / IQ4_XS / ternary block

struct block_q4_0 {
    std::uint16_t d;        // fp16 scale
    std::uint8_t qs[16];    // element j in the low nibble of byte j, element j + 16 in the high nibble
};
struct block_q4_1 {
    std::uint16_t d;        // fp16 scale
    std::uint16_t m;        // fp16 minimum
    std::uint8_t qs[16];
};
struct block_q5_0 {
    std::uint16_t d;
    std::uint8_t qh[4];     // bit j of the little-endian word: the fifth bit of element j
    std::uint8_t qs[16];
};
struct block_q5_1 {
    std::uint16_t d;
    std::uint16_t m;
    std::uint8_t qh[4];
    std::uint8_t qs[16];
};
struct block_q8_0 {
    std::uint16_t d;
    std::int8_t qs[32];
};
struct block_q8_1 {
    std::uint16_t d;
    std::uint16_t s;        // fp16 of d * sum(qs)
    std::int8_t qs[32];
};
struct block_q2_K {
    std::uint8_t scales[16];  // low nibble: 4-bit scale, high nibble: 4-bit minimum, per 16 elements
    std::uint8_t qs[64];      // 2-bit codes, four 32-element runs per 128 elements
    std::uint16_t d;          // fp16 super-scale of the scales
    std::uint16_t dmin;       // fp16 super-scale of the minima
};
struct block_q3_K {
    std::uint8_t hmask[32];   // high (third) bit of every code
    std::uint8_t qs[64];      // low two bits
    std::uint8_t scales[12];  // sixteen 6-bit signed scales (offset 32)
    std::uint16_t d;
};
struct block_q4_K {
    std::uint16_t d;
    std::uint16_t dmin;
    std::uint8_t scales[12];  // eight 6-bit scales and eight 6-bit minima
    std::uint8_t qs[128];
};
struct block_q5_K {
    std::uint16_t d;
    std::uint16_t dmin;
    std::uint8_t scales[12];
    std::uint8_t qh[32];
    std::uint8_t qs[128];
};
struct block_q6_K {
    std::uint8_t ql[128];     // low four bits
    std::uint8_t qh[64];      // high two bits
    std::int8_t scales[16];   // 8-bit signed scale per 16 elements
    std::uint16_t d;
};
struct block_q8_K {
    float d;                  // fp32 scale (negative when the largest-magnitude element is positive)
    std::int8_t qs[256];
    std::int16_t bsums[16];   // sum of the codes of each 16 elements
};
struct block_iq4_nl {
    std::uint16_t d;
    std::uint8_t qs[16];      // indices into the 16-entry non-linear table
};
struct block_iq4_xs {
    std::uint16_t d;
    std::uint16_t scales_h;   // high two bits of the eight 6-bit sub-block scales
    std::uint8_t scales_l[4]; // low four bits
    std::uint8_t qs[128];
};
struct block_tq1_0 {
    std::uint8_t qs[48];      // five ternary digits per byte, base 3, scaled to 0..255
    std::uint8_t qh[4];       // four per byte
    std::uint16_t d;
};
struct block_tq2_0 {
    std::uint8_t qs[64];      // 2-bit codes 0..2 for -1, 0, +1
    std::uint16_t d;
};

static_assert(sizeof(block_q4_0) == 18 && offsetof(block_q4_0, qs) == 2, "q4_0: 18 bytes per 32");
static_assert(sizeof(block_q4_1) == 20 && offsetof(block_q4_1, m) == 2 && offsetof(block_q4_1, qs) == 4, "q4_1: 20 bytes per 32");
static_assert(sizeof(block_q5_0) == 22 && offsetof(block_q5_0, qh) == 2 && offsetof(block_q5_0, qs) == 6, "q5_0: 22 bytes per 32");
static_assert(sizeof(block_q5_1) == 24 && offsetof(block_q5_1, qh) == 4 && offsetof(block_q5_1, qs) == 8, "q5_1: 24 bytes per 32");
static_assert(sizeof(block_q8_0) == 34 && offsetof(block_q8_0, qs) == 2, "q8_0: 34 bytes per 32");
static_assert(sizeof(block_q8_1) == 36 && offsetof(block_q8_1, s) == 2 && offsetof(block_q8_1, qs) == 4, "q8_1: 36 bytes per 32");
static_assert(sizeof(block_q2_K) == 84 && offsetof(block_q2_K, qs) == 16 && offsetof(block_q2_K, d) == 80
              && offsetof(block_q2_K, dmin) == 82, "q2_K: 84 bytes per 256");
static_assert(sizeof(block_q3_K) == 110 && offsetof(block_q3_K, qs) == 32 && offsetof(block_q3_K, scales) == 96
              && offsetof(block_q3_K, d) == 108, "q3_K: 110 bytes per 256");
static_assert(sizeof(block_q4_K) == 144 && offsetof(block_q4_K, dmin) == 2 && offsetof(block_q4_K, scales) == 4
              && offsetof(block_q4_K, qs) == 16, "q4_K: 144 bytes per 256");
static_assert(sizeof(block_q5_K) == 176 && offsetof(block_q5_K, scales) == 4 && offsetof(block_q5_K, qh) == 16
              && offsetof(block_q5_K, qs) == 48, "q5_K: 176 bytes per 256");
static_assert(sizeof(block_q6_K) == 210 && offsetof(block_q6_K, qh) == 128 && offsetof(block_q6_K, scales) == 192
              && offsetof(block_q6_K, d) == 208, "q6_K: 210 bytes per 256");
static_assert(sizeof(block_q8_K) == 292 && offsetof(block_q8_K, qs) == 4 && offsetof(block_q8_K, bsums) == 260,
              "q8_K: 292 bytes per 256");
static_assert(sizeof(block_iq4_nl) == 18 && offsetof(block_iq4_nl, qs) == 2, "iq4_nl: 18 bytes per 32");
static_assert(sizeof(block_iq4_xs) == 136 && offsetof(block_iq4_xs, scales_h) == 2 && offsetof(block_iq4_xs, scales_l) == 4
              && offsetof(block_iq4_xs, qs) == 8, "iq4_xs: 136 bytes per 256");
static_assert(sizeof(block_tq1_0) == 54 && offsetof(block_tq1_0, qh) == 48 && offsetof(block_tq1_0, d) == 52,
              "tq1_0: 54 bytes per 256");
static_assert(sizeof(block_tq2_0) == 66 && offsetof(block_tq2_0, d) == 64, "tq2_0: 66 bytes per 256");

}  // namespace lowbit::gguf
