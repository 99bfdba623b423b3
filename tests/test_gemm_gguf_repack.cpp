// GGUF tensors repacked for the integer kernels: every type's packed tensor dequantizes to ggml's
// own floats (ggml's blocks and realistic and adversarial rows), takes the file's bytes, and bad
// tensors are rejected. (Products: test_gemm_gguf_legacy.cpp, test_gemm_gguf_kquants.cpp.)
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <tuple>
#include <type_traits>
#include <vector>

#include "gguf_gemm_support.hpp"
#include "lowbit/gemm/matmul_weight_only.hpp"

using namespace lowbit;
using lowbit_test::gguf::dequantized;
using lowbit_test::gguf::quantized;
using lowbit_test::gguf::weights;

using repacked_types = std::tuple<gguf::q4_0, gguf::q4_1, gguf::q5_0, gguf::q5_1, gguf::q8_0, gguf::iq4_nl, gguf::q4_K, gguf::q5_K, gguf::q6_K>;

TEMPLATE_LIST_TEST_CASE("GGUF tensors repack losslessly: ggml's own blocks dequantize to ggml's floats", "[gemm][gguf]", repacked_types) {
    const auto blocks = lowbit_test::gguf::read_file(std::string(TestType::name) + ".blocks.bin");
    const auto want = lowbit_test::gguf::read_floats(std::string(TestType::name) + ".dequant.f32");
    const std::int64_t rows = lowbit_test::gguf::ref_rows, cols = lowbit_test::gguf::ref_cols;
    REQUIRE(blocks.size() == static_cast<std::size_t>(rows) * TestType::row_bytes(cols));
    const auto p = gemm::repack_gguf<TestType>(blocks.data(), blocks.size(), rows, cols);
    CHECK(p.n == rows);
    CHECK(p.k == cols);
    CHECK(p.group == (std::is_same_v<TestType, gguf::q6_K> ? 16 : 32));
    CHECK(lowbit_test::gguf::first_float_difference(dequantized(p), want) == -1);
    // The packing takes the file's bytes (panels of 16 channels: rows padded to 16), Q4_K and Q5_K
    // 4 more per 256 (their 6-bit sub-scales and minima stored as bytes).
    const auto supers = static_cast<std::size_t>(cols / 256);
    if constexpr (std::is_same_v<TestType, gguf::q4_K> || std::is_same_v<TestType, gguf::q5_K>) CHECK(p.bytes() == 16 * (TestType::row_bytes(cols) + 4 * supers));
    else if constexpr (std::is_same_v<TestType, gguf::q6_K>) CHECK(p.bytes() == 16 * (TestType::row_bytes(cols) + 2 * supers));  // and Q6_K 2 (alignment)
    else CHECK(p.bytes() == 16 * TestType::row_bytes(cols));
}

TEMPLATE_LIST_TEST_CASE("GGUF tensors repack losslessly: realistic and adversarial rows, odd shapes", "[gemm][gguf]", repacked_types) {
    std::uint32_t seed = 40;
    constexpr std::int64_t unit = TestType::block_size;
    for (auto [rows, cols] : {std::pair<std::int64_t, std::int64_t>{1, unit}, {4, 3 * unit}, {17, 8 * unit}, {40, 4 * unit}}) {
        INFO(TestType::name << " " << rows << " x " << cols);
        const auto w = weights(rows, cols, seed++);
        const auto q = quantized<TestType>(w, rows, cols);
        std::vector<float> want(w.size());
        gguf::dequantize_rows<TestType>(q.data(), q.size(), rows, cols, want.data(), want.size());
        const auto p = gemm::repack_gguf<TestType>(q.data(), q.size(), rows, cols);
        CHECK(lowbit_test::gguf::first_float_difference(dequantized(p), want) == -1);
    }
}

