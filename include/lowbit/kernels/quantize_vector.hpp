// lowbit/kernels/quantize_vector.hpp - quantize, dequantize and fake-quantize on xsimd batches
// (ranges and parameters: lowbit/kernels/vector_ranges.hpp).
//
// One implementation serves every x86 vector tag: XA is the xsimd architecture of the tag
// (sse4_1, avx2, avx512bw), batches hold W = 4, 8 or 16 floats. The element formulas are the
// reference's (lowbit/quant/reference.hpp), evaluated lane-wise in the same order:
//   ranges      vector min / max per group; symmetric schemes take amax = max |x| as the integer
//               maximum of the bit patterns of |x|, which also flags NaN and Inf (patterns at or
//               above 0x7f800000). Groups of a multiple of W elements are reduced W groups at a
//               time, one group per lane (reduce_each), and their parameters computed lane-wise
//   parameters  the formulas of lowbit/quant/params.hpp, lane-wise for f32 and f16 storage, else
//               try_group_params per group, the very scalar function the reference calls
//   order       per-group and per-row schemes stream: each row's ranges, parameters and codes in
//               one pass while the row is in cache; per-tensor and per-column schemes need every
//               row's range first and take two passes
//   errors      any non-finite input or unrepresentable range hands the whole call to the
//               reference, which throws its exact message
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
#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <vector>

#include "lowbit/core/lanes.hpp"
#include "lowbit/kernels/pack_bytes.hpp"
#include "lowbit/kernels/simd_ops.hpp"
#include "lowbit/kernels/vector_ranges.hpp"
#include "lowbit/quant/reference.hpp"

namespace lowbit::kernels {

template <class Scheme, class XA>
struct vector_quantizer : vector_ranges<Scheme, XA> {
    using base = vector_ranges<Scheme, XA>;
    using typename base::block;
    using typename base::F;
    using typename base::I;
    using typename base::params_t;
    using base::abs_bits;
    using base::block_params;
    using base::fold_columns;
    using base::fold_range;
    using base::inf_bits;
    using base::int_max;
    using base::lanes;
    using base::W;
    using U = xsimd::batch<std::uint32_t, XA>;
    using granularity = typename Scheme::granularity;
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

    // Column arrays for a per_channel<1> scheme, none for the others.
    static std::unique_ptr<column_arrays> columns_for(const std::vector<params_t>& ps) {
        if constexpr (per_column) return std::make_unique<column_arrays>(ps);
        return nullptr;
    }

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

    // Float outputs of at least this many bytes are written with non-temporal stores: they do
    // not fit in cache anyway, and skipping the read-for-ownership saves a third of the traffic.
    static constexpr std::size_t stream_bytes = std::size_t{8} << 20;

    static void put(const F& v, float* p, bool stream) {
        if (stream && reinterpret_cast<std::uintptr_t>(p) % sizeof(F) == 0)
            stream_store(v, p);
        else
            v.store_unaligned(p);
    }

    // x * inv_scale clamped to [qmin - zp, qmax - zp], for the batch of elements i.. of x.
    static F clamped(const float* x, index_t i, const lane_params& p) {
        return xsimd::min(xsimd::max(F::load_unaligned(x + i) * p.inv, p.lo), p.hi);
    }

    // The codes of the batch of elements i.. of x; `index` is the flat index of x[0].
    static I code(const float* x, index_t i, const lane_params& p, std::uint64_t index) {
        if constexpr (std::is_same_v<typename Scheme::rounding, round_nearest_even>)
            return cvt_nearest_even(clamped(x, i, p)) + p.zp;
        else
            return xsimd::batch_cast<std::int32_t>(round(clamped(x, i, p), index + static_cast<std::uint64_t>(i))) + p.zp;
    }

