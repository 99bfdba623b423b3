// GGUF Q4_K, Q5_K and Q6_K tensors in the integer kernels: products within 2e-6 sum |w a| of
// float64 on ggml's blocks and on realistic and adversarial weights, the same bits on every tag.
// (Repacking and errors: test_gemm_gguf_repack.cpp; Q2_K and Q3_K: test_gemm_gguf_k23.cpp.)
#include "gguf_gemm_support.hpp"

using namespace lowbit;

TEMPLATE_TEST_CASE("GGUF Q4_K / Q5_K / Q6_K products: within 2e-6 sum |w a| of float64, the same bits on every tag", "[gemm][gguf]", gguf::q4_K,
                   gguf::q5_K, gguf::q6_K) {
    lowbit_test::gguf::check_products<TestType>();
}
