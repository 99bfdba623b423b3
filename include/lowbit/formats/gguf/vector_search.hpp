// lowbit/formats/gguf/vector_search.hpp - ggml's scale searches (search.hpp) with one sub-block per
// lane: lane k runs the scalar function on sub-block k, float operation for float operation.
// Branches of the scalar code become lane masks: a lane whose scalar code would skip an update keeps
// its values, and a lane whose scalar loop would stop (make_q3_quants' `break`) stops updating.
//
// Inputs are transposed: x[i] holds element i of every lane's sub-block. Codes come back the same
// way, as integral floats (already offset to be non-negative, as the scalar functions store them).
// Where the scalar code rounds with nearest_int and then clamps, a lane rounds with round_even,
// which gives the same integer on nearest_int's domain |v| <= 2^22 - 1; each use states why its
// operand stays in that domain. The one operand that is not bounded (the coordinate-descent
// quotient of make_q3_quants) goes through the exact bit trick.
#pragma once

#include <type_traits>

#include "lowbit/formats/gguf/lanes.hpp"
#include "lowbit/formats/gguf/search.hpp"

namespace lowbit::gguf::detail {

template <class XA, int N>
struct vector_search : lanes<XA, N> {
    using base = lanes<XA, N>;
    using typename base::B;
    using typename base::F;
    using typename base::I;
    using base::abs;
    using base::clamp;
    using base::mul;
    using base::round_even;
    using base::select;

    template <int n, bool use_mad>
    static F affine_error(const F* x, const F* weights, const F* L, const F& scale, const F& min) {
        F error(0.f);
        for (int i = 0; i < n; ++i) {
            F diff = mul(scale, L[i]) + min - x[i];
            if constexpr (use_mad) diff = abs(diff);
            else diff = mul(diff, diff);
            error += mul(weights[i], diff);
        }
        return error;
    }