    // Codes (Out = std::uint8_t, low bytes) or fake-quantized values (Out = float) of n elements
    // starting at flat index `index`. at(i) gives the lane parameters of elements i.., param(i)
    // the scalar parameters of element i.
    template <class Out, class At, class Param>
    static void elements(const float* x, index_t n, std::uint64_t index, Out* out, At at, Param param,
                         bool stream = false) {
        index_t i = 0;
        if constexpr (!std::is_same_v<Out, float> && !Scheme::rounding::is_stochastic) {
            // Four batches at a time: one pack-and-store of 4W codes.
            const index_t full4 = n - n % (4 * W);
            for (; i < full4; i += 4 * W)
                store_codes4<Scheme::bits::is_signed>(code(x, i, at(i), index), code(x, i + W, at(i + W), index),
                                                      code(x, i + 2 * W, at(i + 2 * W), index),
                                                      code(x, i + 3 * W, at(i + 3 * W), index), out + i);
        }
        const index_t full = n - n % W;
        for (; i < full; i += W) {
            const auto idx = index + static_cast<std::uint64_t>(i);
            if (carries(idx)) {
                for (index_t k = i; k < i + W; ++k) scalar_element(x[k], param(k), idx + static_cast<std::uint64_t>(k - i), out[k]);
                continue;
            }
            const lane_params p = at(i);
            if constexpr (std::is_same_v<Out, float>)
                put((round(clamped(x, i, p), idx) + F(0.0f)) * p.scale, out + i, stream);
            else
                store_low_bytes(code(x, i, p, index), out + i);
        }
        for (index_t t = full; t < n; ++t) scalar_element(x[t], param(t), index + static_cast<std::uint64_t>(t), out[t]);
    }

    template <class Out>
    static void scalar_element(float x, const params_t& p, std::uint64_t index, Out& out) {
        const int q = quantize_value<Scheme>(x, p, index);
        if constexpr (std::is_same_v<Out, float>)
            out = dequantize_value(q, p.zero_point, p.scale);
        else
            out = static_cast<std::uint8_t>(q);
    }

    // W consecutive groups of G elements (G a multiple of W): ranges one group per lane, then
    // parameters lane-wise, then codes group by group.
    template <class Out>
    static bool group_block(const float* x, std::uint64_t index, typename Scheme::scale_type* stored,
                            typename Scheme::code_type* zps, Out* out, bool stream) {
        constexpr index_t G = detail::group_size_v<granularity>;
        // The hardware prefetcher does not run far enough ahead of this loop's bursts: ask for the
        // block after next (its W * G floats, one request per 64-byte line).
        // (Integer address arithmetic: the hint may point past the input, which a prefetch allows.)
        constexpr auto block_bytes = static_cast<std::uintptr_t>(W * G) * sizeof(float);
        const auto ahead = reinterpret_cast<std::uintptr_t>(x + W * G) + block_bytes;
        for (std::uintptr_t line = 0; line < block_bytes; line += 64)
            __builtin_prefetch(reinterpret_cast<const void*>(ahead + line));
        F part_lo[lanes], part_hi[lanes];
        I bad(0);
        for (std::size_t k = 0; k < lanes; ++k) {
            const float* xg = x + static_cast<index_t>(k) * G;
            F v = F::load_unaligned(xg);
            I m = abs_bits(v);
            F l = v, h = v;
            for (index_t j = W; j < G; j += W) {
                v = F::load_unaligned(xg + j);
                m = xsimd::max(m, abs_bits(v));
                if constexpr (Scheme::has_zero_point) {
                    l = xsimd::min(l, v);
                    h = xsimd::max(h, v);
                }
            }
            bad = xsimd::max(bad, m);
            part_lo[k] = l;
            part_hi[k] = xsimd::bitwise_cast<F>(m);
            if constexpr (Scheme::has_zero_point) part_hi[k] = h;
        }
        if (xsimd::any(bad >= I(inf_bits))) return false;
        F lo, hi;
        if constexpr (Scheme::has_zero_point) {
            lo = reduce_each(part_lo, [](const F& a, const F& c) { return xsimd::min(a, c); });
            hi = reduce_each(part_hi, [](const F& a, const F& c) { return xsimd::max(a, c); });
        } else {
            hi = reduce_each(part_hi, int_max);
            lo = -hi;
        }
        block b;
        if (!block_params(lo, hi, b)) return false;
        constexpr index_t per_group = G / W;
        if constexpr (!std::is_same_v<Out, float> && !Scheme::rounding::is_stochastic && per_group * W % 4 == 0) {
            // The block's codes four batches at a time; batch j belongs to group j / per_group.
            for (std::size_t k = 0; k < lanes; ++k) {
                stored[k] = b.stored[k];
                if constexpr (Scheme::has_zero_point) zps[k] = static_cast<typename Scheme::code_type>(b.zp[k]);
            }
            auto params_of = [&](index_t j) {
                const auto k = static_cast<std::size_t>(j / per_group);
                return lane_params{F(b.inv[k]), F(b.lo[k]), F(b.hi[k]), F(b.scale[k]), I(b.zp[k])};
            };
            for (index_t j = 0; j < per_group * W; j += 4)
                store_codes4<Scheme::bits::is_signed>(
                    code(x, j * W, params_of(j), index), code(x, (j + 1) * W, params_of(j + 1), index),
                    code(x, (j + 2) * W, params_of(j + 2), index), code(x, (j + 3) * W, params_of(j + 3), index),
                    out + j * W);
            return true;
        }
        for (std::size_t k = 0; k < lanes; ++k) {
            const index_t at = static_cast<index_t>(k) * G;
            stored[k] = b.stored[k];
            if constexpr (Scheme::has_zero_point) zps[k] = static_cast<typename Scheme::code_type>(b.zp[k]);
            const lane_params lp{F(b.inv[k]), F(b.lo[k]), F(b.hi[k]), F(b.scale[k]), I(b.zp[k])};
            params_t sp;
            sp.scale = b.scale[k];
            sp.inv_scale = b.inv[k];
            sp.zero_point = b.zp[k];
            elements(x + at, G, index + static_cast<std::uint64_t>(at), out + at, [&](index_t) { return lp; },
                     [&](index_t) -> const params_t& { return sp; }, stream);
        }
        return true;
    }

