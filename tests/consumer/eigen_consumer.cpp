// Uses lowbit::eigen from a consumer project: quantize an Eigen matrix in place, check the error.
#include <lowbit/eigen.hpp>

#include <cstdio>

int main() {
    const Eigen::MatrixXf w = Eigen::MatrixXf::Random(16, 64);
    const auto q = lowbit::quantize<lowbit::schemes::w4_g32_sym>(w);
    const lowbit::row_major_matrix back = lowbit::dequantize_to_eigen(q);
    const float err = (w - back).cwiseAbs().maxCoeff();
    std::printf("eigen consumer: max abs error %.5f\n", err);
    return err <= 1.0f / 7.0f / 2.0f * 1.001f ? 0 : 1;
}
