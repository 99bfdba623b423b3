// tests/quantize_properties.hpp - the properties every scheme's quantizer must have, checked on
// one input. Violations are counted in plain loops and asserted once, with the first one shown.
#pragma once

#include <algorithm>
#include <cmath>
#include <sstream>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include <catch2/catch.hpp>

#include "support.hpp"

namespace lowbit_test {

template <class S>
constexpr double storage_relative_error() {
    using st = typename S::scale_storage;
    if constexpr (std::is_same_v<st, lowbit::scale_f16>) return 0x1p-11;
    else if constexpr (std::is_same_v<st, lowbit::scale_bf16>) return 0x1p-8;
    else return 0x1p-24;
}

template <class S>
constexpr bool rounds_to_nearest() {
    using r = typename S::rounding;
    return std::is_same_v<r, lowbit::round_nearest_even> || std::is_same_v<r, lowbit::round_half_away> ||
           std::is_same_v<r, lowbit::round_half_up>;
}

struct violations {
    long count = 0;
    std::string first;
    template <class... Parts>
    void add(Parts&&... parts) {
        if (count++ == 0) {
            std::ostringstream os;
            (os << ... << parts);
            first = os.str();
        }
    }
};

template <class S>
void check_scheme_properties(const strided_matrix& m) {
    const index_t rows = m.rows, cols = m.cols;
    const auto x = m.view();
    const auto t = lowbit::quantize<S>(x);
    REQUIRE(t.rows() == rows);
    REQUIRE(t.cols() == cols);
    violations v;

    // Scales against an independent double computation of the formula; zero points in range.
    const index_t groups = t.group_count();
    std::vector<double> lo(static_cast<std::size_t>(groups), 1e300), hi(static_cast<std::size_t>(groups), -1e300);
    for (index_t r = 0; r < rows; ++r)
        for (index_t c = 0; c < cols; ++c) {
            const auto g = static_cast<std::size_t>(t.group_of(r, c));
            lo[g] = std::min(lo[g], static_cast<double>(x(r, c)));
            hi[g] = std::max(hi[g], static_cast<double>(x(r, c)));
        }
    const double ratio = S::range::ratio();
    for (index_t g = 0; g < groups; ++g) {
        const double l = lo[static_cast<std::size_t>(g)] * ratio, h = hi[static_cast<std::size_t>(g)] * ratio;
        const double raw = S::has_zero_point ? (std::max(h, 0.0) - std::min(l, 0.0)) / (S::qmax - S::qmin)
                                             : std::max(-l, h) / S::qmax;
        const double s = t.scale(g);
        if (std::fabs(s - raw) > raw * (storage_relative_error<S>() + 0x1p-21))
            v.add("group ", g, ": scale ", s, " but the formula gives ", raw);
        if (t.zero_point(g) < S::qmin || t.zero_point(g) > S::qmax) v.add("group ", g, ": zero point ", t.zero_point(g));
        if (!S::has_zero_point && t.zero_point(g) != 0) v.add("group ", g, ": symmetric zero point ", t.zero_point(g));
    }

    // Element properties.
    const auto deq = lowbit::dequantize(t);
    std::vector<float> fq(static_cast<std::size_t>(rows * cols));
    lowbit::fake_quantize<S>(x, {fq.data(), rows, cols});
    const double step_fraction = rounds_to_nearest<S>() ? 0.5 : 1.0;
    std::vector<std::vector<std::pair<float, int>>> by_group(static_cast<std::size_t>(groups));
    for (index_t r = 0; r < rows; ++r)
        for (index_t c = 0; c < cols; ++c) {
            const auto i = static_cast<std::size_t>(r * cols + c);
            const index_t g = t.group_of(r, c);
            const int q = t.code(r, c), zp = t.zero_point(g);
            const float s = t.scale(g), xv = x(r, c);
            by_group[static_cast<std::size_t>(g)].emplace_back(xv, q);
            if (q < S::qmin || q > S::qmax) v.add("(", r, ",", c, "): code ", q, " out of range");
            if (!same_bits(deq[i], static_cast<float>(q - zp) * s))
                v.add("(", r, ",", c, "): dequantized ", deq[i], " is not (q - zp) * scale");
            if (!same_bits(fq[i], deq[i]))
                v.add("(", r, ",", c, "): fake-quant ", fq[i], " differs from dequantize ", deq[i]);
            if (xv == 0.0f && deq[i] != 0.0f) v.add("(", r, ",", c, "): zero dequantizes to ", deq[i]);
            const double err = std::fabs(static_cast<double>(xv) - deq[i]);
            const double slack = (std::fabs(xv) + std::fabs(deq[i])) * 0x1p-21;
            const double lo_rep = static_cast<double>(S::qmin - zp) * s, hi_rep = static_cast<double>(S::qmax - zp) * s;
            if (xv >= lo_rep && xv <= hi_rep) {
                if (err > step_fraction * s + slack)
                    v.add("(", r, ",", c, "): |x - dequant| = ", err, " > ", step_fraction, " * scale ", s, " for x = ", xv);
            } else if (!S::range::clips) {
                // minmax: only the stored scale's rounding can push x past the end codes
                const double bound = step_fraction * s + s * (S::qmax - S::qmin) * storage_relative_error<S>() + slack;
                if (err > bound) v.add("(", r, ",", c, "): out-of-grid x = ", xv, " has error ", err, " > ", bound);
            } else if (q != (xv < lo_rep ? S::qmin : S::qmax)) {
                v.add("(", r, ",", c, "): clipped x = ", xv, " got code ", q, " instead of an end code");
            }
            if (std::is_same_v<typename S::rounding, lowbit::round_toward_zero> &&
                std::fabs(deq[i]) > std::fabs(xv) * (1 + 0x1p-21))
                v.add("(", r, ",", c, "): toward zero grew |x| = ", std::fabs(xv), " to ", std::fabs(deq[i]));
        }

    // Monotone within a group (deterministic rounding).
    if constexpr (!S::rounding::is_stochastic) {
        for (auto& pairs : by_group) {
            std::sort(pairs.begin(), pairs.end());
            for (std::size_t k = 1; k < pairs.size(); ++k)
                if (pairs[k].second < pairs[k - 1].second && pairs[k].first > pairs[k - 1].first)
                    v.add("not monotone: x = ", pairs[k - 1].first, " -> ", pairs[k - 1].second, " but x = ",
                          pairs[k].first, " -> ", pairs[k].second);
        }
    }

    // Packed rows round-trip through the public pack / unpack functions.
    std::vector<typename S::code_type> codes(static_cast<std::size_t>(cols));
    std::vector<std::uint8_t> repacked(static_cast<std::size_t>(t.row_bytes()));
    for (index_t r = 0; r < rows; ++r) {
        lowbit::unpack_codes<typename S::bits, typename S::packing>(t.row_data(r), static_cast<std::size_t>(t.row_bytes()),
                                                                    cols, codes.data());
        for (index_t c = 0; c < cols; ++c)
            if (codes[static_cast<std::size_t>(c)] != t.code(r, c)) v.add("row ", r, ": unpack disagrees at ", c);
        lowbit::pack_codes<typename S::bits, typename S::packing>(codes.data(), cols, repacked.data(), repacked.size());
        if (!std::equal(repacked.begin(), repacked.end(), t.row_data(r))) v.add("row ", r, ": repacking changes bytes");
    }

    // The strided input gives what a dense copy gives.
    const auto dense = m.dense();
    const auto td = lowbit::quantize<S>({dense.data(), rows, cols});
    if (td.packed_codes() != t.packed_codes()) v.add("dense copy gives other codes");
    if (td.zero_points() != t.zero_points()) v.add("dense copy gives other zero points");
    for (index_t g = 0; g < groups; ++g)
        if (!same_bits(td.scale(g), t.scale(g))) v.add("dense copy gives another scale in group ", g);

    // Fake-quantize is idempotent: with the same parameters, the dequantized grid values quantize
    // to the same codes again (nearest rounding; toward-zero and stochastic rounding may move a
    // grid value one step, as x * (1 / scale) can land an ulp below the integer).
    if constexpr (rounds_to_nearest<S>()) {
        auto again = t;
        lowbit::quantize_with_params<S>({deq.data(), rows, cols}, again);
        if (again.packed_codes() != t.packed_codes()) v.add("quantize_with_params(dequantize(q)) changed codes");
        std::vector<float> fq2(fq.size());
        lowbit::dequantize(again, {fq2.data(), rows, cols});
        if (fq2 != fq) v.add("fake-quant with fixed parameters is not idempotent");
    }
    // A symmetric min/max scheme re-fits the same grid to its own output: dynamic re-quantization
    // gives the same codes (the scale may move by an ulp, the codes may not), as long as the
    // scale storage error cannot move the largest code by half a step.
    if constexpr (!S::has_zero_point && !S::range::clips && rounds_to_nearest<S>() &&
                  storage_relative_error<S>() * S::qmax < 0.25) {
        if (lowbit::quantize<S>({deq.data(), rows, cols}).packed_codes() != t.packed_codes())
            v.add("symmetric re-quantization of dequantized values changed codes");
    }

    INFO("scheme with " << S::bits::bits << " bits, " << rows << " x " << cols << ": " << v.count
                        << " violations; first: " << v.first);
    REQUIRE(v.count == 0);
}

// Shapes for a scheme: single elements and groups, tails, odd row counts, padded strides.
template <class S>
std::vector<std::pair<index_t, index_t>> shapes_for() {
    constexpr index_t g = lowbit::detail::group_size_v<typename S::granularity>;
    constexpr index_t unit = std::max<index_t>({g, S::packing::block, 1});
    if constexpr (g == 0 && S::packing::block == 1)
        return {{1, 1}, {1, 7}, {3, 5}, {2, 33}, {17, 70}, {5, 129}, {64, 96}};
    else
        return {{1, unit}, {3, unit}, {2, 3 * unit}, {17, 5 * unit}, {4, 8 * unit}};
}

template <class S>
void check_scheme_on_shapes() {
    std::uint32_t seed = 1;
    for (const auto& [rows, cols] : shapes_for<S>())
        for (index_t pad : {index_t{0}, index_t{3}}) {
            INFO("shape " << rows << " x " << cols << ", row padding " << pad);
            check_scheme_properties<S>(weights(rows, cols, seed++, pad));
        }
}

}  // namespace lowbit_test
