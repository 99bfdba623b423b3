// lowbit/formats/gguf/search.hpp - ggml's scale searches, the scalar specification.
//
// The k-quants and the importance-weighted legacy quantizers choose each sub-block's scale (and
// minimum) by a small search that compares nearly equal weighted errors, so the chosen codes
// depend on every rounding: these functions perform ggml's float operations in ggml's order, each
// product rounded on its own (detail::mul).
//
// - make_qx_quants: symmetric codes in [-nmax, nmax - 1] (stored + nmax); the weighted
//   least-squares scale of the round-to-nearest codes at iscale = -nmax / m (m the signed absmax),
//   then 18 more candidates iscale = -(nmax + 0.1 is) / m, is = -9..9, keeping the one with the
//   largest sumlx^2 / suml2. Weights: the importance vector, else x^2.
// - make_q3_quants: symmetric, weights x^2, then up to five passes of coordinate descent that move
//   one code at a time when that raises sumlx^2 / suml2.
// - make_qkx2_quants / make_qkx3_quants: affine codes in [0, nmax] with a minimum <= 0; candidates
//   iscale = (rmin + rdelta is + nmax) / (max - min), is = 0..nstep, each refitted by weighted
//   least squares (scale and minimum), keeping the smallest weighted |error| (use_mad) or error^2.
// - make_qp_quants: codes of non-negative values (the sub-block scales) in [0, nmax], nine
//   candidate scales, then coordinate descent as in make_q3_quants.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>

#include "lowbit/formats/gguf/arithmetic.hpp"