    // make_qkx2_quants (Qkx3 = false) / make_qkx3_quants (true); returns the scale, sets the_min.
    //
    // Codes: the scalar rounds v = iscale * (x - min) with nearest_int and clamps to [0, nmax]
    // (make_qkx3_quants writes it v > 0 ? nearest_int(min(v, nmax)) : 0, which is the same integer
    // for every v, NaN included). On a kept lane v lies in [-(nmax + 2), nmax + 2]: x - min <=
    // max - min and iscale = c / (max - min) with c <= nmax + 1 (degenerate lanes, max == min, are
    // overwritten at the end), so round_even gives nearest_int's integer. When c < nmax + 0.49, v
    // cannot round above nmax (fl(fl(c / D) * fl(x - min)) <= c (1 + 2^-23)^2) and the upper clamp is
    // skipped. Instead of copying a lane's codes at every improvement, the lane keeps the iscale and
    // min that produced its best codes and they are recomputed once at the end: the same operations
    // on the same operands give the same codes.
    template <bool Qkx3, int n, int nmax, bool use_mad>
    static F make_qkx_quants(const F* x, const F* weights, F* L, F& the_min, F* Laux, float rmin, float rdelta, int nstep) {
        F min = x[0], max = x[0];
        F sum_w = weights[0];
        F sum_x = mul(sum_w, x[0]);
        for (int i = 1; i < n; ++i) {
            min = select(x[i] < min, x[i], min);
            max = select(x[i] > max, x[i], max);
            sum_w += weights[i];
            sum_x += mul(weights[i], x[i]);
        }
        min = select(min > F(0.f), F(0.f), min);
        const B degenerate = Qkx3 ? (max <= min) : (max == min);
        const F min0 = min;
        constexpr auto fn = static_cast<float>(nmax);
        F xm[extent<n>];  // x - min for the current min
        for (int i = 0; i < n; ++i) xm[i] = x[i] - min;
        F iscale = F(fn) / (max - min);
        F scale = F(1.f) / iscale;
        F best_iscale = iscale, best_min = min;
        for (int i = 0; i < n; ++i) Laux[i] = clamp(round_even(mul(iscale, xm[i])), 0.f, fn);
        F best_error = affine_error<n, use_mad>(x, weights, Laux, scale, min);
        for (int is = 0; nstep >= 1 && is <= nstep; ++is) {
            const float numerator = rmin + gguf::detail::mul(rdelta, static_cast<float>(is)) + fn;
            iscale = F(numerator) / (max - min);
            F sum_l(0.f), sum_l2(0.f), sum_xl(0.f);
            const auto accumulate = [&](auto upper) {
                for (int i = 0; i < n; ++i) {
                    const F r = round_even(mul(iscale, xm[i]));
                    const F l = decltype(upper)::value ? clamp(r, 0.f, fn) : base::max(r, F(0.f));
                    Laux[i] = l;
                    const F wl = mul(weights[i], l);
                    sum_l += wl;
                    sum_l2 += mul(wl, l);
                    sum_xl += mul(wl, x[i]);
                }
            };
            if (numerator < fn + 0.49f) accumulate(std::false_type{});
            else accumulate(std::true_type{});
            const F D = mul(sum_w, sum_l2) - mul(sum_l, sum_l);
            const B solvable = D > F(0.f);
            if (!any(solvable)) continue;
            F this_scale = (mul(sum_w, sum_xl) - mul(sum_x, sum_l)) / D;
            F this_min = (mul(sum_l2, sum_x) - mul(sum_l, sum_xl)) / D;
            const B positive = this_min > F(0.f);
            this_min = select(positive, F(0.f), this_min);
            this_scale = select(positive, sum_xl / sum_l2, this_scale);
            const F cur_error = affine_error<n, use_mad>(x, weights, Laux, this_scale, this_min);
            const B better = solvable & (cur_error < best_error) & !degenerate;
            if (!any(better)) continue;
            best_iscale = select(better, iscale, best_iscale);
            best_min = select(better, min, best_min);
            best_error = select(better, cur_error, best_error);
            scale = select(better, this_scale, scale);
            min = select(better, this_min, min);
            for (int i = 0; i < n; ++i) xm[i] = x[i] - min;
        }
        for (int i = 0; i < n; ++i)
            L[i] = select(degenerate, F(0.f), clamp(round_even(mul(best_iscale, x[i] - best_min)), 0.f, fn));
        the_min = -select(degenerate, min0, min);
        return select(degenerate, F(0.f), scale);
    }

    // The signed element of largest magnitude (first on ties) and that magnitude.
    template <int n>
    static void signed_absmax(const F* x, F& max, F& amax) {
        max = F(0.f);
        amax = F(0.f);
        for (int i = 0; i < n; ++i) {
            const F ax = abs(x[i]);
            const B larger = ax > amax;
            amax = select(larger, ax, amax);
            max = select(larger, x[i], max);
        }
    }

