// fp16 and bf16 conversions against independent formulations: every one of the 65,536 bit
// patterns, every midpoint between neighbours, and a large random float sweep.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <random>
#include <vector>

#include <catch2/catch.hpp>

#include "lowbit/core/half.hpp"

#if defined(__F16C__)
#include <immintrin.h>
#endif

namespace {

using lowbit::bf16_bits_to_float;
using lowbit::float_to_bf16_bits;
using lowbit::float_to_fp16_bits;
using lowbit::fp16_bits_to_float;

std::uint32_t bits_of(float f) {
    std::uint32_t u;
    std::memcpy(&u, &f, 4);
    return u;
}
float float_of(std::uint32_t u) {
    float f;
    std::memcpy(&f, &u, 4);
    return f;
}

// The value of a half from the definition of binary16, in double.
double half_value(std::uint16_t h) {
    const int s = h >> 15, e = (h >> 10) & 31, m = h & 1023;
    double mag;
    if (e == 31) mag = m ? std::nan("") : INFINITY;
    else if (e == 0) mag = std::ldexp(m, -24);
    else mag = std::ldexp(1024 + m, e - 25);
    return s ? -mag : mag;
}

// The nearest finite positive half to |x| (ties to even) by search over all finite positive halves;
// +Inf when |x| >= 65520 (the midpoint between 65504 and the next power of two).
std::uint16_t nearest_half(float x) {
    static const std::vector<double> values = [] {
        std::vector<double> v;
        for (int h = 0; h < 0x7c00; ++h) v.push_back(half_value(static_cast<std::uint16_t>(h)));
        return v;
    }();
    const double a = std::fabs(static_cast<double>(x));
    const auto sign = static_cast<std::uint16_t>(std::signbit(x) ? 0x8000 : 0);
    if (a >= 65520.0) return static_cast<std::uint16_t>(sign | 0x7c00);
    auto it = std::lower_bound(values.begin(), values.end(), a);
    auto hi = static_cast<std::uint16_t>(it - values.begin());
    if (it == values.end() || *it == a) return static_cast<std::uint16_t>(sign | std::min<int>(hi, 0x7bff));
    const auto lo = static_cast<std::uint16_t>(hi - 1);
    const double dl = a - values[lo], dh = values[hi] - a;
    const std::uint16_t pick = dl < dh ? lo : dh < dl ? hi : ((lo & 1) ? hi : lo);
    return static_cast<std::uint16_t>(sign | pick);
}

// Nearest bf16 to x by comparing the two bf16 neighbours in double (ties to even); the neighbour
// above the largest finite bf16 counts as 2^128 and encodes +-Inf.
std::uint16_t nearest_bf16(float x) {
    const std::uint32_t u = bits_of(x);
    const auto sign = static_cast<std::uint16_t>((u >> 16) & 0x8000);
    const std::uint32_t mag = u & 0x7fffffff;
    const auto lo = static_cast<std::uint16_t>(mag >> 16);
    const auto hi = static_cast<std::uint16_t>(lo + 1);
    const double a = std::fabs(static_cast<double>(x));
    const double vl = std::fabs(static_cast<double>(float_of(static_cast<std::uint32_t>(lo) << 16)));
    const double vh = hi == 0x7f80 ? std::ldexp(1.0, 128) : static_cast<double>(float_of(static_cast<std::uint32_t>(hi) << 16));
    const double dl = a - vl, dh = vh - a;
    const std::uint16_t pick = dl < dh ? lo : dh < dl ? hi : ((lo & 1) ? hi : lo);
    return static_cast<std::uint16_t>(sign | pick);
}

bool is_half_nan(std::uint16_t h) { return (h & 0x7c00) == 0x7c00 && (h & 0x3ff) != 0; }

}  // namespace

TEST_CASE("fp16 -> float is exact for all 65,536 halves", "[half]") {
    long bad = 0;
    for (std::uint32_t h = 0; h < 65536; ++h) {
        const auto b = static_cast<std::uint16_t>(h);
        const float f = fp16_bits_to_float(b);
        const double want = half_value(b);
        if (std::isnan(want) ? !std::isnan(f) : (static_cast<double>(f) != want || std::signbit(f) != std::signbit(want)))
            ++bad;
    }
    REQUIRE(bad == 0);
}

TEST_CASE("float -> fp16 round-trips every half and keeps NaN", "[half]") {
    long bad = 0;
    for (std::uint32_t h = 0; h < 65536; ++h) {
        const auto b = static_cast<std::uint16_t>(h);
        const std::uint16_t back = float_to_fp16_bits(fp16_bits_to_float(b));
        if (is_half_nan(b) ? !(is_half_nan(back) && (back & 0x8000) == (b & 0x8000)) : back != b) ++bad;
    }
    REQUIRE(bad == 0);
}

