// lowbit/kernels/quantize_vector.hpp - quantize, dequantize and fake-quantize on xsimd batches.
//
// One implementation serves every x86 vector tag: XA is the xsimd architecture of the tag
// (sse4_1, avx2, avx512bw), batches hold W = 4, 8 or 16 floats. The element formulas are the
// reference's (lowbit/quant/reference.hpp), evaluated lane-wise in the same order:
//   ranges      vector min / max per group (plus a non-finite detector: x - x is NaN only for
//               NaN and Inf); a bad input reruns the reference check, which throws its message
//   parameters  compute_group_params per group, the very scalar function the reference calls
//   codes       v = x * inv_scale, clamp to [qmin - zp, qmax - zp], Scheme::rounding::apply on the
//               batch, exact conversion, + zp, low byte of each lane, then pack_bytes
//   dequantize  unpack_fields, widen, sign-extend N-bit fields, float(q - zp) * scale
//   fake-quant  (round(v) + 0) * scale, which is float(q - zp) * scale without the integers
//               (+ 0 turns the -0 of a negative value rounded to zero into the reference's +0)
// Tails shorter than a batch and stochastic batches whose flat indices cross a multiple of 2^32
// run the scalar element functions of the reference. Views must have unit column stride (the
// entry points in lowbit/quant/quantize.hpp send other views to the reference).
#pragma once

#include <cmath>
#include <cstdint>
#include <limits>
#include <memory>
#include <vector>

#include "lowbit/core/lanes.hpp"
#include "lowbit/kernels/pack_bytes.hpp"
#include "lowbit/kernels/simd_bytes.hpp"
#include "lowbit/quant/reference.hpp"

namespace lowbit::kernels {

template <class Scheme, class XA>
struct vector_quantizer {
    using F = xsimd::batch<float, XA>;
    using I = xsimd::batch<std::int32_t, XA>;
    using U = xsimd::batch<std::uint32_t, XA>;
    using params_t = group_params<Scheme>;
    using granularity = typename Scheme::granularity;
    static constexpr index_t W = static_cast<index_t>(F::size);
    static constexpr int N = Scheme::bits::bits;
    static constexpr bool per_column = std::is_same_v<granularity, per_channel<1>>;

    // Parameters of one batch of elements: one group's, broadcast, or one per column.
    struct lane_params {
        F inv, lo, hi, scale;
        I zp;
    };

    static lane_params broadcast(const params_t& p) {
        return {F(p.inv_scale), F(static_cast<float>(Scheme::qmin - p.zero_point)),
                F(static_cast<float>(Scheme::qmax - p.zero_point)), F(p.scale), I(p.zero_point)};
    }

    // Per-column parameters in arrays, for per_channel<1>.
    struct column_arrays {
        std::vector<float> inv, lo, hi, scale;
        std::vector<std::int32_t> zp;
        explicit column_arrays(const std::vector<params_t>& ps) {
            for (const auto& p : ps) {
                inv.push_back(p.inv_scale);
                lo.push_back(static_cast<float>(Scheme::qmin - p.zero_point));
                hi.push_back(static_cast<float>(Scheme::qmax - p.zero_point));
                scale.push_back(p.scale);
                zp.push_back(p.zero_point);
            }
        }
        lane_params at(index_t c) const {
            const auto k = static_cast<std::size_t>(c);
            return {F::load_unaligned(inv.data() + k), F::load_unaligned(lo.data() + k), F::load_unaligned(hi.data() + k),
                    F::load_unaligned(scale.data() + k), I::load_unaligned(zp.data() + k)};
        }
    };

    static F round(const F& v, std::uint64_t index) {
        if constexpr (Scheme::rounding::is_stochastic) {
            alignas(64) static constexpr std::uint32_t iota[16] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};
            const lanes::index_batch<XA> idx{U(static_cast<std::uint32_t>(index)) + U::load_aligned(iota),
                                             static_cast<std::uint32_t>(index >> 32)};
            return Scheme::rounding::apply(v, idx);
        } else {
            return Scheme::rounding::apply(v, index);
        }
    }

