// ggml's own bytes: every GGUF type's scalar reference reproduces ggml's quantize_row_<type>_ref,
// its importance-weighted quantize_<type> (ggml_quantize_chunk with an imatrix) and its
// dequantize_row_<type>, byte for byte, on four 4096-wide rows (N(0,1), N(0,0.02^2), Student-t,
// uniform). This file is built with -ffp-contract=fast in the native variants, so a product that
// the compiler could fuse would show up here as a wrong byte.
#include <catch2/catch.hpp>

#include "gguf_support.hpp"

using namespace lowbit_test::gguf;
namespace gguf = lowbit::gguf;

namespace {

template <class T>
void check_type() {
    const auto x = read_floats("inputs.f32");
    const auto imatrix = read_floats("imatrix.f32");
    const std::string name = T::name;
    REQUIRE(x.size() == static_cast<std::size_t>(ref_rows * ref_cols));
    const std::size_t bytes = static_cast<std::size_t>(ref_rows) * T::row_bytes(ref_cols);
    std::vector<std::byte> out(bytes);

    SECTION("quantize") {
        gguf::reference::quantize_rows<T>(x.data(), ref_rows, ref_cols, out.data(), out.size());
        // IQ4_NL's row-level quantizer is ggml_quantize_chunk's (what GGUF files hold).
        const auto expected = read_file(name + (name == "iq4_nl" ? ".chunk" : "") + ".blocks.bin");
        REQUIRE(expected.size() == bytes);
        CHECK(first_difference(out, expected) == -1);
    }
    if constexpr (T::has_importance) {
        if (name != "iq4_nl" && name != "iq4_xs") {  // ggml vectors exist for the others only
            SECTION("importance-weighted quantize") {
                gguf::reference::quantize_rows<T>(x.data(), ref_rows, ref_cols, out.data(), out.size(), imatrix.data());
                CHECK(first_difference(out, read_file(name + ".imatrix.blocks.bin")) == -1);
            }
            SECTION("dequantize the importance-weighted blocks") {
                const auto blocks = read_file(name + ".imatrix.blocks.bin");
                std::vector<float> y(x.size());
                gguf::reference::dequantize_rows<T>(blocks.data(), blocks.size(), ref_rows, ref_cols, y.data(), y.size());
                CHECK(first_float_difference(y, read_floats(name + ".imatrix.dequant.f32")) == -1);
            }
        }
    }
    SECTION("dequantize") {
        const auto blocks = read_file(name + ".blocks.bin");
        std::vector<float> y(x.size());
        gguf::reference::dequantize_rows<T>(blocks.data(), blocks.size(), ref_rows, ref_cols, y.data(), y.size());
        CHECK(first_float_difference(y, read_floats(name + ".dequant.f32")) == -1);
    }
}

}  // namespace

TEMPLATE_TEST_CASE("GGUF reference reproduces ggml's bytes", "[gguf][vectors]", gguf::q4_0, gguf::q4_1, gguf::q5_0,
                   gguf::q5_1, gguf::q8_0, gguf::q8_1, gguf::q2_K, gguf::q3_K, gguf::q4_K, gguf::q5_K, gguf::q6_K, gguf::q8_K,
                   gguf::iq4_nl, gguf::iq4_xs, gguf::tq1_0, gguf::tq2_0) {
    check_type<TestType>();
}

TEST_CASE("IQ4_NL: both of ggml's quantizers", "[gguf][vectors]") {
    const auto x = read_floats("inputs.f32");
    const std::size_t row = gguf::iq4_nl::row_bytes(ref_cols);
    std::vector<std::byte> out(static_cast<std::size_t>(ref_rows) * row);
    for (std::int64_t r = 0; r < ref_rows; ++r)
        gguf::reference::quantize_row_iq4_nl_ref(x.data() + r * ref_cols, ref_cols, out.data() + static_cast<std::size_t>(r) * row);
    CHECK(first_difference(out, read_file("iq4_nl.blocks.bin")) == -1);
    const auto chunk = read_file("iq4_nl.chunk.blocks.bin");
    std::vector<float> y(x.size());
    gguf::reference::dequantize_rows<gguf::iq4_nl>(chunk.data(), chunk.size(), ref_rows, ref_cols, y.data(), y.size());
    CHECK(first_float_difference(y, read_floats("iq4_nl.chunk.dequant.f32")) == -1);
}

TEST_CASE("GGUF block sizes and type ids", "[gguf]") {
    STATIC_REQUIRE(gguf::q4_0::block_size == 32 && gguf::q4_0::block_bytes == 18);
    STATIC_REQUIRE(gguf::q4_K::block_size == 256 && gguf::q4_K::block_bytes == 144);
    STATIC_REQUIRE(gguf::q6_K::block_bytes == 210 && gguf::q8_K::block_bytes == 292);
    STATIC_REQUIRE(gguf::q4_K::row_bytes(4096) == 16 * 144);
    STATIC_REQUIRE(gguf::q4_0::type_id == 2 && gguf::q8_0::type_id == 8 && gguf::q4_K::type_id == 12 && gguf::iq4_xs::type_id == 23
                   && gguf::tq2_0::type_id == 35);
    CHECK(gguf::q4_0::bits_per_weight == Approx(4.5));
    CHECK(gguf::q4_K::bits_per_weight == Approx(4.5));
    CHECK(gguf::q6_K::bits_per_weight == Approx(6.5625));
}
