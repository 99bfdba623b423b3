// GGUF files: metadata and tensor-info round trips, the layout ggml requires, and rejection of
// truncated, corrupt and hostile files with a lowbit::error (never a crash: ASan runs these too).
#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "gguf_file_support.hpp"
#include "lowbit/formats/gguf/file_reader.hpp"
#include "lowbit/formats/gguf/file_writer.hpp"

using namespace lowbit::gguf;
using lowbit_test::gguf_file::gguf_bytes;
using lowbit_test::gguf_file::temp_dir;

namespace {

std::string utf8_with_nul() {
    const char text[] = "\xce\xbb \xe2\x86\x92 \xf0\x9f\x98\x80 and a \0 byte";
    return std::string(text, sizeof text - 1);
}

metadata every_value_type() {
    metadata m;
    m.set("general.architecture", value("llama"));
    m.set("u8", value(std::uint8_t{255}));
    m.set("i8", value(std::int8_t{-128}));
    m.set("u16", value(std::uint16_t{65535}));
    m.set("i16", value(std::int16_t{-32768}));
    m.set("u32", value(std::uint32_t{4294967295u}));
    m.set("i32", value(std::int32_t{std::numeric_limits<std::int32_t>::min()}));
    m.set("u64", value(std::uint64_t{std::numeric_limits<std::uint64_t>::max()}));
    m.set("i64", value(std::int64_t{std::numeric_limits<std::int64_t>::min()}));
    m.set("f32", value(-0.0f));
    m.set("f32.nan", value(std::nanf("0x2a")));
    m.set("f64", value(3.141592653589793));
    m.set("bool.true", value(true));
    m.set("bool.false", value(false));
    m.set("string.empty", value(""));
    m.set("string.utf8", value(utf8_with_nul()));
    m.set("array.u8", value::array_of(std::vector<std::uint8_t>{0, 1, 255}));
    m.set("array.i8", value::array_of(std::vector<std::int8_t>{-1, 2}));
    m.set("array.u16", value::array_of(std::vector<std::uint16_t>{1, 65535}));
    m.set("array.i16", value::array_of(std::vector<std::int16_t>{-2, 3}));
    m.set("array.u32", value::array_of(std::vector<std::uint32_t>{7}));
    m.set("array.i32", value::array_of(std::vector<std::int32_t>{-7, 0, 7}));
    m.set("array.u64", value::array_of(std::vector<std::uint64_t>{1ull << 63}));
    m.set("array.i64", value::array_of(std::vector<std::int64_t>{-(1ll << 62)}));
    m.set("array.f32", value::array_of(std::vector<float>{1.5f, -0.0f, std::numeric_limits<float>::infinity()}));
    m.set("array.f64", value::array_of(std::vector<double>{1e-300, 2.5}));
    m.set("array.bool", value::array_of(std::vector<bool>{true, false, true}));
    m.set("array.string", value::array_of(std::vector<std::string>{"<s>", "", "\xe2\x96\x81the"}));
    m.set("array.empty", value::array_of(std::vector<float>{}));
    m.set("array.nested", value::array_of(std::vector<value>{value::array_of(std::vector<std::string>{"a", "bc"}),
                                                               value::array_of(std::vector<value>{value::array_of(std::vector<std::int32_t>{1, 2})}),
                                                               value::array_of(std::vector<std::uint8_t>{})}));
    return m;
}

void fill_index(std::byte* dst, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) dst[i] = static_cast<std::byte>(i * 7 + 1);
}

std::vector<tensor_source> small_tensors() {
    return {{"token_embd.weight", {64, 3}, tensor_type::q8_0, fill_index},
            {"blk.0.attn_norm.weight", {64}, tensor_type::f32, fill_index},
            {"blk.0.ffn_up.weight", {256, 2}, tensor_type::q4_K, fill_index},
            {"scalar", {}, tensor_type::f16, fill_index},
            {"empty", {0, 4}, tensor_type::bf16, fill_index},
            {"iq2", {256, 1}, tensor_type::iq2_xxs, fill_index}};
}

std::vector<std::byte> small_file() { return write_memory(every_value_type(), small_tensors()); }

template <class F>
std::string error_of(F&& f) {
    try {
        f();
    } catch (const lowbit::error& e) {
        return e.what();
    }
    return "no error";
}