    // A stochastic batch whose lane indices would carry into the upper 32 bits goes scalar.
    static bool carries(std::uint64_t index) {
        return Scheme::rounding::is_stochastic &&
               static_cast<std::uint32_t>(index) > std::numeric_limits<std::uint32_t>::max() - static_cast<std::uint32_t>(W - 1);
    }

    // Codes (Out = std::uint8_t, low bytes) or fake-quantized values (Out = float) of n elements
    // starting at flat index `index`. at(i) gives the lane parameters of elements i.., param(i)
    // the scalar parameters of element i.
    template <class Out, class At, class Param>
    static void elements(const float* x, index_t n, std::uint64_t index, Out* out, At at, Param param) {
        const index_t full = n - n % W;
        for (index_t i = 0; i < full; i += W) {
            const auto idx = index + static_cast<std::uint64_t>(i);
            if (carries(idx)) {
                for (index_t k = i; k < i + W; ++k) scalar_element(x[k], param(k), idx + static_cast<std::uint64_t>(k - i), out[k]);
                continue;
            }
            const lane_params p = at(i);
            F v = F::load_unaligned(x + i) * p.inv;
            v = xsimd::min(xsimd::max(v, p.lo), p.hi);
            const F r = round(v, idx);
            if constexpr (std::is_same_v<Out, float>)
                ((r + F(0.0f)) * p.scale).store_unaligned(out + i);
            else
                store_low_bytes(xsimd::batch_cast<std::int32_t>(r) + p.zp, out + i);
        }
        for (index_t i = full; i < n; ++i) scalar_element(x[i], param(i), index + static_cast<std::uint64_t>(i), out[i]);
    }

    template <class Out>
    static void scalar_element(float x, const params_t& p, std::uint64_t index, Out& out) {
        const int q = quantize_value<Scheme>(x, p, index);
        if constexpr (std::is_same_v<Out, float>)
            out = dequantize_value(q, p.zero_point, p.scale);
        else
            out = static_cast<std::uint8_t>(q);
    }

    // [lo, hi] of n contiguous floats folded into lo / hi; false if one is not finite. A symmetric
    // scheme needs only amax = max(-lo, hi) = max |x|: it folds -amax into lo and amax into hi,
    // which gives the reference's amax exactly, with one reduction instead of two.
    static bool fold_range(const float* x, index_t n, float& lo, float& hi) {
        index_t i = 0;
        if constexpr (!Scheme::has_zero_point) {
            if (n >= W) {
                F amax = xsimd::abs(F::load_unaligned(x)), bad = amax - amax;
                for (i = W; i + W <= n; i += W) {
                    const F a = xsimd::abs(F::load_unaligned(x + i));
                    amax = xsimd::max(amax, a);
                    bad = bad + (a - a);
                }
                if (xsimd::any(xsimd::isnan(bad))) return false;
                const float m = reduce_max(amax);
                lo = lanes::min(lo, -m);
                hi = lanes::max(hi, m);
            }
            for (; i < n; ++i) {
                if (!std::isfinite(x[i])) return false;
                lo = lanes::min(lo, -std::fabs(x[i]));
                hi = lanes::max(hi, std::fabs(x[i]));
            }
            return true;
        }
        if (n >= W) {
            F vlo = F::load_unaligned(x), vhi = vlo, bad = vlo - vlo;
            for (i = W; i + W <= n; i += W) {
                const F v = F::load_unaligned(x + i);
                vlo = xsimd::min(vlo, v);
                vhi = xsimd::max(vhi, v);
                bad = bad + (v - v);
            }
            if (xsimd::any(xsimd::isnan(bad))) return false;
            lo = lanes::min(lo, reduce_min(vlo));
            hi = lanes::max(hi, reduce_max(vhi));
        }
        for (; i < n; ++i) {
            if (!std::isfinite(x[i])) return false;
            lo = lanes::min(lo, x[i]);
            hi = lanes::max(hi, x[i]);
        }
        return true;
    }

