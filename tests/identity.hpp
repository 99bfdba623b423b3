// tests/identity.hpp - every vector tag compiled into this test binary against the scalar reference:
// the same codes, packed bytes, stored scales and zero points, and the same floats from dequantize
// and fake-quantize, bit for bit.
#pragma once

#include <cstring>
#include <tuple>
#include <vector>

#include <catch2/catch.hpp>

#include "support.hpp"

namespace lowbit_test {

// The vector tags this translation unit's flags enable (scalar is the reference itself).
using compiled_tags = decltype(std::tuple_cat(
#if XSIMD_WITH_SSE4_1
    std::tuple<lowbit::arch::sse4_1>{},
#endif
#if XSIMD_WITH_AVX2
    std::tuple<lowbit::arch::avx2>{},
#endif
#if XSIMD_WITH_AVX512BW
    std::tuple<lowbit::arch::avx512bw>{},
#endif
    std::tuple<lowbit::arch::scalar>{}));

template <class T>
bool same_bytes(const std::vector<T>& a, const std::vector<T>& b) {
    return a.size() == b.size() && (a.empty() || std::memcmp(a.data(), b.data(), a.size() * sizeof(T)) == 0);
}

// Runs f() and returns the lowbit::error message, or "" when nothing is thrown.
template <class F>
std::string error_of(F f) {
    try {
        f();
    } catch (const lowbit::error& e) {
        return e.what();
    }
    return "";
}

template <class S, class Tag>
void check_tag(lowbit::matrix_view<const float> x) {
    INFO("tag " << Tag::name << ", " << x.rows << " x " << x.cols << ", row stride " << x.row_stride);
    const std::string ref_error = error_of([&] { (void)lowbit::reference::quantize<S>(x); });
    if (!ref_error.empty()) {
        REQUIRE(error_of([&] { (void)lowbit::quantize<S, Tag>(x); }) == ref_error);
        std::vector<float> out(static_cast<std::size_t>(x.rows * x.cols));
        REQUIRE(error_of([&] { lowbit::fake_quantize<S, Tag>(x, {out.data(), x.rows, x.cols}); }) ==
                error_of([&] { lowbit::reference::fake_quantize<S>(x, {out.data(), x.rows, x.cols}); }));
        return;
    }
    const auto ref = lowbit::reference::quantize<S>(x);
    const auto vec = lowbit::quantize<S, Tag>(x);
    REQUIRE(same_bytes(vec.packed_codes(), ref.packed_codes()));
    REQUIRE(same_bytes(vec.stored_scales(), ref.stored_scales()));
    REQUIRE(same_bytes(vec.zero_points(), ref.zero_points()));

    // Static quantization of other data (1.3 x the input: some values clamp) with these parameters.
    std::vector<float> other(static_cast<std::size_t>(x.rows * x.cols));
    for (index_t r = 0; r < x.rows; ++r)
        for (index_t c = 0; c < x.cols; ++c) other[static_cast<std::size_t>(r * x.cols + c)] = 1.3f * x(r, c);
    auto static_ref = ref, static_vec = ref;
    lowbit::reference::quantize_with_params<S>({other.data(), x.rows, x.cols}, static_ref);
    lowbit::quantize_with_params<S, Tag>({other.data(), x.rows, x.cols}, static_vec);
    REQUIRE(same_bytes(static_vec.packed_codes(), static_ref.packed_codes()));

    // Dequantize into a padded, row-strided output; the padding must stay untouched.
    const index_t stride = x.cols + 3;
    std::vector<float> a(static_cast<std::size_t>(x.rows * stride), 7.0f), b = a;
    lowbit::reference::dequantize(ref, {a.data(), x.rows, x.cols, stride});
    lowbit::dequantize<Tag>(ref, {b.data(), x.rows, x.cols, stride});
    REQUIRE(same_bytes(a, b));

    std::vector<float> fa(static_cast<std::size_t>(x.rows * stride), 7.0f), fb = fa;
    lowbit::reference::fake_quantize<S>(x, {fa.data(), x.rows, x.cols, stride});
    lowbit::fake_quantize<S, Tag>(x, {fb.data(), x.rows, x.cols, stride});
    REQUIRE(same_bytes(fa, fb));
}

template <class S>
void check_all_tags(lowbit::matrix_view<const float> x) {
    std::apply([&](auto... tag) { (check_tag<S, decltype(tag)>(x), ...); }, compiled_tags{});
}

// Adversarial rows: exact ties at a power-of-two scale, the clamp boundaries, +-0, subnormals,
// all-equal and all-zero groups, a group whose scale underflows, and an unaligned start (the data begin one float into the buffer).
inline std::vector<float> adversarial(index_t n, std::uint32_t seed, int kind) {
    std::mt19937 gen(seed);
    std::uniform_int_distribution<int> k(-9, 9);
    std::normal_distribution<float> normal(0.0f, 1.0f);
    std::vector<float> x(static_cast<std::size_t>(n) + 1, 0.0f);
    for (index_t i = 1; i <= n; ++i) {
        float& v = x[static_cast<std::size_t>(i)];
        switch (kind) {
            case 0: v = normal(gen); break;
            case 1: v = (static_cast<float>(k(gen)) + 0.5f) * 0.0625f; break;  // ties (k + 0.5) * 2^-4
            case 2: v = i % 7 == 0 ? -0.0f : (i % 5 == 0 ? 1e-40f * static_cast<float>(k(gen)) : normal(gen)); break;
            case 3: v = 0.75f; break;                                         // all equal
            case 4: v = i % 3 == 0 ? -0.0f : 0.0f; break;                     // all zero
            case 5: v = (i - 1) / 32 == 3 ? 1e-44f : normal(gen); break;      // one group too small to scale
            default: v = static_cast<float>(k(gen)) * 0.125f; break;          // on the grid, clamp ends
        }
    }
    return x;
}

template <class S>
void check_identity_on_sizes(const std::vector<index_t>& widths) {
    std::uint32_t seed = 1;
    for (index_t cols : widths)
        for (index_t rows : {index_t{1}, index_t{3}})
            for (int kind = 0; kind < 7; ++kind) {
                INFO("kind " << kind);
                const auto buffer = adversarial(rows * cols, seed++, kind);
                check_all_tags<S>({buffer.data() + 1, rows, cols});  // unaligned start
                if (kind == 0 && rows == 3) {
                    const auto strided = weights(rows, cols, seed++, 5);  // strided rows, NaN padding
                    check_all_tags<S>(strided.view());
                }
            }
}

// Widths for schemes without a group constraint: 1..70 and every power of two +-1 up to 4097.
inline std::vector<index_t> any_widths() {
    std::vector<index_t> w;
    for (index_t n = 1; n <= 70; ++n) w.push_back(n);
    for (index_t p = 128; p <= 4096; p *= 2) {
        w.push_back(p - 1);
        w.push_back(p);
        w.push_back(p + 1);
    }
    return w;
}

// Widths for a group (or split-halves block) of g: 1..5 groups, then larger multiples.
inline std::vector<index_t> group_widths(index_t g) {
    std::vector<index_t> w;
    for (index_t k = 1; k <= 5; ++k) w.push_back(k * g);
    for (index_t n = 128; n <= 4096; n *= 2)
        if (n % g == 0 && n > 5 * g) w.push_back(n);
    return w;
}

template <class S>
void check_identity() {
    constexpr index_t g = std::max<index_t>(lowbit::detail::group_size_v<typename S::granularity>, S::packing::block);
    if constexpr (g > 1)
        check_identity_on_sizes<S>(group_widths(g));
    else
        check_identity_on_sizes<S>(any_widths());
}

}  // namespace lowbit_test