    // make_qx_quants (rmse_type 1); qw == nullptr means weights x^2. Codes stored + nmax.
    // Rounded operands iscale * x: |x| <= |max| and |iscale| <= (nmax + 1) / |max| on lanes whose
    // result is kept (amax >= 1e-15; all-zero lanes are overwritten at the end). w and w * x do not
    // change between candidates and are computed once (the same rounded values as the scalar's);
    // the best codes are recomputed from the best iscale at the end, as in make_qkx_quants.
    template <int n, int nmax>
    static F make_qx_quants(const F* x, F* L, const F* qw) {
        F max, amax;
        signed_absmax<n>(x, max, amax);
        const B zero = amax < F(reference::detail::group_max_eps);
        constexpr auto fn = static_cast<float>(nmax);
        F w[extent<n>], wx[extent<n>];
        for (int i = 0; i < n; ++i) {
            w[i] = qw ? qw[i] : mul(x[i], x[i]);
            wx[i] = mul(w[i], x[i]);
        }
        const auto code = [&](const F& iscale, int i) { return clamp(round_even(mul(iscale, x[i])), -fn, fn - 1); };
        // |iscale * x| <= c (1 + 2^-23)^2 for iscale = -c / max: below nmax - 1/2 no clamp can act,
        // below nmax + 1/2 only the upper one (nmax - 1) can.
        const auto sums = [&](const F& iscale, float c, F& sumlx, F& suml2) {
            const auto run = [&](auto clamp_low, auto clamp_high) {
                sumlx = F(0.f);
                suml2 = F(0.f);
                for (int i = 0; i < n; ++i) {
                    F l = round_even(mul(iscale, x[i]));
                    if constexpr (decltype(clamp_low)::value) l = base::max(l, F(-fn));
                    if constexpr (decltype(clamp_high)::value) l = base::min(l, F(fn - 1));
                    sumlx += mul(wx[i], l);
                    suml2 += mul(mul(w[i], l), l);
                }
            };
            if (c < fn - 0.51f) run(std::false_type{}, std::false_type{});
            else if (c < fn + 0.49f) run(std::false_type{}, std::true_type{});
            else run(std::true_type{}, std::true_type{});
        };
        F iscale = F(-fn) / max;
        F sumlx, suml2;
        sums(iscale, fn, sumlx, suml2);
        F best_iscale = iscale;
        F scale = select(suml2 != F(0.f), sumlx / suml2, F(0.f));
        F best = mul(scale, sumlx);
        for (int is = -9; is <= 9; ++is) {
            if (is == 0) continue;
            const float c = fn + gguf::detail::mul(0.1f, static_cast<float>(is));
            iscale = F(-c) / max;
            sums(iscale, c, sumlx, suml2);
            const B better = (suml2 > F(0.f)) & (mul(sumlx, sumlx) > mul(best, suml2));
            if (!any(better)) continue;
            best_iscale = select(better, iscale, best_iscale);
            scale = select(better, sumlx / suml2, scale);
            best = select(better, mul(scale, sumlx), best);
        }
        for (int i = 0; i < n; ++i) L[i] = select(zero, F(0.f), code(best_iscale, i) + F(fn));
        return select(zero, F(0.f), scale);
    }

    // make_q3_quants (do_rmse = true). Codes stored + nmax.
    template <int n, int nmax>
    static F make_q3_quants(const F* x, F* L) {
        F max, amax;
        signed_absmax<n>(x, max, amax);
        const B zero = amax < F(reference::detail::group_max_eps);
        const auto fn = static_cast<float>(nmax);
        const F iscale = F(-fn) / max;  // |iscale * x| <= nmax on kept lanes, as in make_qx_quants
        F sumlx(0.f), suml2(0.f);
        for (int i = 0; i < n; ++i) {
            const F l = clamp(round_even(mul(iscale, x[i])), -fn, fn - 1);
            L[i] = l;
            const F w = mul(x[i], x[i]);
            sumlx += mul(mul(w, x[i]), l);
            suml2 += mul(mul(w, l), l);
        }
        B active = !zero;
        for (int itry = 0; itry < 5 && any(active); ++itry) {
            B changed = F(0.f) != F(0.f);  // all false
            for (int i = 0; i < n; ++i) {
                const F w = mul(x[i], x[i]), fl = L[i];
                F slx = sumlx - mul(mul(w, x[i]), fl);
                const B positive = active & (slx > F(0.f));
                F sl2 = suml2 - mul(mul(w, fl), fl);
                // x * sl2 / slx is unbounded as slx -> 0: ggml's exact rounding, then the clamp.
                const F fnew = base::to_float(base::clamp(base::nearest_int(mul(x[i], sl2) / slx), -nmax, nmax - 1));
                const B differs = positive & (fnew != fl);
                slx += mul(mul(w, x[i]), fnew);
                sl2 += mul(mul(w, fnew), fnew);
                const B accept = differs & (sl2 > F(0.f)) & (mul(mul(slx, slx), suml2) > mul(mul(sumlx, sumlx), sl2));
                L[i] = select(accept, fnew, L[i]);
                sumlx = select(accept, slx, sumlx);
                suml2 = select(accept, sl2, suml2);
                changed = changed | accept;
            }
            active = active & changed;
        }
        for (int i = 0; i < n; ++i) L[i] = select(zero, F(0.f), L[i] + F(fn));
        return select(zero | !(suml2 > F(0.f)), F(0.f), sumlx / suml2);
    }
};

}  // namespace lowbit::gguf::detail
