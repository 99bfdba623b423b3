// lowbit/quant/quantized_tensor.hpp - a quantized matrix that owns its codes, scales and zero points.
//
// Layout (planar):
//   packed codes   rows x row_bytes bytes; row r starts at byte r * row_bytes, its codes packed in
//                  the scheme's packing order (lowbit/policy/packing.hpp)
//   scales         group_count stored scales, in the granularity's group order
//   zero points    group_count codes (affine schemes only; empty for symmetric ones)
// Element (r, c) dequantizes to float(code(r, c) - zero_point(g)) * scale(g), g = group_of(r, c).
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <vector>

#include "lowbit/core/error.hpp"
#include "lowbit/core/view.hpp"
#include "lowbit/policy/scheme.hpp"
#include "lowbit/quant/pack.hpp"

namespace lowbit {

template <class Scheme>
class quantized_tensor {
    static_assert(detail::is_scheme_v<Scheme>, "quantized_tensor<S>: S must be a lowbit::scheme<...>");

public:
    using scheme_type = Scheme;
    using code_type = typename Scheme::code_type;
    using scale_type = typename Scheme::scale_type;
    using granularity = typename Scheme::granularity;

    // Throws if a tensor of this shape cannot hold the scheme (see check_shape).
    static void check_shape(index_t rows, index_t cols, const char* who) {
        if (rows < 0) detail::fail(who, ": rows = ", rows, " is negative");
        if (cols < 0) detail::fail(who, ": cols = ", cols, " is negative");
        if constexpr (detail::group_size_v<granularity> > 0)
            if (cols % granularity::group_size != 0)
                detail::fail(who, ": the row length ", cols, " is not a multiple of the group size ",
                             granularity::group_size);
        using packing = typename Scheme::packing;
        if (cols % packing::block != 0)
            detail::fail(who, ": the row length ", cols, " is not a multiple of the split-halves block ", packing::block);
        constexpr index_t max = std::numeric_limits<index_t>::max() / 16;
        if (cols > max / Scheme::bits::bits || (rows > 0 && packed_row_bytes(Scheme::bits::bits, cols) > max / rows))
            detail::fail(who, ": a ", rows, " x ", cols, " tensor is too large to address");
    }

    quantized_tensor() = default;
    quantized_tensor(index_t rows, index_t cols) : rows_(rows), cols_(cols) {
        check_shape(rows, cols, "quantized_tensor");
        row_bytes_ = packed_row_bytes(Scheme::bits::bits, cols);
        codes_.assign(static_cast<std::size_t>(rows * row_bytes_), 0);
        const auto groups = static_cast<std::size_t>(rows == 0 || cols == 0 ? 0 : granularity::group_count(rows, cols));
        scales_.assign(groups, scale_type{});
        if constexpr (Scheme::has_zero_point) zero_points_.assign(groups, code_type{0});
    }

    index_t rows() const { return rows_; }
    index_t cols() const { return cols_; }
    index_t row_bytes() const { return row_bytes_; }
    index_t group_count() const { return static_cast<index_t>(scales_.size()); }
    index_t group_of(index_t r, index_t c) const { return granularity::group_of(r, c, cols_); }

    const std::uint8_t* row_data(index_t r) const { return codes_.data() + r * row_bytes_; }
    std::uint8_t* row_data(index_t r) { return codes_.data() + r * row_bytes_; }
    const std::vector<std::uint8_t>& packed_codes() const { return codes_; }
    std::vector<std::uint8_t>& packed_codes() { return codes_; }
    const std::vector<scale_type>& stored_scales() const { return scales_; }
    std::vector<scale_type>& stored_scales() { return scales_; }
    const std::vector<code_type>& zero_points() const { return zero_points_; }
    std::vector<code_type>& zero_points() { return zero_points_; }

    float scale(index_t g) const { return Scheme::scale_storage::decode(scales_[static_cast<std::size_t>(g)]); }
    int zero_point(index_t g) const {
        if constexpr (Scheme::has_zero_point) return zero_points_[static_cast<std::size_t>(g)];
        return 0;
    }
    // One code, unpacked (for inspection and tests; kernels unpack whole rows).
    int code(index_t r, index_t c) const {
        return detail::decode_field<Scheme::bits::bits, Scheme::bits::is_signed>(
            detail::field_at<Scheme::bits::bits, typename Scheme::packing>(row_data(r), c));
    }

    // Bytes of codes, scales and zero points (zero points take one byte each).
    std::size_t storage_bytes() const {
        return codes_.size() + scales_.size() * (Scheme::scale_storage::bits / 8) + zero_points_.size();
    }
    // Storage bits per element, everything included; 0 for an empty tensor.
    double bits_per_weight() const {
        const index_t n = rows_ * cols_;
        return n == 0 ? 0.0 : 8.0 * static_cast<double>(storage_bytes()) / static_cast<double>(n);
    }

private:
    index_t rows_ = 0;
    index_t cols_ = 0;
    index_t row_bytes_ = 0;
    std::vector<std::uint8_t> codes_;
    std::vector<scale_type> scales_;
    std::vector<code_type> zero_points_;
};

}  // namespace lowbit