    // Row r of a per-group or per-row scheme in one pass: each group's range, parameters and
    // codes (Out = std::uint8_t) or fake-quantized values (Out = float). Stored scales and zero
    // points of the row's groups go to stored[] and zps[]. False on anything the reference must
    // report.
    template <class Out>
    static bool stream_row(const float* xr, index_t r, index_t cols, typename Scheme::scale_type* stored,
                           typename Scheme::code_type* zps, Out* out, bool stream = false) {
        constexpr index_t G = detail::group_size_v<granularity>;
        const index_t seg = G > 0 ? G : cols;
        const index_t groups = cols / seg;
        const auto base = static_cast<std::uint64_t>(r * cols);
        index_t g = 0;
        if constexpr (G > 0 && G % W == 0) {
            for (; g + W <= groups; g += W)
                if (!group_block(xr + g * G, base + static_cast<std::uint64_t>(g * G), stored + g, zps + g, out + g * G,
                                 stream))
                    return false;
        }
        for (; g < groups; ++g) {
            float lo = std::numeric_limits<float>::infinity(), hi = -lo, raw;
            params_t p;
            if (!fold_range(xr + g * seg, seg, lo, hi) || !try_group_params<Scheme>(lo, hi, raw, p)) return false;
            stored[g] = p.stored;
            if constexpr (Scheme::has_zero_point) zps[g] = static_cast<typename Scheme::code_type>(p.zero_point);
            const lane_params lp = broadcast(p);
            elements(xr + g * seg, seg, base + static_cast<std::uint64_t>(g * seg), out + g * seg,
                     [&](index_t) { return lp; }, [&](index_t) -> const params_t& { return p; }, stream);
        }
        return true;
    }

    static constexpr bool streams =
        detail::group_size_v<granularity> > 0 || std::is_same_v<granularity, per_channel<0>>;

