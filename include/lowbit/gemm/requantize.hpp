// lowbit/gemm/requantize.hpp - int32 -> int32 scaling by a fixed-point multiplier, in the two
// conventions integer inference engines use. Both are exact integer formulas: every arch and every
// thread count gives the same result.
//
// A real multiplier r > 0 is stored as (m, shift) with r = m 2^(shift - 31), m in [2^30, 2^31)
// (quantize_multiplier). For an accumulator x:
//
//   double_rounding (gemmlowp; TFLite's reference kernels):
//       x' = saturate_int32(x 2^max(shift, 0))
//       h  = floor(x' m / 2^31 + 1/2)        (ties up: gemmlowp's nudge-and-truncate)
//       result = round(h / 2^max(-shift, 0)), ties away from zero
//   single_rounding (TFLite with TFLITE_SINGLE_ROUNDING; one rounding of the exact product):
//       result = saturate_int32(floor((x m + 2^(30 - shift)) / 2^(31 - shift)))   (ties up)
//
// The two agree except where the first rounding of double_rounding moves a value across a tie.
#pragma once

#include <cmath>
#include <algorithm>
#include <cstdint>
#include <limits>

#include "lowbit/core/error.hpp"

namespace lowbit::gemm {

struct quantized_multiplier {
    std::int32_t m = 1 << 30;  // 0.5 * 2^31
    int shift = 1;             // 2^(shift - 31) m = 1
};

inline constexpr int min_multiplier_shift = -31, max_multiplier_shift = 30;

// The (m, shift) nearest to a real multiplier in (0, 2^30); m rounds half away from zero.
inline quantized_multiplier quantize_multiplier(double real) {
    if (!(real > 0.0) || !std::isfinite(real)) lowbit::detail::fail("quantize_multiplier: multiplier ", real, " is not finite and > 0");
    int exponent = 0;
    const double fraction = std::frexp(real, &exponent);  // real = fraction 2^exponent, fraction in [0.5, 1)
    auto m = static_cast<std::int64_t>(std::round(fraction * 2147483648.0));
    if (m == (std::int64_t{1} << 31)) {  // rounded up to 1.0
        m /= 2;
        ++exponent;
    }
    if (exponent > max_multiplier_shift) lowbit::detail::fail("quantize_multiplier: multiplier ", real, " is too large (at most 2^30)");
    if (exponent < min_multiplier_shift) return {0, 0};  // below 2^-32: every int32 scales to 0 or -0
    return {static_cast<std::int32_t>(m), exponent};
}

inline void check_multiplier(const quantized_multiplier& q, const char* op) {
    if (q.m < 0) lowbit::detail::fail(op, ": fixed-point multiplier ", q.m, " is negative");
    if (q.shift < min_multiplier_shift || q.shift > max_multiplier_shift)
        lowbit::detail::fail(op, ": multiplier shift ", q.shift, " is outside [", min_multiplier_shift, ", ", max_multiplier_shift, "]");
}

namespace detail {

inline std::int32_t saturate_int32(std::int64_t v) {
    return static_cast<std::int32_t>(std::min<std::int64_t>(std::max<std::int64_t>(v, std::numeric_limits<std::int32_t>::min()),
                                                            std::numeric_limits<std::int32_t>::max()));
}

}  // namespace detail

struct double_rounding {
    static constexpr const char* name = "double_rounding";
    static std::int32_t apply(std::int32_t x, quantized_multiplier q) {
        const int left = q.shift > 0 ? q.shift : 0, right = q.shift > 0 ? 0 : -q.shift;
        const std::int32_t a = detail::saturate_int32(std::int64_t{x} * (std::int64_t{1} << left));
        const std::int64_t ab = std::int64_t{a} * q.m;  // m >= 0 (check_multiplier): gemmlowp's one overflow cannot occur
        const std::int64_t nudge = ab >= 0 ? (std::int64_t{1} << 30) : 1 - (std::int64_t{1} << 30);
        const auto h = static_cast<std::int32_t>((ab + nudge) / (std::int64_t{1} << 31));  // truncates toward zero
        if (right == 0) return h;
        if (right > 31) return 0;  // |h| < 2^31: every quotient rounds to 0
        const std::int64_t mask = (std::int64_t{1} << right) - 1;
        const std::int64_t remainder = std::int64_t{h} & mask;
        const std::int64_t threshold = (mask >> 1) + (h < 0 ? 1 : 0);
        return static_cast<std::int32_t>((std::int64_t{h} >> right) + (remainder > threshold ? 1 : 0));
    }
};

struct single_rounding {
    static constexpr const char* name = "single_rounding";
    static std::int32_t apply(std::int32_t x, quantized_multiplier q) {
        const int total = 31 - q.shift;  // in [1, 62]
        const std::int64_t round = std::int64_t{1} << (total - 1);
        return detail::saturate_int32((std::int64_t{x} * q.m + round) >> total);
    }
};

}  // namespace lowbit::gemm
