// lowbit/eigen.hpp - Eigen interop (optional: include it only where Eigen is available).
//
// view_of(m) views any Eigen expression with direct access (Matrix, Map, Block, Ref) of floats
// without a copy, row- or column-major, with its real strides; quantize / fake_quantize then read
// Eigen memory in place.
#pragma once

#include <Eigen/Core>

#include "lowbit/quant/quantize.hpp"

namespace lowbit {

template <class Derived>
matrix_view<const float> view_of(const Eigen::DenseBase<Derived>& m) {
    static_assert(std::is_same_v<typename Derived::Scalar, float>, "lowbit::view_of: the Eigen scalar must be float");
    static_assert(static_cast<bool>(Derived::Flags & Eigen::DirectAccessBit),
                  "lowbit::view_of: the Eigen expression must have direct memory access (evaluate it first)");
    const Derived& d = m.derived();
    const index_t outer = d.outerStride();
    const index_t inner = d.innerStride();
    if constexpr (static_cast<bool>(Derived::IsRowMajor))
        return matrix_view<const float>(d.data(), d.rows(), d.cols(), outer, inner);
    else
        return matrix_view<const float>(d.data(), d.rows(), d.cols(), inner, outer);
}

template <class Derived>
matrix_view<float> mutable_view_of(Eigen::DenseBase<Derived>& m) {
    static_assert(std::is_same_v<typename Derived::Scalar, float>, "lowbit::mutable_view_of: the Eigen scalar must be float");
    static_assert(static_cast<bool>(Derived::Flags & Eigen::DirectAccessBit) &&
                      static_cast<bool>(Derived::Flags & Eigen::LvalueBit),
                  "lowbit::mutable_view_of: the Eigen expression must be writable with direct memory access");
    Derived& d = m.derived();
    const index_t outer = d.outerStride();
    const index_t inner = d.innerStride();
    if constexpr (static_cast<bool>(Derived::IsRowMajor))
        return matrix_view<float>(d.data(), d.rows(), d.cols(), outer, inner);
    else
        return matrix_view<float>(d.data(), d.rows(), d.cols(), inner, outer);
}

template <class Scheme, class Derived>
quantized_tensor<Scheme> quantize(const Eigen::DenseBase<Derived>& m) {
    return lowbit::quantize<Scheme>(view_of(m));
}

using row_major_matrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

template <class Scheme>
row_major_matrix dequantize_to_eigen(const quantized_tensor<Scheme>& t) {
    row_major_matrix out(t.rows(), t.cols());
    lowbit::dequantize(t, mutable_view_of(out));
    return out;
}

// Fake-quantizes m into a new matrix of the same storage order.
template <class Scheme, class Derived>
typename Derived::PlainObject fake_quantize(const Eigen::DenseBase<Derived>& m) {
    typename Derived::PlainObject out(m.rows(), m.cols());
    lowbit::fake_quantize<Scheme>(view_of(m), mutable_view_of(out));
    return out;
}

}  // namespace lowbit