    // Column-wise ranges for per_channel<1>: lanes are columns.
    static bool fold_columns(const float* x, index_t cols, float* lo, float* hi) {
        index_t c = 0;
        for (; c + W <= cols; c += W) {
            const F v = F::load_unaligned(x + c);
            if (xsimd::any(xsimd::isnan(v - v))) return false;
            xsimd::min(F::load_unaligned(lo + c), v).store_unaligned(lo + c);
            xsimd::max(F::load_unaligned(hi + c), v).store_unaligned(hi + c);
        }
        for (; c < cols; ++c) {
            if (!std::isfinite(x[c])) return false;
            lo[c] = lanes::min(lo[c], x[c]);
            hi[c] = lanes::max(hi[c], x[c]);
        }
        return true;
    }

    static std::vector<params_t> params(matrix_view<const float> x, const char* who) {
        const index_t groups = x.empty() ? 0 : granularity::group_count(x.rows, x.cols);
        std::vector<float> lo(static_cast<std::size_t>(groups), std::numeric_limits<float>::infinity());
        std::vector<float> hi(static_cast<std::size_t>(groups), -std::numeric_limits<float>::infinity());
        bool finite = true;
        for (index_t r = 0; r < x.rows && finite; ++r) {
            const float* row = x.data + r * x.row_stride;
            if constexpr (per_column) {
                finite = fold_columns(row, x.cols, lo.data(), hi.data());
            } else if constexpr (detail::group_size_v<granularity> > 0) {
                constexpr index_t G = granularity::group_size;
                for (index_t s = 0; s < x.cols / G && finite; ++s) {
                    const auto g = static_cast<std::size_t>(granularity::group_of(r, s * G, x.cols));
                    finite = fold_range(row + s * G, G, lo[g], hi[g]);
                }
            } else {
                const auto g = static_cast<std::size_t>(granularity::group_of(r, 0, x.cols));
                finite = fold_range(row, x.cols, lo[g], hi[g]);
            }
        }
        if (!finite) return detail::compute_params<Scheme>(x, who);  // throws, naming the element
        std::vector<params_t> out;
        out.reserve(static_cast<std::size_t>(groups));
        for (index_t g = 0; g < groups; ++g)
            out.push_back(compute_group_params<Scheme>(lo[static_cast<std::size_t>(g)], hi[static_cast<std::size_t>(g)], who,
                                                       g, x.cols));
        return out;
    }

    // Quantized codes (Out = std::uint8_t) or fake-quantized values (Out = float) of row r.
    template <class Out>
    static void row(const float* xr, index_t r, index_t cols, const std::vector<params_t>& ps,
                    const column_arrays* columns, Out* out) {
        const auto base = static_cast<std::uint64_t>(r * cols);
        if constexpr (per_column) {
            elements(xr, cols, base, out, [&](index_t i) { return columns->at(i); },
                     [&](index_t i) -> const params_t& { return ps[static_cast<std::size_t>(i)]; });
        } else if constexpr (detail::group_size_v<granularity> > 0) {
            constexpr index_t G = granularity::group_size;
            for (index_t c = 0; c < cols; c += G) segment(xr + c, G, base + static_cast<std::uint64_t>(c), ps, r, c, cols, out + c);
        } else {
            segment(xr, cols, base, ps, r, 0, cols, out);
        }
    }

    // n elements that share the parameters of the group of element (r, c).
    template <class Out>
    static void segment(const float* x, index_t n, std::uint64_t index, const std::vector<params_t>& ps, index_t r,
                        index_t c, index_t cols, Out* out) {
        const params_t& p = ps[static_cast<std::size_t>(granularity::group_of(r, c, cols))];
        const lane_params lp = broadcast(p);
        elements(x, n, index, out, [&](index_t) { return lp; }, [&](index_t) -> const params_t& { return p; });
    }

