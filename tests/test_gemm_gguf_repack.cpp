// GGUF tensors repacked for the integer kernels: every type's packed tensor dequantizes to ggml's
// own floats (ggml's blocks and realistic and adversarial rows), takes the file's bytes, and bad
// tensors are rejected. (Products: test_gemm_gguf_legacy.cpp, test_gemm_gguf_k23.cpp, test_gemm_gguf_k456.cpp.)
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <tuple>
#include <type_traits>
#include <vector>

#include "gguf_gemm_support.hpp"
#include "lowbit/gemm/matmul.hpp"
#include "lowbit/gemm/matmul_weight_only.hpp"

using namespace lowbit;
using lowbit_test::gguf::dequantized;
using lowbit_test::gguf::quantized;
using lowbit_test::gguf::weights;

using repacked_types =
    std::tuple<gguf::q4_0, gguf::q4_1, gguf::q5_0, gguf::q5_1, gguf::q8_0, gguf::iq4_nl, gguf::q2_K, gguf::q3_K, gguf::q4_K, gguf::q5_K, gguf::q6_K>;

TEMPLATE_LIST_TEST_CASE("GGUF tensors repack losslessly: ggml's own blocks dequantize to ggml's floats", "[gemm][gguf]", repacked_types) {
    const auto blocks = lowbit_test::gguf::read_file(std::string(TestType::name) + ".blocks.bin");
    const auto want = lowbit_test::gguf::read_floats(std::string(TestType::name) + ".dequant.f32");
    const std::int64_t rows = lowbit_test::gguf::ref_rows, cols = lowbit_test::gguf::ref_cols;
    REQUIRE(blocks.size() == static_cast<std::size_t>(rows) * TestType::row_bytes(cols));
    const auto p = gemm::repack_gguf<TestType>(blocks.data(), blocks.size(), rows, cols);
    CHECK(p.n == rows);
    CHECK(p.k == cols);
    constexpr bool groups_of_16 = std::is_same_v<TestType, gguf::q2_K> || std::is_same_v<TestType, gguf::q3_K> || std::is_same_v<TestType, gguf::q6_K>;
    CHECK(p.group == (groups_of_16 ? 16 : 32));
    CHECK(lowbit_test::gguf::first_float_difference(dequantized(p), want) == -1);
    // The packing takes the file's bytes (panels of 16 channels: rows padded to 16), Q4_K and Q5_K
    // 4 more per 256 (their 6-bit sub-scales and minima stored as bytes), Q3_K 6 more (its scales
    // as bytes, and alignment), Q6_K 2 more (alignment).
    const auto supers = static_cast<std::size_t>(cols / 256);
    if constexpr (std::is_same_v<TestType, gguf::q4_K> || std::is_same_v<TestType, gguf::q5_K>) CHECK(p.bytes() == 16 * (TestType::row_bytes(cols) + 4 * supers));
    else if constexpr (std::is_same_v<TestType, gguf::q3_K>) CHECK(p.bytes() == 16 * (TestType::row_bytes(cols) + 6 * supers));
    else if constexpr (std::is_same_v<TestType, gguf::q6_K>) CHECK(p.bytes() == 16 * (TestType::row_bytes(cols) + 2 * supers));
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

// ggml's activation blocks: the codes and scales of quantize_activations_gguf are ggml's q8_0 / q8_K
// bytes for the reference inputs.
TEMPLATE_TEST_CASE("GGUF activations: ggml's q8_0 / q8_K blocks, code for code", "[gemm][gguf]", gguf::q8_0, gguf::q8_K) {
    const auto x = lowbit_test::gguf::read_floats("inputs.f32");
    const auto blocks = lowbit_test::gguf::read_file(std::string(TestType::name) + ".blocks.bin");
    const std::int64_t rows = lowbit_test::gguf::ref_rows, cols = lowbit_test::gguf::ref_cols, per_row = cols / TestType::block_size;
    gemm::activations_u8 a;
    gemm::quantize_activations_gguf<TestType>(x.data(), cols, rows, cols, a);
    CHECK(a.block == TestType::block_size);
    std::int64_t code_differences = 0, scale_differences = 0;
    int lowest = 0;
    for (std::int64_t r = 0; r < rows; ++r)
        for (std::int64_t b = 0; b < per_row; ++b) {
            typename TestType::block blk;
            std::memcpy(&blk, blocks.data() + static_cast<std::size_t>(r * per_row + b) * sizeof blk, sizeof blk);
            float d;
            if constexpr (std::is_same_v<TestType, gguf::q8_0>) d = fp16{blk.d}.to_float();
            else d = blk.d;
            scale_differences += a.block_scales[static_cast<std::size_t>(r * per_row + b)] != d;
            for (std::int64_t i = 0; i < TestType::block_size; ++i) {
                const int q = a.row(r)[b * TestType::block_size + i] - 128;
                code_differences += q != blk.qs[i];
                lowest = std::min(lowest, q);
            }
        }
    CHECK(code_differences == 0);
    CHECK(scale_differences == 0);
    CHECK(lowest == -127);  // some block's largest element is negative; none goes below (the kernels without VNNI negate codes)
    for (float s : a.scales) CHECK(s == 1.f);
    // Re-quantizing the same object per row leaves nothing of the blocks behind.
    gemm::quantize_activations(x.data(), cols, rows, cols, a);
    CHECK(a.block == 0);
    CHECK(a.block_scales.empty());
}

TEST_CASE("GGUF activations and products reject what they cannot take", "[gemm][gguf]") {
    std::vector<float> x(2 * 512, 0.5f);
    gemm::activations_u8 a;
    CHECK_THROWS_WITH(gemm::quantize_activations_gguf<gguf::q8_0>(x.data(), 48, 2, 48, a), Catch::Contains("k = 48 is not a multiple of 32"));
    CHECK_THROWS_WITH(gemm::quantize_activations_gguf<gguf::q8_K>(x.data(), 512, 2, 384, a), Catch::Contains("k = 384 is not a multiple of 256"));
    x[512 + 7] = std::numeric_limits<float>::quiet_NaN();
    CHECK_THROWS_WITH(gemm::quantize_activations_gguf<gguf::q8_0>(x.data(), 512, 2, 512, a), Catch::Contains("nan at row 1, column 7"));
    x[512 + 7] = 0.5f;
    std::vector<float> y(64);
    // A group of 64 does not fit in activation blocks of 32.
    gemm::quantize_activations_gguf<gguf::q8_0>(x.data(), 512, 2, 512, a);
    std::vector<std::uint8_t> codes(4 * 512, 5);
    const std::vector<float> scales(4 * 8, 0.5f);
    CHECK_THROWS_WITH(gemm::matmul(a, gemm::pack_s4(codes.data(), 512, 4, 512, 64, scales.data()), gemm::epilogue<>{}, y.data(), 4),
                      Catch::Contains("activation blocks of 32 do not hold whole weight groups of 64"));
    // A hand-made activation struct whose blocks do not add up.
    const auto q8 = quantized<gguf::q8_0>(weights(4, 512, 3), 4, 512);
    const auto p8 = gemm::repack_gguf<gguf::q8_0>(q8.data(), q8.size(), 4, 512);
    gemm::activations_u8 broken = a;
    broken.block_scales.pop_back();
    CHECK_THROWS_WITH(gemm::matmul(broken, p8, gemm::epilogue<>{}, y.data(), 4), Catch::Contains("blocks are inconsistent"));
    broken = a;
    broken.block = -32;
    CHECK_THROWS_WITH(gemm::matmul(broken, p8, gemm::epilogue<>{}, y.data(), 4), Catch::Contains("blocks are inconsistent"));
    // Per-channel int8 weights take per-row activations only.
    std::vector<std::int8_t> w8(4 * 512, 1);
    CHECK_THROWS_WITH(gemm::matmul(a, gemm::pack_s8(w8.data(), 512, 4, 512), gemm::epilogue<gemm::dequantize>{}, y.data(), 4), Catch::Contains("per-row activations"));
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
    const auto eight_bit_minima = [&] { return gemm::pack_groups<8>(codes.data(), 64, 1, 64, 32, scales.data(), nullptr, scales.data()); };
    CHECK_THROWS_WITH(eight_bit_minima(), Catch::Contains("minima are for 4- and 5-bit codes"));
    const auto with_levels = [&] { return gemm::pack_groups<4, gemm::iq4_nl_levels>(codes.data(), 64, 1, 64, 32, scales.data(), zero_points.data()); };
    CHECK_THROWS_WITH(with_levels(), Catch::Contains("levels take no zero points"));
    // Float minima are for the int8-activation kernels; the weight-only ones say so.
    const auto with_minima = gemm::repack_gguf<gguf::q4_1>(quantized<gguf::q4_1>(w, 4, 64).data(), q41.size(), 4, 64);
    std::vector<float> x(64, 1.f), y(4);
    CHECK_THROWS_WITH(gemm::linear_weight_only(x.data(), 64, 1, with_minima, y.data(), 4), Catch::Contains("float minima"));
    // Q2_K: a corrupt dmin (row 1, super-block 1); Q3_K: a corrupt d (row 0, super-block 0).
    auto q2k = quantized<gguf::q2_K>(w256, 4, 512);
    std::memcpy(q2k.data() + gguf::q2_K::row_bytes(512) + sizeof(gguf::block_q2_K) + offsetof(gguf::block_q2_K, dmin), &nan, sizeof nan);
    CHECK_THROWS_WITH(gemm::repack_gguf<gguf::q2_K>(q2k.data(), q2k.size(), 4, 512), Catch::Contains("pack_k2: dmin of channel 1, super-block 1 is not finite"));
    auto q3k = quantized<gguf::q3_K>(w256, 4, 512);
    std::memcpy(q3k.data() + offsetof(gguf::block_q3_K, d), &nan, sizeof nan);
    CHECK_THROWS_WITH(gemm::repack_gguf<gguf::q3_K>(q3k.data(), q3k.size(), 4, 512), Catch::Contains("pack_k3: d of channel 0, super-block 0 is not finite"));
    std::vector<float> out(16);
    CHECK_THROWS_WITH(gemm::dequantize_weights(gemm::packed_s4<fp16>{}, out.data(), 4), Catch::Contains("not packed"));
}
