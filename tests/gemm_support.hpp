// tests/gemm_support.hpp - operands and references shared by the GEMM tests.
#pragma once

#include <cstdint>
#include <random>
#include <vector>

#include "lowbit/arch/tags.hpp"
#include "lowbit/gemm/activations_u8.hpp"
#include "lowbit/gemm/reference.hpp"
#include "same_bits.hpp"

namespace lowbit_test {

inline std::vector<std::int8_t> random_s8(std::size_t n, std::uint32_t seed, int lo = -128, int hi = 127) {
    std::mt19937 gen(seed);
    std::uniform_int_distribution<int> d(lo, hi);
    std::vector<std::int8_t> v(n);
    for (auto& x : v) x = static_cast<std::int8_t>(d(gen));
    return v;
}

// Activation-like rows: Gaussian, with outlier channels (every 37th value 20x larger).
inline std::vector<float> random_activations(std::int64_t m, std::int64_t k, std::uint32_t seed) {
    std::mt19937 gen(seed);
    std::normal_distribution<float> d(0.f, 1.f);
    std::vector<float> v(static_cast<std::size_t>(m * k));
    for (std::size_t i = 0; i < v.size(); ++i) v[i] = d(gen) * (i % 37 == 3 ? 20.f : 1.f);
    return v;
}

// The signed codes behind unsigned-shifted activations.
inline std::vector<std::int8_t> signed_codes(const lowbit::gemm::activations_u8& a) {
    std::vector<std::int8_t> s(static_cast<std::size_t>(a.m * a.k));
    for (std::int64_t r = 0; r < a.m; ++r)
        for (std::int64_t i = 0; i < a.k; ++i) s[static_cast<std::size_t>(r * a.k + i)] = static_cast<std::int8_t>(int{a.row(r)[i]} - 128);
    return s;
}

// sum_k (q[m][k] - z[m]) W[n][k] for M x N, from the signed codes and the plain N x K weights.
inline std::vector<std::int32_t> reference_product(const lowbit::gemm::activations_u8& a, const std::vector<std::int8_t>& w, std::int64_t n) {
    const auto q = signed_codes(a);
    std::vector<std::int32_t> acc(static_cast<std::size_t>(a.m * n));
    lowbit::gemm::reference::matmul_s8_s32(q.data(), a.k, w.data(), a.k, acc.data(), n, a.m, n, a.k);
    if (!a.zero_points.empty())
        for (std::int64_t r = 0; r < a.m; ++r)
            for (std::int64_t c = 0; c < n; ++c) {
                std::int32_t colsum = 0;
                for (std::int64_t i = 0; i < a.k; ++i) colsum += w[static_cast<std::size_t>(c * a.k + i)];
                acc[static_cast<std::size_t>(r * n + c)] -= a.zero_points[static_cast<std::size_t>(r)] * colsum;
            }
    return acc;
}

// Calls f(Tag{}) for every tag whose kernels this translation unit compiles.
template <class F>
void for_each_compiled_tag(F&& f) {
    f(lowbit::arch::scalar{});
#if defined(__AVX2__)
    f(lowbit::arch::avx2{});
#endif
#if defined(__AVX2__) && defined(__AVXVNNI__)
    f(lowbit::arch::avx_vnni{});
#endif
#if defined(__AVX512F__) && defined(__AVX512BW__) && defined(__AVX512DQ__) && defined(__AVX512CD__) && defined(__AVX512VL__)
    f(lowbit::arch::avx512bw{});
#endif
#if defined(__AVX512F__) && defined(__AVX512BW__) && defined(__AVX512DQ__) && defined(__AVX512CD__) && defined(__AVX512VL__) && \
    defined(__AVX512VNNI__)
    f(lowbit::arch::avx512_vnni{});
#endif
}

}  // namespace lowbit_test
