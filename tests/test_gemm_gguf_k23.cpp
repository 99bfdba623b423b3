// GGUF Q2_K and Q3_K tensors in the integer kernels: products within 2e-6 sum |w a| of float64 on
// ggml's blocks and on realistic and adversarial weights, the same bits on every tag. (Repacking
// and errors: test_gemm_gguf_repack.cpp; the other k-quants: test_gemm_gguf_k456.cpp.)
#include "gguf_gemm_support.hpp"

using namespace lowbit;

TEMPLATE_TEST_CASE("GGUF Q2_K / Q3_K products: within 2e-6 sum |w a| of float64, the same bits on every tag", "[gemm][gguf]", gguf::q2_K, gguf::q3_K) {
    lowbit_test::gguf::check_products<TestType>();
}