namespace lowbit::gguf::reference::detail {
using namespace lowbit::gguf::detail;

inline constexpr float group_max_eps = 1e-15f;

// The first element of largest magnitude, signed, and that magnitude (ggml's
// `if (fabsf(x) > amax) { amax = fabsf(x); max = x; }` from amax = max = 0).
inline float signed_absmax(const float* x, int n, float& amax) {
    float max = 0.f;
    amax = 0.f;
    for (int i = 0; i < n; ++i) {
        if (std::fabs(x[i]) > amax) {
            amax = std::fabs(x[i]);
            max = x[i];
        }
    }
    return max;
}

// rmse_type 1 of ggml (the only one its quantizers use).
inline float make_qx_quants(int n, int nmax, const float* x, std::int8_t* L, const float* qw) {
    float amax = 0.f;
    const float max = signed_absmax(x, n, amax);
    if (amax < group_max_eps) {
        std::fill(L, L + n, std::int8_t{0});
        return 0.f;
    }
    const auto fn = static_cast<float>(nmax);
    const auto weight = [&](int i) { return qw ? qw[i] : mul(x[i], x[i]); };
    const auto code = [&](float iscale, int i) { return std::max(-nmax, std::min(nmax - 1, nearest_int(mul(iscale, x[i])))); };
    float iscale = -fn / max;
    float sumlx = 0.f, suml2 = 0.f;
    for (int i = 0; i < n; ++i) {
        const int l = code(iscale, i);
        L[i] = static_cast<std::int8_t>(l + nmax);
        const float w = weight(i), fl = static_cast<float>(l);
        sumlx += mul(mul(w, x[i]), fl);
        suml2 += mul(mul(w, fl), fl);
    }
    float scale = suml2 != 0.f ? sumlx / suml2 : 0.0f;
    float best = mul(scale, sumlx);
    for (int is = -9; is <= 9; ++is) {
        if (is == 0) continue;
        iscale = -(fn + mul(0.1f, static_cast<float>(is))) / max;
        sumlx = suml2 = 0.f;
        for (int i = 0; i < n; ++i) {
            const int l = code(iscale, i);
            const float w = weight(i), fl = static_cast<float>(l);
            sumlx += mul(mul(w, x[i]), fl);
            suml2 += mul(mul(w, fl), fl);
        }
        if (suml2 > 0.f && mul(sumlx, sumlx) > mul(best, suml2)) {
            for (int i = 0; i < n; ++i) L[i] = static_cast<std::int8_t>(nmax + code(iscale, i));
            scale = sumlx / suml2;
            best = mul(scale, sumlx);
        }
    }
    return scale;
}

// do_rmse = true (the only use: Q3_K's reference quantizer).
inline float make_q3_quants(int n, int nmax, const float* x, std::int8_t* L) {
    float amax = 0.f;
    const float max = signed_absmax(x, n, amax);
    if (amax < group_max_eps) {
        std::fill(L, L + n, std::int8_t{0});
        return 0.f;
    }
    const float iscale = -static_cast<float>(nmax) / max;
    float sumlx = 0.f, suml2 = 0.f;
    for (int i = 0; i < n; ++i) {
        const int l = std::max(-nmax, std::min(nmax - 1, nearest_int(mul(iscale, x[i]))));
        L[i] = static_cast<std::int8_t>(l);
        const float w = mul(x[i], x[i]), fl = static_cast<float>(l);
        sumlx += mul(mul(w, x[i]), fl);
        suml2 += mul(mul(w, fl), fl);
    }
    for (int itry = 0; itry < 5; ++itry) {
        int n_changed = 0;
        for (int i = 0; i < n; ++i) {
            const float w = mul(x[i], x[i]), fl = static_cast<float>(L[i]);
            float slx = sumlx - mul(mul(w, x[i]), fl);
            if (slx > 0.f) {
                float sl2 = suml2 - mul(mul(w, fl), fl);
                const int new_l = std::max(-nmax, std::min(nmax - 1, nearest_int(mul(x[i], sl2) / slx)));
                if (new_l != L[i]) {
                    const auto fn = static_cast<float>(new_l);
                    slx += mul(mul(w, x[i]), fn);
                    sl2 += mul(mul(w, fn), fn);
                    if (sl2 > 0.f && mul(mul(slx, slx), suml2) > mul(mul(sumlx, sumlx), sl2)) {
                        L[i] = static_cast<std::int8_t>(new_l);
                        sumlx = slx;
                        suml2 = sl2;
                        ++n_changed;
                    }
                }
            }
        }
        if (!n_changed) break;
    }
    for (int i = 0; i < n; ++i) L[i] = static_cast<std::int8_t>(L[i] + nmax);
    return suml2 > 0.0f ? sumlx / suml2 : 0.0f;
}

// The weighted |error| (use_mad) or error^2 of codes L under scale and min.
inline float affine_error(int n, const float* x, const float* weights, const std::uint8_t* L, float scale, float min, bool use_mad) {
    float error = 0.f;
    for (int i = 0; i < n; ++i) {
        float diff = mul(scale, static_cast<float>(L[i])) + min - x[i];
        diff = use_mad ? std::fabs(diff) : mul(diff, diff);
        error += mul(weights[i], diff);
    }
    return error;
}

// Shared body of make_qkx2_quants (Qk_K references) and make_qkx3_quants (importance-weighted
// quantizers): they differ in the degenerate-range test and in how a candidate code is clamped.
template <bool Qkx3>
inline float make_qkx_quants(int n, int nmax, const float* x, const float* weights, std::uint8_t* L, float* the_min,
                             std::uint8_t* Laux, float rmin, float rdelta, int nstep, bool use_mad) {
    float min = x[0], max = x[0];
    float sum_w = weights[0];
    float sum_x = mul(sum_w, x[0]);
    for (int i = 1; i < n; ++i) {
        if (x[i] < min) min = x[i];
        if (x[i] > max) max = x[i];
        sum_w += weights[i];
        sum_x += mul(weights[i], x[i]);
    }
    if (min > 0.f) min = 0.f;
    if (Qkx3 ? max <= min : max == min) {
        std::fill(L, L + n, std::uint8_t{0});
        *the_min = -min;
        return 0.f;
    }
    const auto fn = static_cast<float>(nmax);
    float iscale = fn / (max - min);
    float scale = 1 / iscale;
    for (int i = 0; i < n; ++i) {
        const int l = nearest_int(mul(iscale, x[i] - min));
        L[i] = static_cast<std::uint8_t>(std::max(0, std::min(nmax, l)));
    }
    float best_error = affine_error(n, x, weights, L, scale, min, use_mad);
    if (nstep < 1) {
        *the_min = -min;
        return scale;
    }
    for (int is = 0; is <= nstep; ++is) {
        iscale = (rmin + mul(rdelta, static_cast<float>(is)) + fn) / (max - min);
        float sum_l = 0.f, sum_l2 = 0.f, sum_xl = 0.f;
        for (int i = 0; i < n; ++i) {
            int l;
            if constexpr (Qkx3) {
                // The running min may have moved near max: clamp before rounding, as ggml does.
                const float v = mul(iscale, x[i] - min);
                l = v > 0.f ? nearest_int(std::min(v, fn)) : 0;
            } else {
                l = std::max(0, std::min(nmax, nearest_int(mul(iscale, x[i] - min))));
            }
            Laux[i] = static_cast<std::uint8_t>(l);
            const float w = weights[i], fl = static_cast<float>(l);
            sum_l += mul(w, fl);
            sum_l2 += mul(mul(w, fl), fl);
            sum_xl += mul(mul(w, fl), x[i]);
        }
        const float D = mul(sum_w, sum_l2) - mul(sum_l, sum_l);
        if (D > 0.f) {
            float this_scale = (mul(sum_w, sum_xl) - mul(sum_x, sum_l)) / D;
            float this_min = (mul(sum_l2, sum_x) - mul(sum_l, sum_xl)) / D;
            if (this_min > 0.f) {
                this_min = 0.f;
                this_scale = sum_xl / sum_l2;
            }
            const float cur_error = affine_error(n, x, weights, Laux, this_scale, this_min, use_mad);
            if (cur_error < best_error) {
                std::copy(Laux, Laux + n, L);
                best_error = cur_error;
                scale = this_scale;
                min = this_min;
            }
        }
    }
    *the_min = -min;
    return scale;
}

inline float make_qkx2_quants(int n, int nmax, const float* x, const float* weights, std::uint8_t* L, float* the_min,
                              std::uint8_t* Laux, float rmin, float rdelta, int nstep, bool use_mad) {
    return make_qkx_quants<false>(n, nmax, x, weights, L, the_min, Laux, rmin, rdelta, nstep, use_mad);
}

inline float make_qkx3_quants(int n, int nmax, const float* x, const float* weights, std::uint8_t* L, float* the_min,
                              std::uint8_t* Laux, float rmin, float rdelta, int nstep, bool use_mad) {
    return make_qkx_quants<true>(n, nmax, x, weights, L, the_min, Laux, rmin, rdelta, nstep, use_mad);
}

inline float make_qp_quants(int n, int nmax, const float* x, std::uint8_t* L, const float* quant_weights) {
    float max = 0.f;
    for (int i = 0; i < n; ++i) max = std::max(max, x[i]);
    if (max < group_max_eps) {
        std::fill(L, L + n, std::uint8_t{0});
        return 0.f;
    }
    const auto fn = static_cast<float>(nmax);
    float iscale = fn / max;
    for (int i = 0; i < n; ++i) L[i] = static_cast<std::uint8_t>(nearest_int(mul(iscale, x[i])));
    const float scale = 1 / iscale;
    float best_mse = 0.f;
    for (int i = 0; i < n; ++i) {
        const float diff = x[i] - mul(scale, static_cast<float>(L[i]));
        best_mse += mul(mul(quant_weights[i], diff), diff);
    }
    for (int is = -4; is <= 4; ++is) {
        if (is == 0) continue;
        const float iscale_is = (mul(0.1f, static_cast<float>(is)) + fn) / max;
        const float scale_is = 1 / iscale_is;
        float mse = 0.f;
        for (int i = 0; i < n; ++i) {
            const int l = std::min(nmax, nearest_int(mul(iscale_is, x[i])));
            const float diff = x[i] - mul(scale_is, static_cast<float>(l));
            mse += mul(mul(quant_weights[i], diff), diff);
        }
        if (mse < best_mse) {
            best_mse = mse;
            iscale = iscale_is;
        }
    }
    float sumlx = 0.f, suml2 = 0.f;
    for (int i = 0; i < n; ++i) {
        const int l = std::min(nmax, nearest_int(mul(iscale, x[i])));
        L[i] = static_cast<std::uint8_t>(l);
        const float w = quant_weights[i], fl = static_cast<float>(l);
        sumlx += mul(mul(w, x[i]), fl);
        suml2 += mul(mul(w, fl), fl);
    }
    for (int itry = 0; itry < 5; ++itry) {
        int n_changed = 0;
        for (int i = 0; i < n; ++i) {
            const float w = quant_weights[i], fl = static_cast<float>(L[i]);
            float slx = sumlx - mul(mul(w, x[i]), fl);
            float sl2 = suml2 - mul(mul(w, fl), fl);
            if (slx > 0.f && sl2 > 0.f) {
                const int new_l = std::min(nmax, nearest_int(mul(x[i], sl2) / slx));
                if (new_l != L[i]) {
                    const auto fn2 = static_cast<float>(new_l);
                    slx += mul(mul(w, x[i]), fn2);
                    sl2 += mul(mul(w, fn2), fn2);
                    if (mul(mul(slx, slx), suml2) > mul(mul(sumlx, sumlx), sl2)) {
                        L[i] = static_cast<std::uint8_t>(new_l);
                        sumlx = slx;
                        suml2 = sl2;
                        ++n_changed;
                    }
                }
            }
        }
        if (!n_changed) break;
    }
    return suml2 > 0.0f ? sumlx / suml2 : 0.0f;
}

}  // namespace lowbit::gguf::reference::detail