std::string parse_error(const std::vector<std::byte>& bytes) {
    return error_of([&] { parse_layout(bytes.data(), bytes.size()); });
}

}  // namespace

TEST_CASE("every metadata value type survives a write and a read", "[gguf][file]") {
    const metadata m = every_value_type();
    const auto bytes = small_file();
    const file_layout f = parse_layout(bytes.data(), bytes.size());
    CHECK(f.version == 3);
    CHECK(f.meta == m);
    REQUIRE(f.meta.size() == m.size());
    auto a = f.meta.begin();
    for (auto b = m.begin(); b != m.end(); ++a, ++b) CHECK(a->first == b->first);  // order kept
    CHECK(f.meta.at("u64").as<std::uint64_t>() == std::numeric_limits<std::uint64_t>::max());
    CHECK(std::isnan(f.meta.at("f32.nan").as<float>()));
    CHECK(std::signbit(f.meta.at("f32").as<float>()));
    CHECK(f.meta.at("string.utf8").as_string() == utf8_with_nul());
    CHECK(utf8_with_nul().size() == 24);
    CHECK(f.meta.at("array.nested").at(1).at(0).at(1).as<std::int32_t>() == 2);
    CHECK(f.meta.at("array.bool").at(2).as<bool>());
    CHECK_THROWS_WITH(f.meta.at("u8").as<std::uint32_t>(), Catch::Contains("is u8, not u32"));
    CHECK_THROWS_WITH(f.meta.at("missing"), Catch::Contains("no key 'missing'"));
}

TEST_CASE("tensor infos and data round trip in ggml's layout", "[gguf][file]") {
    const auto tensors = small_tensors();
    const auto bytes = small_file();
    const file_layout f = parse_layout(bytes.data(), bytes.size());
    REQUIRE(f.tensors.size() == tensors.size());
    CHECK(f.data_offset % 32 == 0);
    std::uint64_t expected_offset = 0;
    for (std::size_t i = 0; i < tensors.size(); ++i) {
        const tensor_info& t = f.tensors[i];
        CHECK(t.name == tensors[i].name);
        CHECK(t.dims == tensors[i].dims);
        CHECK(t.type == tensors[i].type);
        // ggml's reader wants each tensor exactly where the previous one ends, padded.
        CHECK(t.offset == expected_offset);
        expected_offset += (t.bytes + 31) / 32 * 32;
        std::vector<std::byte> want(static_cast<std::size_t>(t.bytes));
        fill_index(want.data(), want.size());
        if (!want.empty()) CHECK(std::memcmp(bytes.data() + f.data_offset + t.offset, want.data(), want.size()) == 0);
    }
    CHECK(f.tensors[0].bytes == 3 * 2 * 34);         // q8_0: 34 bytes per 32
    CHECK(f.tensors[2].bytes == 2 * 144);            // q4_K: 144 bytes per 256
    CHECK(f.tensors[3].bytes == 2);                  // no dimensions: one element
    CHECK(f.tensors[4].bytes == 0);
    CHECK(f.tensors[5].bytes == 66);                 // iq2_xxs: laid out, though lowbit has no codec
    CHECK(bytes.size() == f.data_offset + expected_offset);
}

TEST_CASE("general.alignment sets the padding of the header and of every tensor", "[gguf][file]") {
    metadata m;
    m.set("general.alignment", value(std::uint32_t{64}));
    const auto bytes = write_memory(m, {{"a", {32}, tensor_type::f32, fill_index}, {"b", {32}, tensor_type::q8_0, fill_index}});
    const file_layout f = parse_layout(bytes.data(), bytes.size());
    CHECK(f.alignment == 64);
    CHECK(f.data_offset % 64 == 0);
    CHECK(f.tensors[1].offset == 128);
    CHECK(bytes.size() == f.data_offset + 128 + 64);
}