    // Two passes (per-tensor and per-column schemes): every group's parameters first.
    static std::vector<params_t> params(matrix_view<const float> x, const char* who) {
        const index_t groups = granularity::group_count(x.rows, x.cols);
        std::vector<float> lo(static_cast<std::size_t>(groups), std::numeric_limits<float>::infinity());
        std::vector<float> hi(static_cast<std::size_t>(groups), -std::numeric_limits<float>::infinity());
        bool finite = true;
        for (index_t r = 0; r < x.rows && finite; ++r) {
            const float* row = x.data + r * x.row_stride;
            if constexpr (per_column)
                finite = fold_columns(row, x.cols, lo.data(), hi.data());
            else
                finite = fold_range(row, x.cols, lo[0], hi[0]);
        }
        if (!finite) return detail::compute_params<Scheme>(x, who);  // throws, naming the element
        std::vector<params_t> out;
        out.reserve(static_cast<std::size_t>(groups));
        for (index_t g = 0; g < groups; ++g)
            out.push_back(compute_group_params<Scheme>(lo[static_cast<std::size_t>(g)], hi[static_cast<std::size_t>(g)], who,
                                                       g, x.cols));
        return out;
    }

    // Row r with every group's parameters known: codes (Out = std::uint8_t) or fake-quantized
    // values (Out = float).
    template <class Out>
    static void row(const float* xr, index_t r, index_t cols, const std::vector<params_t>& ps,
                    const column_arrays* columns, Out* out, bool stream = false) {
        const auto base = static_cast<std::uint64_t>(r * cols);
        if constexpr (per_column) {
            elements(xr, cols, base, out, [&](index_t i) { return columns->at(i); },
                     [&](index_t i) -> const params_t& { return ps[static_cast<std::size_t>(i)]; }, stream);
        } else {
            constexpr index_t G = detail::group_size_v<granularity>;
            const index_t seg = G > 0 ? G : cols;
            for (index_t c = 0; c < cols; c += seg) {
                const params_t& p = ps[static_cast<std::size_t>(granularity::group_of(r, c, cols))];
                const lane_params lp = broadcast(p);
                elements(xr + c, seg, base + static_cast<std::uint64_t>(c), out + c, [&](index_t) { return lp; },
                         [&](index_t) -> const params_t& { return p; }, stream);
            }
        }
    }

    // Fills every row of out: fill(r, xr, dst) writes row r's codes, one byte each, to dst (the
    // packed row itself for 8-bit codes) and returns false to give up; the bytes are then packed.
    template <class Fill>
    static bool packed_rows(matrix_view<const float> x, quantized_tensor<Scheme>& out, Fill fill) {
        std::vector<std::uint8_t> codes(N == 8 ? 0 : static_cast<std::size_t>(x.cols));
        for (index_t r = 0; r < x.rows; ++r) {
            std::uint8_t* dst = N == 8 ? out.row_data(r) : codes.data();
            if (!fill(r, x.data + r * x.row_stride, dst)) return false;
            if constexpr (N != 8) pack_bytes<N, typename Scheme::packing, XA>(codes.data(), x.cols, out.row_data(r));
        }
        return true;
    }

    // Static quantization: the parameters stored in out (non-empty x with unit column stride).
    static void quantize_with_params(matrix_view<const float> x, quantized_tensor<Scheme>& out) {
        const auto ps = detail::stored_params(x, out);
        for (index_t r = 0; r < x.rows; ++r)
            if (!base::finite(x.data + r * x.row_stride, x.cols)) {
                reference::quantize_with_params<Scheme>(x, out);  // reports the element as the reference does
                return;
            }
        const auto columns = columns_for(ps);
        packed_rows(x, out, [&](index_t r, const float* xr, std::uint8_t* dst) {
            row(xr, r, x.cols, ps, columns.get(), dst);
            return true;
        });
    }

    // x is non-empty with unit column stride; out has its shape.
    static void quantize(matrix_view<const float> x, quantized_tensor<Scheme>& out) {
        if constexpr (streams) {
            const index_t per_row = out.group_count() / x.rows;
            std::vector<typename Scheme::code_type> no_zero_points(static_cast<std::size_t>(per_row));
            const bool done = packed_rows(x, out, [&](index_t r, const float* xr, std::uint8_t* dst) {
                auto* zps = Scheme::has_zero_point ? out.zero_points().data() + r * per_row : no_zero_points.data();
                return stream_row(xr, r, x.cols, out.stored_scales().data() + r * per_row, zps, dst);
            });
            if (!done) reference::quantize<Scheme>(x, out);  // reports the error exactly as the reference does
        } else {
            const auto ps = params(x, "quantize");
            detail::store_params(ps, out);
            const auto columns = columns_for(ps);
            packed_rows(x, out, [&](index_t r, const float* xr, std::uint8_t* dst) {
                row(xr, r, x.cols, ps, columns.get(), dst);
                return true;
            });
        }
    }