TEST_CASE("float -> fp16 at every midpoint rounds to even, and one float ulp off it to nearest", "[half]") {
    long bad = 0;
    for (std::uint32_t h = 0; h < 0x7bff; ++h) {
        for (int sign : {0, 0x8000}) {
            const auto lo = static_cast<std::uint16_t>(h | static_cast<std::uint32_t>(sign));
            const auto hi = static_cast<std::uint16_t>(lo + 1);
            const auto mid = static_cast<float>((half_value(lo) + half_value(hi)) / 2);  // exact in float
            const std::uint16_t even = (lo & 1) ? hi : lo;
            if (float_to_fp16_bits(mid) != even) ++bad;
            const float toward_lo = std::nextafter(mid, static_cast<float>(half_value(lo)));
            const float toward_hi = std::nextafter(mid, static_cast<float>(half_value(hi)));
            if (float_to_fp16_bits(toward_lo) != lo || float_to_fp16_bits(toward_hi) != hi) ++bad;
        }
    }
    REQUIRE(bad == 0);
    CHECK(float_to_fp16_bits(65519.996f) == 0x7bff);
    CHECK(float_to_fp16_bits(65520.0f) == 0x7c00);
    CHECK(float_to_fp16_bits(-1e10f) == 0xfc00);
    CHECK(float_to_fp16_bits(0x1p-25f) == 0x0000);                          // tie with 0 goes to even 0
    CHECK(float_to_fp16_bits(std::nextafter(0x1p-25f, 1.0f)) == 0x0001);  // just above: smallest subnormal
    CHECK(float_to_fp16_bits(-0.0f) == 0x8000);
}

TEST_CASE("float -> fp16 matches the nearest-half search on random floats", "[half]") {
    std::mt19937 gen(12345);
    std::uniform_int_distribution<std::uint32_t> any_bits;
    std::uniform_real_distribution<float> in_range(-70000.0f, 70000.0f);
    std::uniform_int_distribution<int> exponent(-30, 17);
    long bad = 0, checked = 0;
    for (int i = 0; i < 1500000; ++i) {
        float x;
        switch (i % 3) {
            case 0: x = float_of(any_bits(gen)); break;
            case 1: x = in_range(gen); break;
            default: x = std::ldexp(in_range(gen) / 70000.0f, exponent(gen)); break;  // subnormal and small halves
        }
        if (std::isnan(x)) {
            if (!is_half_nan(float_to_fp16_bits(x))) ++bad;
            continue;
        }
        ++checked;
        if (float_to_fp16_bits(x) != nearest_half(x)) ++bad;
#if defined(__F16C__)
        // The hardware converter, with its rounding mode given explicitly, is a third opinion.
        const auto hw = static_cast<std::uint16_t>(_cvtss_sh(x, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
        if (float_to_fp16_bits(x) != hw) ++bad;
#endif
    }
    CHECK(checked > 1000000);
    REQUIRE(bad == 0);
}

TEST_CASE("bf16 -> float is exact and float -> bf16 round-trips", "[bf16]") {
    long bad = 0;
    for (std::uint32_t b = 0; b < 65536; ++b) {
        const auto v = static_cast<std::uint16_t>(b);
        const float f = bf16_bits_to_float(v);
        if (bits_of(f) != b << 16) ++bad;
        const std::uint16_t back = float_to_bf16_bits(f);
        const bool nan = (v & 0x7f80) == 0x7f80 && (v & 0x7f) != 0;
        if (nan ? !((back & 0x7f80) == 0x7f80 && (back & 0x7f) != 0 && (back & 0x8000) == (v & 0x8000)) : back != v) ++bad;
    }
    REQUIRE(bad == 0);
}

TEST_CASE("float -> bf16 matches the nearest-neighbour comparison on random floats and ties", "[bf16]") {
    std::mt19937 gen(777);
    std::uniform_int_distribution<std::uint32_t> any_bits;
    long bad = 0;
    for (int i = 0; i < 2000000; ++i) {
        std::uint32_t u = any_bits(gen);
        if (i % 4 == 1) u = (u & 0xffff0000u) | 0x8000u;  // exact ties
        if (i % 4 == 2) u = (u & 0xffff0000u) | 0x7fffu;  // just below a tie
        const float x = float_of(u);
        if (std::isnan(x)) {
            const std::uint16_t b = float_to_bf16_bits(x);
            if (!((b & 0x7f80) == 0x7f80 && (b & 0x7f) != 0)) ++bad;
            continue;
        }
        if (float_to_bf16_bits(x) != nearest_bf16(x)) ++bad;
    }
    REQUIRE(bad == 0);
    CHECK(float_to_bf16_bits(3.4028235e38f) == 0x7f80);  // FLT_MAX rounds past the largest bf16 to Inf
    CHECK(float_to_bf16_bits(1.0f) == 0x3f80);
    CHECK(float_to_bf16_bits(-0.0f) == 0x8000);
}