TEST_CASE("write_file reads back through the memory-mapped reader and replaces atomically", "[gguf][file]") {
    temp_dir dir;
    const std::string path = dir.file("model.gguf");
    write_file(path, every_value_type(), small_tensors());
    const reader in(path);
    CHECK(in.meta() == every_value_type());
    REQUIRE(in.find("blk.0.ffn_up.weight") != nullptr);
    const tensor_info& t = *in.find("blk.0.ffn_up.weight");
    CHECK(std::to_integer<int>(in.data(t)[3]) == 22);
    CHECK(in.find("nope") == nullptr);

    // A failing tensor source: no output, the old file untouched, no temporary file left behind.
    const auto before = lowbit_test::gguf_file::read_bytes(path);
    auto tensors = small_tensors();
    tensors[2].fill = [](std::byte*, std::size_t) { lowbit::detail::fail("source failed"); };
    CHECK_THROWS_WITH(write_file(path, every_value_type(), tensors), Catch::Contains("source failed"));
    CHECK(lowbit_test::gguf_file::read_bytes(path) == before);
    CHECK(dir.entries() == 1);
    CHECK_THROWS_WITH(write_file(dir.file("no/such/dir/x.gguf"), {}, {}), Catch::Contains("cannot create a temporary file"));
    CHECK_THROWS_WITH(reader(dir.file("absent.gguf")), Catch::Contains("cannot open"));
}

TEST_CASE("the writer refuses what the reader would reject", "[gguf][file]") {
    const auto write = [](std::vector<tensor_source> t, metadata m = {}) { return error_of([&] { write_memory(m, t); }); };
    CHECK_THAT(write({{"x", {33}, tensor_type::q4_0, fill_index}}), Catch::Contains("33 columns are not whole q4_0 blocks of 32"));
    CHECK_THAT(write({{"x", {1}, tensor_type::f32, fill_index}, {"x", {1}, tensor_type::f32, fill_index}}), Catch::Contains("duplicate tensor name 'x'"));
    CHECK_THAT(write({{std::string(64, 'n'), {1}, tensor_type::f32, fill_index}}), Catch::Contains("longer than 63 bytes"));
    CHECK_THAT(write({{"x", {1, 1, 1, 1, 1}, tensor_type::f32, fill_index}}), Catch::Contains("5 dimensions"));
    CHECK_THAT(write({{"x", {-1}, tensor_type::f32, fill_index}}), Catch::Contains("dimension 0 is -1"));
    CHECK_THAT(write({{"x", {4, 0}, tensor_type::f32, fill_index}}), Catch::Contains("dimension 1 = 0"));
    CHECK_THAT(write({{"x", {1}, tensor_type::f32, nullptr}}), Catch::Contains("no fill function"));
    CHECK_THAT(write({{"x", {1}, static_cast<tensor_type>(4), fill_index}}), Catch::Contains("tensor type id 4 is not a ggml type"));
    metadata bad_alignment;
    bad_alignment.set("general.alignment", value(std::uint32_t{48}));
    CHECK_THAT(write({}, bad_alignment), Catch::Contains("48 is not a power of two"));
    value deep = value::array_of(std::vector<std::uint8_t>{});
    for (int i = 0; i < max_array_depth; ++i) deep = value::array_of(std::vector<value>{deep});
    metadata nested;
    nested.set("deep", deep);
    CHECK_THAT(write({}, nested), Catch::Contains("nested deeper than 8"));
    CHECK_THROWS_WITH(value::array_of(std::vector<value>{value(1.0f)}), Catch::Contains("arrays only"));
    CHECK_THROWS_WITH(value::packed_array(value_type::boolean, {std::byte{1}, std::byte{2}}), Catch::Contains("neither 0 nor 1"));
    CHECK_THROWS_WITH(value::packed_array(value_type::uint32, {std::byte{1}, std::byte{2}}), Catch::Contains("2 bytes are not an array of u32"));
}

TEST_CASE("every truncation of a valid file is rejected", "[gguf][file][corrupt]") {
    const auto bytes = small_file();
    const file_layout f = parse_layout(bytes.data(), bytes.size());
    const std::uint64_t data_end = f.data_offset + f.tensors.back().offset + f.tensors.back().bytes;
    for (std::size_t n = 0; n < data_end; ++n) {
        INFO("truncated to " << n << " of " << bytes.size() << " bytes");
        CHECK_THAT(parse_error({bytes.begin(), bytes.begin() + static_cast<long>(n)}),
                   Catch::Contains("truncated") || Catch::Contains("cannot fit") || Catch::Contains("exceeds") || Catch::Contains("past the end") ||
                       Catch::Contains("not a GGUF file"));
    }
    CHECK_NOTHROW(parse_layout(bytes.data(), data_end));  // the final padding is optional
}

