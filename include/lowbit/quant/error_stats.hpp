// lowbit/quant/error_stats.hpp - how far a quantized tensor is from the original.
//
// compare(x, y) over equal-shaped views, accumulated in double, e = x - y:
//   mse       = sum(e^2) / n
//   max_abs   = max |e|
//   sqnr_db   = 10 log10(sum(x^2) / sum(e^2));  +Inf when e == 0 everywhere, -Inf when x == 0 and e != 0
//   cosine    = sum(x y) / sqrt(sum(x^2) sum(y^2)); 1 when both are all zero, 0 when just one is
// Bits per weight of a quantized tensor: quantized_tensor::bits_per_weight().
#pragma once

#include <algorithm>
#include <cmath>
#include <limits>

#include "lowbit/core/error.hpp"
#include "lowbit/core/view.hpp"

namespace lowbit {

struct error_stats {
    index_t count = 0;
    double mse = 0.0;
    double max_abs = 0.0;
    double sqnr_db = std::numeric_limits<double>::infinity();
    double cosine = 1.0;
};

inline error_stats compare(matrix_view<const float> x, matrix_view<const float> y) {
    validate_view(x, "compare: reference");
    validate_view(y, "compare: approximation");
    if (x.rows != y.rows || x.cols != y.cols)
        detail::fail("compare: the reference is ", x.rows, " x ", x.cols, " but the approximation is ", y.rows, " x ",
                     y.cols);
    double sxx = 0, syy = 0, sxy = 0, see = 0, emax = 0;
    for (index_t r = 0; r < x.rows; ++r)
        for (index_t c = 0; c < x.cols; ++c) {
            const double a = x(r, c);
            const double b = y(r, c);
            if (!std::isfinite(a) || !std::isfinite(b))
                detail::fail("compare: non-finite value at row ", r, ", column ", c, " (reference ", a,
                             ", approximation ", b, ")");
            sxx += a * a;
            syy += b * b;
            sxy += a * b;
            see += (a - b) * (a - b);
            emax = std::max(emax, std::fabs(a - b));
        }
    error_stats s;
    s.count = x.rows * x.cols;
    if (s.count == 0) return s;
    s.mse = see / static_cast<double>(s.count);
    s.max_abs = emax;
    if (see > 0) s.sqnr_db = sxx > 0 ? 10.0 * std::log10(sxx / see) : -std::numeric_limits<double>::infinity();
    if (sxx > 0 && syy > 0)
        s.cosine = sxy / std::sqrt(sxx * syy);
    else
        s.cosine = (sxx == 0 && syy == 0) ? 1.0 : 0.0;
    return s;
}

}  // namespace lowbit
