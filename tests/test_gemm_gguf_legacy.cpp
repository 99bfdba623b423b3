// GGUF 32-block tensors (Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, IQ4_NL) in the integer kernels: products
// within 2e-6 sum |w a| of float64 on ggml's blocks and on realistic and adversarial weights, the
// same bits on every tag. (Repacking and errors: test_gemm_gguf_repack.cpp.)
#include "gguf_gemm_support.hpp"

using namespace lowbit;

TEMPLATE_TEST_CASE("GGUF 32-block products: within 2e-6 sum |w a| of float64, the same bits on every tag", "[gemm][gguf]", gguf::q4_0, gguf::q4_1,
                   gguf::q5_0, gguf::q5_1, gguf::q8_0, gguf::iq4_nl) {
    lowbit_test::gguf::check_products<TestType>();
}