TEST_CASE("random byte corruption gives a valid layout or a lowbit::error", "[gguf][file][corrupt]") {
    const auto original = small_file();
    std::mt19937 gen(7);
    std::uniform_int_distribution<std::size_t> where(0, original.size() - 1);
    std::uniform_int_distribution<int> byte(0, 255);
    int rejected = 0;
    for (int trial = 0; trial < 3000; ++trial) {
        auto bytes = original;
        const int flips = 1 + trial % 4;
        for (int k = 0; k < flips; ++k) bytes[where(gen)] = static_cast<std::byte>(byte(gen));
        try {
            const file_layout f = parse_layout(bytes.data(), bytes.size());
            for (const tensor_info& t : f.tensors) REQUIRE(f.data_offset + t.offset + t.bytes <= bytes.size());
        } catch (const lowbit::error&) {
            ++rejected;
        }
    }
    CHECK(rejected > 1000);  // most flips land in the header and are caught
}

TEST_CASE("header fields that lie are rejected with what and where", "[gguf][file][corrupt]") {
    CHECK_THAT(parse_error(gguf_bytes().raw("GGML").num(3u).bytes), Catch::Contains("not a GGUF file"));
    CHECK_THAT(parse_error(gguf_bytes().header(0, 0, 1).bytes), Catch::Contains("version 1"));
    CHECK_THAT(parse_error(gguf_bytes().header(0, 0, 4).bytes), Catch::Contains("unknown GGUF version 4"));
    CHECK_THAT(parse_error(gguf_bytes().header(0, 0, 0x03000000u).bytes), Catch::Contains("big-endian"));
    CHECK(parse_error(gguf_bytes().header(0, 0, 2).bytes) == "no error");
    CHECK_THAT(parse_error(gguf_bytes().header(0, 1ull << 60).bytes), Catch::Contains("metadata count 1152921504606846976 cannot fit"));
    CHECK_THAT(parse_error(gguf_bytes().header(~0ull, 0).bytes), Catch::Contains("tensor count"));
    // Lengths and counts inside metadata.
    CHECK_THAT(parse_error(gguf_bytes().header(0, 1).num(~0ull).zeros(16).bytes), Catch::Contains("string length 18446744073709551615 exceeds"));
    CHECK_THAT(parse_error(gguf_bytes().header(0, 1).str("k").num(13u).zeros(8).bytes), Catch::Contains("unknown value type 13"));
    CHECK_THAT(parse_error(gguf_bytes().header(0, 1).str("k").num(9u).num(4u).num(1ull << 62).zeros(8).bytes),
               Catch::Contains("array count 4611686018427387904 cannot fit"));
    CHECK_THAT(parse_error(gguf_bytes().header(0, 1).str("k").num(9u).num(8u).num(1000000ull).zeros(64).bytes), Catch::Contains("cannot fit"));
    CHECK_THAT(parse_error(gguf_bytes().header(0, 1).str("k").num(9u).num(77u).num(0ull).bytes), Catch::Contains("array of unknown value type 77"));
    CHECK_THAT(parse_error(gguf_bytes().header(0, 1).str("k").num(7u).num(std::uint8_t{2}).bytes), Catch::Contains("bool byte 2"));
    CHECK_THAT(parse_error(gguf_bytes().header(0, 1).str("k").num(9u).num(7u).num(2ull).num(std::uint8_t{1}).num(std::uint8_t{9}).bytes),
               Catch::Contains("neither 0 nor 1"));
    CHECK_THAT(parse_error(gguf_bytes().header(0, 2).kv_u32("k", 1).kv_u32("k", 2).bytes), Catch::Contains("duplicate metadata key 'k'"));
    CHECK_THAT(parse_error(gguf_bytes().header(0, 1).str("k").num(9u).num(9u).num(1ull).num(4u).num(0ull).bytes),
               Catch::Contains("an array of arrays holds type 4"));
    gguf_bytes deep;
    deep.header(0, 1).str("k");
    for (int i = 0; i < 9; ++i) deep.num(9u).num(9u).num(1ull);
    CHECK_THAT(parse_error(deep.num(9u).num(0u).num(0ull).bytes), Catch::Contains("nested deeper than 8"));
    // general.alignment.
    CHECK_THAT(parse_error(gguf_bytes().header(0, 1).kv_u32("general.alignment", 0).bytes), Catch::Contains("0 is not a power of two"));
    CHECK_THAT(parse_error(gguf_bytes().header(0, 1).kv_u32("general.alignment", 24).bytes), Catch::Contains("24 is not a power of two"));
    CHECK_THAT(parse_error(gguf_bytes().header(0, 1).str("general.alignment").num(10u).num(32ull).bytes), Catch::Contains("general.alignment is u64, not u32"));
}