TEST_CASE("GGUF repack rejects bad tensors", "[gemm][gguf]") {
    const std::vector<float> w(4 * 64, 0.25f);
    auto q = quantized<gguf::q4_0>(w, 4, 64);
    CHECK_THROWS_WITH(gemm::repack_gguf<gguf::q4_0>(q.data(), q.size() - 1, 4, 64), Catch::Contains("4 rows of 64 need 144 bytes, the buffer has 143"));
    CHECK_THROWS_WITH(gemm::repack_gguf<gguf::q4_0>(q.data(), q.size(), 4, 48), Catch::Contains("cols = 48 is not a multiple of the block size 32"));
    CHECK_THROWS_WITH(gemm::repack_gguf<gguf::q4_0>(q.data(), q.size(), 0, 64), Catch::Contains("0 x 64"));
    CHECK_THROWS_WITH(gemm::repack_gguf<gguf::q4_0>(nullptr, q.size(), 4, 64), Catch::Contains("null"));
    CHECK_THROWS_WITH(gemm::repack_gguf<gguf::q8_0>(q.data(), q.size(), 1, gemm::max_k + 32), Catch::Contains("exceeds 65536"));
    // A caller that does not know the size: absurd row counts are refused before any allocation.
    CHECK_THROWS_WITH(gemm::repack_gguf<gguf::q4_0>(q.data(), SIZE_MAX, std::int64_t{1} << 40, 64), Catch::Contains("weights exceed"));
    // A corrupt block: the scale of row 2, block 1 is NaN.
    const std::uint16_t nan = 0x7e00;
    std::memcpy(q.data() + 2 * gguf::q4_0::row_bytes(64) + sizeof(gguf::block_q4_0), &nan, sizeof nan);
    CHECK_THROWS_WITH(gemm::repack_gguf<gguf::q4_0>(q.data(), q.size(), 4, 64), Catch::Contains("channel 2, group 1 is not finite"));
    // Q4_K: a corrupt super-scale (row 2, super-block 1).
    const std::vector<float> w256(4 * 512, 0.25f);
    auto q4k = quantized<gguf::q4_K>(w256, 4, 512);
    std::memcpy(q4k.data() + 2 * gguf::q4_K::row_bytes(512) + sizeof(gguf::block_q4_K), &nan, sizeof nan);
    CHECK_THROWS_WITH(gemm::repack_gguf<gguf::q4_K>(q4k.data(), q4k.size(), 4, 512), Catch::Contains("channel 2, super-block 1 is not finite"));
    CHECK_THROWS_WITH(gemm::repack_gguf<gguf::q4_K>(q4k.data(), q4k.size(), 4, 480), Catch::Contains("not a multiple of the block size 256"));
    auto q6k = quantized<gguf::q6_K>(w256, 4, 512);
    std::memcpy(q6k.data() + 3 * gguf::q6_K::row_bytes(512) + offsetof(gguf::block_q6_K, d), &nan, sizeof nan);
    CHECK_THROWS_WITH(gemm::repack_gguf<gguf::q6_K>(q6k.data(), q6k.size(), 4, 512), Catch::Contains("pack_k6: d of channel 3, super-block 0 is not finite"));
    // Q4_1: a corrupt minimum (row 1, block 0); Q5_1: a corrupt scale (row 3, block 1).
    auto q41 = quantized<gguf::q4_1>(w, 4, 64);
    std::memcpy(q41.data() + gguf::q4_1::row_bytes(64) + offsetof(gguf::block_q4_1, m), &nan, sizeof nan);
    CHECK_THROWS_WITH(gemm::repack_gguf<gguf::q4_1>(q41.data(), q41.size(), 4, 64), Catch::Contains("pack_s4: minimum nan of channel 1, group 0 is not finite"));
    auto q51 = quantized<gguf::q5_1>(w, 4, 64);
    std::memcpy(q51.data() + 3 * gguf::q5_1::row_bytes(64) + sizeof(gguf::block_q5_1), &nan, sizeof nan);
    CHECK_THROWS_WITH(gemm::repack_gguf<gguf::q5_1>(q51.data(), q51.size(), 4, 64), Catch::Contains("pack_s5: scale nan of channel 3, group 1 is not finite"));
    CHECK_THROWS_WITH(gemm::repack_gguf<gguf::iq4_nl>(q.data(), 10, 4, 64), Catch::Contains("4 rows of 64 need 144 bytes, the buffer has 10"));
    // What the packings themselves refuse.
    const std::vector<std::uint8_t> codes(64, 3);
    const std::vector<fp16> scales(2, fp16::from_float(1.f));
    const std::vector<std::uint8_t> zero_points(2, 1);
    CHECK_THROWS_WITH(gemm::pack_s4(codes.data(), 64, 1, 64, 32, scales.data(), zero_points.data(), scales.data()), Catch::Contains("zero points and minima are exclusive"));
    CHECK_THROWS_WITH(gemm::pack_s5(codes.data(), 64, 1, 64, 64, scales.data()), Catch::Contains("group size 64 is not 32"));
    const auto with_levels = [&] { return gemm::pack_groups<4, gemm::iq4_nl_levels>(codes.data(), 64, 1, 64, 32, scales.data(), zero_points.data()); };
    CHECK_THROWS_WITH(with_levels(), Catch::Contains("levels take no zero points"));
    // Float minima are for the int8-activation kernels; the weight-only ones say so.
    const auto with_minima = gemm::repack_gguf<gguf::q4_1>(quantized<gguf::q4_1>(w, 4, 64).data(), q41.size(), 4, 64);
    std::vector<float> x(64, 1.f), y(4);
    CHECK_THROWS_WITH(gemm::linear_weight_only(x.data(), 64, 1, with_minima, y.data(), 4), Catch::Contains("float minima"));
    std::vector<float> out(16);
    CHECK_THROWS_WITH(gemm::dequantize_weights(gemm::packed_s4<fp16>{}, out.data(), 4), Catch::Contains("not packed"));
}
