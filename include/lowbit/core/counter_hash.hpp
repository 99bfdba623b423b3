// lowbit/core/counter_hash.hpp - a counter-based random generator: random bits from (seed, index).
//
// Stochastic rounding draws one number per element from a pure function of the seed and the
// element's flat index, so the result never depends on thread count, chunking, the order of
// evaluation or the instruction set. The function uses only 32-bit xor, shift, add and multiply,
// which every SIMD instruction set has, and is written once for a scalar and for a batch.
//
//   mix(h)      = murmur3's 32-bit finaliser: h ^= h >> 16; h *= 0x85ebca6b; h ^= h >> 13;
//                 h *= 0xc2b2ae35; h ^= h >> 16
//   key0, key1  = mix(lo32(seed) + 0x9e3779b9), mix(hi32(seed) + 0x7f4a7c15)
//   bits(i)     = mix(mix(lo32(i) ^ key0) ^ (hi32(i) + key1))
//   uniform(i)  = (bits(i) >> 8) * 2^-24, a float in [0, 1) on a grid of 2^-24
#pragma once

#include <cstdint>

#include "lowbit/core/lanes.hpp"

namespace lowbit {

template <class U>
constexpr U mix32(U h) {
    h ^= h >> 16;
    h *= 0x85ebca6bu;
    h ^= h >> 13;
    h *= 0xc2b2ae35u;
    h ^= h >> 16;
    return h;
}

struct counter_key {
    std::uint32_t k0;
    std::uint32_t k1;
    constexpr explicit counter_key(std::uint64_t seed)
        : k0(mix32(static_cast<std::uint32_t>(seed) + 0x9e3779b9u)),
          k1(mix32(static_cast<std::uint32_t>(seed >> 32) + 0x7f4a7c15u)) {}
};

constexpr std::uint32_t counter_bits(counter_key key, std::uint64_t index) {
    const auto lo = static_cast<std::uint32_t>(index);
    const auto hi = static_cast<std::uint32_t>(index >> 32);
    return mix32(mix32(lo ^ key.k0) ^ (hi + key.k1));
}

constexpr float counter_uniform(counter_key key, std::uint64_t index) {
    return static_cast<float>(counter_bits(key, index) >> 8) * 0x1p-24f;
}

template <class A>
xsimd::batch<float, A> counter_uniform(counter_key key, const lanes::index_batch<A>& index) {
    using u32 = xsimd::batch<std::uint32_t, A>;
    const u32 bits = mix32(mix32(index.lo ^ u32(key.k0)) ^ u32(index.hi + key.k1));
    // bits >> 8 < 2^24: the signed conversion is exact.
    const auto top = xsimd::bitwise_cast<xsimd::batch<std::int32_t, A>>(bits >> 8);
    return xsimd::batch_cast<float>(top) * xsimd::batch<float, A>(0x1p-24f);
}

}  // namespace lowbit