TEST_CASE("tensor infos that lie are rejected with what and where", "[gguf][file][corrupt]") {
    const auto one = [](const std::string& name, const std::vector<std::uint64_t>& dims, std::uint32_t type, std::uint64_t offset,
                        std::size_t data) { return parse_error(gguf_bytes().header(1, 0).tensor(name, dims, type, offset).pad().zeros(data).bytes); };
    CHECK(one("w", {32, 2}, 8, 0, 68) == "no error");
    CHECK_THAT(one("w", {32, 2}, 8, 0, 67), Catch::Contains("ends past the end of the file"));
    CHECK_THAT(one("w", {32, 2}, 8, 32, 100), Catch::Contains("'w' is at data offset 32; the tensors before it end at 0"));
    CHECK_THAT(one("w", {32, 2}, 8, ~0ull - 31, 68), Catch::Contains("the tensors before it end at 0"));
    CHECK_THAT(one("w", {4, 0}, 0, 0, 100), Catch::Contains("dimension 1 = 0"));
    CHECK(one("w", {0, 4}, 0, 0, 0) == "no error");
    CHECK_THAT(one("w", {32, 2}, 8, 16, 100), Catch::Contains("offset 16 is not a multiple of the alignment 32"));
    CHECK_THAT(one("w", {33, 2}, 8, 0, 100), Catch::Contains("33 columns are not whole q8_0 blocks"));
    CHECK_THAT(one("w", {32}, 4, 0, 100), Catch::Contains("unknown ggml type 4"));
    CHECK_THAT(one("w", {32}, 40, 0, 100), Catch::Contains("unknown ggml type 40"));
    CHECK_THAT(one("w", {1, 1, 1, 1, 1}, 0, 0, 100), Catch::Contains("5 dimensions"));
    CHECK_THAT(one("w", {1ull << 63}, 0, 0, 100), Catch::Contains("out of range"));
    CHECK_THAT(one("w", {1ull << 32, 1ull << 32}, 0, 0, 100), Catch::Contains("overflows"));
    CHECK_THAT(one("w", {1ull << 62}, 0, 0, 100), Catch::Contains("byte size overflows"));
    CHECK_THAT(one(std::string(64, 'x'), {1}, 0, 0, 100), Catch::Contains("longer than 63 bytes"));
    CHECK(one(std::string(63, 'x'), {1}, 0, 0, 100) == "no error");
    CHECK_THAT(parse_error(gguf_bytes().header(2, 0).tensor("a", {8}, 0, 0).tensor("a", {8}, 0, 32).pad().zeros(64).bytes),
               Catch::Contains("duplicate tensor name 'a'"));
    // ggml's rule: back to back in declaration order, each padded to the alignment.
    CHECK(parse_error(gguf_bytes().header(2, 0).tensor("a", {16}, 0, 0).tensor("b", {8}, 0, 64).pad().zeros(96).bytes) == "no error");
    CHECK_THAT(parse_error(gguf_bytes().header(2, 0).tensor("a", {16}, 0, 0).tensor("b", {8}, 0, 32).pad().zeros(96).bytes),
               Catch::Contains("'b' is at data offset 32; the tensors before it end at 64"));
    CHECK_THAT(parse_error(gguf_bytes().header(2, 0).tensor("a", {8}, 0, 0).tensor("b", {8}, 0, 64).pad().zeros(96).bytes),
               Catch::Contains("'b' is at data offset 64; the tensors before it end at 32"));
    CHECK_THAT(parse_error(gguf_bytes().header(2, 0).tensor("a", {8}, 0, 32).tensor("b", {8}, 0, 0).pad().zeros(96).bytes),
               Catch::Contains("'a' is at data offset 32; the tensors before it end at 0"));
    CHECK_THAT(parse_error(gguf_bytes().header(1, 0).num(1ull << 40).zeros(32).bytes), Catch::Contains("string length 1099511627776 exceeds"));
}