    static void quantize(matrix_view<const float> x, quantized_tensor<Scheme>& out) {
        const auto ps = params(x, "quantize");
        for (std::size_t g = 0; g < ps.size(); ++g) {
            out.stored_scales()[g] = ps[g].stored;
            if constexpr (Scheme::has_zero_point)
                out.zero_points()[g] = static_cast<typename Scheme::code_type>(ps[g].zero_point);
        }
        std::unique_ptr<column_arrays> columns;
        if constexpr (per_column) columns = std::make_unique<column_arrays>(ps);
        std::vector<std::uint8_t> codes(static_cast<std::size_t>(x.cols));
        for (index_t r = 0; r < x.rows; ++r) {
            std::uint8_t* dst = N == 8 ? out.row_data(r) : codes.data();
            row(x.data + r * x.row_stride, r, x.cols, ps, columns.get(), dst);
            if constexpr (N != 8) pack_bytes<N, typename Scheme::packing>(codes.data(), x.cols, out.row_data(r));
        }
    }

    static void fake_quantize(matrix_view<const float> x, matrix_view<float> out) {
        const auto ps = params(x, "fake_quantize");
        std::unique_ptr<column_arrays> columns;
        if constexpr (per_column) columns = std::make_unique<column_arrays>(ps);
        for (index_t r = 0; r < x.rows; ++r)
            row(x.data + r * x.row_stride, r, x.cols, ps, columns.get(), out.data + r * out.row_stride);
    }

    // float(q - zp) * scale for n codes given as N-bit fields in bytes.
    static void dequantize_fields(const std::uint8_t* fields, index_t n, const lane_params& p, const params_t& sp,
                                  float* out) {
        const index_t full = n - n % W;
        for (index_t i = 0; i < full; i += W) {
            I q = load_bytes<Scheme::bits::is_signed && N == 8>(fields + i, XA{});
            if constexpr (Scheme::bits::is_signed && N < 8) q = (q ^ I(1 << (N - 1))) - I(1 << (N - 1));
            (xsimd::batch_cast<float>(q - p.zp) * p.scale).store_unaligned(out + i);
        }
        for (index_t i = full; i < n; ++i)
            out[i] = dequantize_value(detail::decode_field<N, Scheme::bits::is_signed>(fields[i]), sp.zero_point, sp.scale);
    }

    static void dequantize(const quantized_tensor<Scheme>& t, matrix_view<float> out) {
        const index_t cols = t.cols();
        std::vector<params_t> ps(static_cast<std::size_t>(t.group_count()));
        for (index_t g = 0; g < t.group_count(); ++g) {
            ps[static_cast<std::size_t>(g)].scale = t.scale(g);
            ps[static_cast<std::size_t>(g)].zero_point = t.zero_point(g);
        }
        std::unique_ptr<column_arrays> columns;
        if constexpr (per_column) columns = std::make_unique<column_arrays>(ps);
        std::vector<std::uint8_t> fields(static_cast<std::size_t>(cols));
        for (index_t r = 0; r < t.rows(); ++r) {
            const std::uint8_t* f = t.row_data(r);
            if constexpr (N != 8) {
                unpack_fields<N, typename Scheme::packing>(t.row_data(r), cols, fields.data());
                f = fields.data();
            }
            float* dst = out.data + r * out.row_stride;
            if constexpr (per_column) {
                index_t c = 0;
                for (; c + W <= cols; c += W) dequantize_fields(f + c, W, columns->at(c), ps[static_cast<std::size_t>(c)], dst + c);
                for (; c < cols; ++c) dequantize_fields(f + c, 1, lane_params{}, ps[static_cast<std::size_t>(c)], dst + c);
            } else if constexpr (detail::group_size_v<granularity> > 0) {
                constexpr index_t G = granularity::group_size;
                for (index_t c = 0; c < cols; c += G) {
                    const params_t& p = ps[static_cast<std::size_t>(granularity::group_of(r, c, cols))];
                    dequantize_fields(f + c, G, broadcast(p), p, dst + c);
                }
            } else {
                const params_t& p = ps[static_cast<std::size_t>(granularity::group_of(r, 0, cols))];
                dequantize_fields(f, cols, broadcast(p), p, dst);
            }
        }
    }
};

}  // namespace lowbit::kernels