    // x and out are non-empty with unit column stride, equal shapes, and do not partially overlap.
    static void fake_quantize(matrix_view<const float> x, matrix_view<float> out) {
        const bool stream = static_cast<std::size_t>(x.rows * x.cols) * sizeof(float) >= stream_bytes;
        if constexpr (streams) {
            const index_t per_row = granularity::group_count(1, x.cols);
            std::vector<typename Scheme::scale_type> stored(static_cast<std::size_t>(per_row));
            std::vector<typename Scheme::code_type> zps(static_cast<std::size_t>(per_row));
            for (index_t r = 0; r < x.rows; ++r)
                if (!stream_row(x.data + r * x.row_stride, r, x.cols, stored.data(), zps.data(),
                                out.data + r * out.row_stride, stream)) {
                    stream_fence();
                    reference::fake_quantize<Scheme>(x, out);  // reports the error exactly as the reference does
                    return;
                }
        } else {
            const auto ps = params(x, "fake_quantize");
            const auto columns = columns_for(ps);
            for (index_t r = 0; r < x.rows; ++r)
                row(x.data + r * x.row_stride, r, x.cols, ps, columns.get(), out.data + r * out.row_stride, stream);
        }
        if (stream) stream_fence();
    }

    // float(q - zp) * scale for n codes given as N-bit fields in bytes.
    static void dequantize_fields(const std::uint8_t* fields, index_t n, const lane_params& p, const params_t& sp,
                                  float* out, bool stream) {
        const index_t full = n - n % W;
        for (index_t i = 0; i < full; i += W) {
            I q = load_bytes<Scheme::bits::is_signed && N == 8>(fields + i, XA{});
            if constexpr (Scheme::bits::is_signed && N < 8) q = (q ^ I(1 << (N - 1))) - I(1 << (N - 1));
            put(xsimd::batch_cast<float>(q - p.zp) * p.scale, out + i, stream);
        }
        for (index_t i = full; i < n; ++i)
            out[i] = dequantize_value(detail::decode_field<N, Scheme::bits::is_signed>(fields[i]), sp.zero_point, sp.scale);
    }

    static void dequantize(const quantized_tensor<Scheme>& t, matrix_view<float> out) {
        const index_t cols = t.cols();
        auto group = [&](index_t g) {
            params_t p;
            p.scale = t.scale(g);
            p.zero_point = t.zero_point(g);
            return p;
        };
        std::vector<params_t> column_params;
        if constexpr (per_column)
            for (index_t c = 0; c < cols; ++c) column_params.push_back(group(c));
        const auto columns = columns_for(column_params);
        std::vector<std::uint8_t> fields(static_cast<std::size_t>(cols));
        const bool stream = static_cast<std::size_t>(t.rows() * cols) * sizeof(float) >= stream_bytes;
        for (index_t r = 0; r < t.rows(); ++r) {
            const std::uint8_t* f = t.row_data(r);
            if constexpr (N != 8) {
                unpack_fields<N, typename Scheme::packing>(t.row_data(r), cols, fields.data());
                f = fields.data();
            }
            float* dst = out.data + r * out.row_stride;
            if constexpr (per_column) {
                index_t c = 0;
                for (; c + W <= cols; c += W)
                    dequantize_fields(f + c, W, columns->at(c), column_params[static_cast<std::size_t>(c)], dst + c, stream);
                for (; c < cols; ++c)
                    dequantize_fields(f + c, 1, lane_params{}, column_params[static_cast<std::size_t>(c)], dst + c, stream);
            } else {
                constexpr index_t G = detail::group_size_v<granularity>;
                const index_t seg = G > 0 ? G : cols;
                for (index_t c = 0; c < cols; c += seg) {
                    const params_t p = group(granularity::group_of(r, c, cols));
                    dequantize_fields(f + c, seg, broadcast(p), p, dst + c, stream);
                }
            }
        }
        if (stream) stream_fence();
    }
};

}  // namespace lowbit::kernels
