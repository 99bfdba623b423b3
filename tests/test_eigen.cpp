// Eigen interop: any float expression with direct access is quantized in place, whatever its
// storage order and strides, and gives the same codes as a dense row-major copy.
#include <vector>

#include <catch2/catch.hpp>

#include "lowbit/eigen.hpp"
#include "support.hpp"

using namespace lowbit;
using S = scheme<uint_bits<4>, affine, per_group<16>>;

namespace {
template <class Derived>
void check_same_as_copy(const Eigen::DenseBase<Derived>& m) {
    const row_major_matrix copy = m;
    const auto expected = quantize<S>(matrix_view<const float>(copy.data(), copy.rows(), copy.cols()));
    const auto t = quantize<S>(m);
    CHECK(t.packed_codes() == expected.packed_codes());
    CHECK(t.zero_points() == expected.zero_points());
    for (index_t g = 0; g < t.group_count(); ++g) CHECK(t.scale(g) == expected.scale(g));
}
}  // namespace

TEST_CASE("Eigen matrices and maps are viewed without a copy", "[eigen]") {
    const Eigen::MatrixXf col = Eigen::MatrixXf::Random(7, 48);
    const row_major_matrix row = Eigen::MatrixXf::Random(5, 32);
    CHECK(view_of(col).data == col.data());
    CHECK(view_of(col).row_stride == 1);
    CHECK(view_of(col).col_stride == 7);
    CHECK(view_of(row).data == row.data());
    CHECK(view_of(row).row_stride == 32);
    check_same_as_copy(col);
    check_same_as_copy(row);

    std::vector<float> buffer(6 * 40);
    for (std::size_t i = 0; i < buffer.size(); ++i) buffer[i] = static_cast<float>(i % 37) - 18.0f;
    const Eigen::Map<const row_major_matrix, 0, Eigen::OuterStride<>> map(buffer.data(), 6, 32, Eigen::OuterStride<>(40));
    CHECK(view_of(map).data == buffer.data());
    CHECK(view_of(map).row_stride == 40);
    check_same_as_copy(map);
    check_same_as_copy(col.block(1, 16, 4, 32));  // a block of a column-major matrix
}

TEST_CASE("Eigen round trip and fake-quantize keep the storage order", "[eigen]") {
    const Eigen::MatrixXf m = Eigen::MatrixXf::Random(9, 64);
    const auto t = quantize<S>(m);
    const row_major_matrix back = dequantize_to_eigen(t);
    const Eigen::MatrixXf fq = fake_quantize<S>(m);
    CHECK((back.array() == fq.array()).all());
    CHECK((m - fq).cwiseAbs().maxCoeff() <= 2.0f / 15.0f / 2.0f * 1.0001f);  // range <= 2, 15 steps, half a step
}
