// The GGUF converter and the command-line tools on a small model-shaped file: every quantized
// tensor equals the row-level quantizer's bytes for the widened F32 values, 1-D tensors become F32
// exactly, the rest is copied; metadata is kept; failures leave no output behind.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "gguf_file_support.hpp"
#include "lowbit/core/half.hpp"
#include "lowbit/formats/gguf/convert.hpp"

using namespace lowbit::gguf;
using lowbit_test::gguf_file::read_bytes;
using lowbit_test::gguf_file::temp_dir;
using lowbit_test::gguf_file::write_bytes;

namespace {

struct model_tensor {
    std::string name;
    std::vector<std::int64_t> dims;
    tensor_type type;
    std::vector<float> values;  // what the stored numbers are, as floats
    std::vector<std::byte> bytes;
};

// Weight-like values (heavy tails, a few outlier columns) stored as `type`; `values` holds them
// after rounding to that type, so the converter's input is known exactly.
model_tensor make_tensor(const std::string& name, std::vector<std::int64_t> dims, tensor_type type, std::uint32_t seed) {
    model_tensor t{name, std::move(dims), type, {}, {}};
    std::int64_t n = 1;
    for (auto d : t.dims) n *= d;
    std::mt19937 gen(seed);
    std::student_t_distribution<float> tails(4.f);
    for (std::int64_t i = 0; i < n; ++i) {
        float v = 0.02f * tails(gen);
        if (i % 97 == 5) v *= 30.f;
        if (type == tensor_type::f16) v = lowbit::fp16_bits_to_float(lowbit::float_to_fp16_bits(v));
        if (type == tensor_type::bf16) v = lowbit::bf16_bits_to_float(lowbit::float_to_bf16_bits(v));
        t.values.push_back(v);
        if (type == tensor_type::f32) {
            const auto* p = reinterpret_cast<const std::byte*>(&v);
            t.bytes.insert(t.bytes.end(), p, p + 4);
        } else if (type == tensor_type::f16 || type == tensor_type::bf16) {
            const std::uint16_t h = type == tensor_type::f16 ? lowbit::float_to_fp16_bits(v) : lowbit::float_to_bf16_bits(v);
            const auto* p = reinterpret_cast<const std::byte*>(&h);
            t.bytes.insert(t.bytes.end(), p, p + 2);
        }
    }
    if (type == tensor_type::q8_0) {  // an already quantized tensor
        t.bytes.resize(static_cast<std::size_t>(n / 32 * 34));
        quantize_rows<q8_0>(t.values.data(), n / t.dims[0], t.dims[0], t.bytes.data(), t.bytes.size());
    }
    return t;
}

std::vector<model_tensor> model() {
    return {make_tensor("token_embd.weight", {512, 6}, tensor_type::f16, 1),
            make_tensor("blk.0.attn_norm.weight", {512}, tensor_type::f32, 2),
            make_tensor("blk.0.attn_q.weight", {512, 12}, tensor_type::f32, 3),
            make_tensor("blk.0.ffn_up.weight", {512, 20}, tensor_type::bf16, 4),
            make_tensor("blk.0.ffn_down.weight", {256, 2, 3}, tensor_type::f16, 5),
            make_tensor("blk.0.ffn_norm.weight", {512}, tensor_type::bf16, 6),
            make_tensor("output_norm.weight", {512}, tensor_type::f16, 7),
            make_tensor("odd.weight", {100, 3}, tensor_type::f32, 8),
            make_tensor("prequantized.weight", {64, 4}, tensor_type::q8_0, 9),
            make_tensor("empty.weight", {0, 4}, tensor_type::f32, 10)};
}

metadata model_metadata() {
    metadata m;
    m.set("general.architecture", value("llama"));
    m.set("general.name", value("tiny test model"));
    m.set("general.file_type", value(std::uint32_t{1}));
    m.set("llama.block_count", value(std::uint32_t{1}));
    m.set("tokenizer.ggml.tokens", value::array_of(std::vector<std::string>{"<s>", "</s>", "a"}));
    m.set("tokenizer.ggml.scores", value::array_of(std::vector<float>{0.f, 0.f, -1.f}));
    return m;
}

std::vector<tensor_source> sources(const std::vector<model_tensor>& tensors) {
    std::vector<tensor_source> out;
    for (const auto& t : tensors)
        out.push_back({t.name, t.dims, t.type, [&t](std::byte* dst, std::size_t n) { std::memcpy(dst, t.bytes.data(), n); }});
    return out;
}

std::vector<std::byte> bytes_of(const reader& r, const tensor_info& t) { return {r.data(t), r.data(t) + t.bytes}; }

std::vector<std::byte> expected_blocks(tensor_type type, const model_tensor& t, const float* importance = nullptr) {
    const std::int64_t cols = t.dims[0], rows = static_cast<std::int64_t>(t.values.size()) / cols;
    std::vector<std::byte> q(static_cast<std::size_t>(rows * (cols / traits_of(type).block_size) * traits_of(type).block_bytes));
    quantize_rows(type, t.values.data(), rows, cols, q.data(), q.size(), importance);
    return q;
}

}  // namespace

TEST_CASE("convert_file quantizes 2-D float tensors bit-exactly and keeps the rest", "[gguf][convert]") {
    temp_dir dir;
    const auto tensors = model();
    write_file(dir.file("in.gguf"), model_metadata(), sources(tensors));
    const auto input_before = read_bytes(dir.file("in.gguf"));

    for (tensor_type type : {tensor_type::q4_K, tensor_type::q8_0, tensor_type::q3_K, tensor_type::iq4_nl}) {
        INFO("type " << name_of(type));
        convert_options opt;
        opt.type = type;
        opt.threads = 2;
        std::vector<std::size_t> calls;
        opt.progress = [&](std::size_t done, std::size_t total, const std::string&) {
            CHECK(total == tensors.size());
            calls.push_back(done);
        };
        const std::string out_path = dir.file(std::string("out-") + name_of(type) + ".gguf");
        const auto report = convert_file(dir.file("in.gguf"), out_path, opt);
        std::size_t with_data = 0;
        for (const auto& t : tensors) with_data += t.values.empty() ? 0u : 1u;
        CHECK(calls.size() == with_data + 1);  // each tensor that has bytes, then the end
        CHECK(calls.back() == tensors.size());
        CHECK(read_bytes(dir.file("in.gguf")) == input_before);

        const reader out(out_path);
        REQUIRE(out.tensors().size() == tensors.size());
        REQUIRE(report.size() == tensors.size());
        const int block = traits_of(type).block_size;
        for (std::size_t i = 0; i < tensors.size(); ++i) {
            const model_tensor& t = tensors[i];
            const tensor_info& o = out.tensors()[i];
            INFO("tensor " << t.name);
            CHECK(o.name == t.name);
            CHECK(o.dims == t.dims);
            CHECK(report[i].output == o.type);
            CHECK(report[i].output_bytes == o.bytes);
            const bool is_float = t.type == tensor_type::f32 || t.type == tensor_type::f16 || t.type == tensor_type::bf16;
            if (is_float && t.dims.size() >= 2 && t.dims[0] % block == 0 && !t.values.empty()) {
                CHECK(o.type == type);
                CHECK(bytes_of(out, o) == expected_blocks(type, t));
                CHECK(report[i].quantized);
                CHECK(report[i].sqnr_db > (type == tensor_type::q3_K ? 10.0 : 15.0));
            } else if (is_float && t.dims.size() == 1) {
                CHECK(o.type == tensor_type::f32);
                std::vector<float> got(t.values.size());
                std::memcpy(got.data(), out.data(o), o.bytes);
                CHECK(got == t.values);
                CHECK_FALSE(report[i].quantized);
            } else {
                CHECK(o.type == t.type);
                CHECK(bytes_of(out, o) == t.bytes);
                CHECK_THAT(report[i].note, Catch::StartsWith("kept: "));
            }
        }
        // Metadata: everything kept in order, with the quantization keys of llama.cpp.
        CHECK(out.meta().at("general.name").as_string() == "tiny test model");
        CHECK(out.meta().at("tokenizer.ggml.tokens") == model_metadata().at("tokenizer.ggml.tokens"));
        CHECK(out.meta().at("general.quantization_version").as<std::uint32_t>() == 2);
        if (type == tensor_type::q8_0) CHECK(out.meta().at("general.file_type").as<std::uint32_t>() == 7);
        if (type == tensor_type::q4_K) CHECK(out.meta().at("general.file_type").as<std::uint32_t>() == 14);
        CHECK(out.meta().begin()->first == "general.architecture");
    }
}

TEST_CASE("an imatrix file weights the tensors it names", "[gguf][convert]") {
    temp_dir dir;
    const auto tensors = model();
    write_file(dir.file("in.gguf"), model_metadata(), sources(tensors));
    const model_tensor& q = tensors[2];  // blk.0.attn_q.weight, 512 columns
    std::vector<float> importance(512);
    for (std::size_t c = 0; c < importance.size(); ++c) importance[c] = c % 7 == 0 ? 50.f : 0.5f + 0.01f * static_cast<float>(c % 13);
    write_file(dir.file("imatrix.gguf"), {},
               {{q.name, {512}, tensor_type::f32, [&](std::byte* dst, std::size_t n) { std::memcpy(dst, importance.data(), n); }}});
    convert_options opt;
    opt.type = tensor_type::q4_K;
    opt.imatrix = dir.file("imatrix.gguf");
    const auto report = convert_file(dir.file("in.gguf"), dir.file("out.gguf"), opt);
    const reader out(dir.file("out.gguf"));
    CHECK(report[2].imatrix);
    CHECK(bytes_of(out, out.tensors()[2]) == expected_blocks(tensor_type::q4_K, q, importance.data()));
    CHECK(bytes_of(out, out.tensors()[2]) != expected_blocks(tensor_type::q4_K, q));
    CHECK_FALSE(report[3].imatrix);
    CHECK(bytes_of(out, out.tensors()[3]) == expected_blocks(tensor_type::q4_K, tensors[3]));

    // An entry of the wrong length is an error, and no output appears.
    write_file(dir.file("short.gguf"), {}, {{q.name, {256}, tensor_type::f32, [](std::byte* d, std::size_t n) { std::memset(d, 0, n); }}});
    opt.imatrix = dir.file("short.gguf");
    CHECK_THROWS_WITH(convert_file(dir.file("in.gguf"), dir.file("out2.gguf"), opt), Catch::Contains("holds 256 values in 1 dimensions; the weight has 512"));
    CHECK_FALSE(std::filesystem::exists(dir.file("out2.gguf")));

    // An imatrix that names none of the tensors is an error, not a silent no-op.
    write_file(dir.file("foreign.gguf"), {}, {{"other.weight", {512}, tensor_type::f32, [](std::byte* d, std::size_t n) { std::memset(d, 0, n); }}});
    opt.imatrix = dir.file("foreign.gguf");
    CHECK_THROWS_WITH(convert_file(dir.file("in.gguf"), dir.file("out3.gguf"), opt), Catch::Contains("names none of the tensors to quantize"));
    CHECK_FALSE(std::filesystem::exists(dir.file("out3.gguf")));
    opt.type = tensor_type::q8_0;  // no importance-weighted quantizer: the imatrix is not used
    CHECK_NOTHROW(convert_file(dir.file("in.gguf"), dir.file("out3.gguf"), opt));
}

TEST_CASE("llama-imatrix files: sums over counts, one importance per expert matrix", "[gguf][convert]") {
    temp_dir dir;
    const auto tensors = model();
    write_file(dir.file("in.gguf"), model_metadata(), sources(tensors));
    const model_tensor& q = tensors[2];     // blk.0.attn_q.weight [512, 12]
    const model_tensor& down = tensors[4];  // blk.0.ffn_down.weight [256, 2, 3]: three 2 x 256 matrices
    std::vector<float> q_sums(512), down_sums(256 * 3);
    for (std::size_t i = 0; i < q_sums.size(); ++i) q_sums[i] = 3.f + static_cast<float>(i % 11);
    for (std::size_t i = 0; i < down_sums.size(); ++i) down_sums[i] = 0.5f + static_cast<float>(i % 5);
    const std::vector<float> q_counts{6.f}, down_counts{4.f, 0.f, 2.f};
    const auto from = [](const std::vector<float>& v) {
        return [&v](std::byte* d, std::size_t n) { std::memcpy(d, v.data(), n); };
    };
    write_file(dir.file("imatrix.gguf"), {},
               {{q.name + ".in_sum2", {512, 1}, tensor_type::f32, from(q_sums)},
                {q.name + ".counts", {1, 1}, tensor_type::f32, from(q_counts)},
                {down.name + ".in_sum2", {256, 3}, tensor_type::f32, from(down_sums)},
                {down.name + ".counts", {1, 3}, tensor_type::f32, from(down_counts)}});
    convert_options opt;
    opt.type = tensor_type::q3_K;
    opt.imatrix = dir.file("imatrix.gguf");
    const auto report = convert_file(dir.file("in.gguf"), dir.file("out.gguf"), opt);
    const reader out(dir.file("out.gguf"));
    CHECK(report[2].imatrix);
    CHECK(report[4].imatrix);

    std::vector<float> w(512);
    for (std::size_t i = 0; i < w.size(); ++i) w[i] = q_sums[i] / 6.f;
    CHECK(bytes_of(out, out.tensors()[2]) == expected_blocks(tensor_type::q3_K, q, w.data()));

    std::vector<std::byte> want;
    for (int m = 0; m < 3; ++m) {  // each expert matrix with its own importance; count 0 gives 1
        model_tensor part{down.name, {256, 2}, down.type, {down.values.begin() + m * 512, down.values.begin() + (m + 1) * 512}, {}};
        std::vector<float> wm(256);
        for (std::size_t i = 0; i < 256; ++i) wm[i] = down_counts[static_cast<std::size_t>(m)] > 0 ? down_sums[static_cast<std::size_t>(m) * 256 + i] / down_counts[static_cast<std::size_t>(m)] : 1.f;
        const auto blocks = expected_blocks(tensor_type::q3_K, part, wm.data());
        want.insert(want.end(), blocks.begin(), blocks.end());
    }
    CHECK(bytes_of(out, out.tensors()[4]) == want);

    // A count tensor of the wrong size, or sums for a different column count, are errors.
    write_file(dir.file("bad.gguf"), {},
               {{q.name + ".in_sum2", {512, 1}, tensor_type::f32, from(q_sums)}, {q.name + ".counts", {1, 2}, tensor_type::f32, from(down_counts)}});
    opt.imatrix = dir.file("bad.gguf");
    CHECK_THROWS_WITH(convert_file(dir.file("in.gguf"), dir.file("x.gguf"), opt), Catch::Contains("has 2 values, not 1"));
    write_file(dir.file("bad2.gguf"), {}, {{q.name + ".in_sum2", {256, 2}, tensor_type::f32, from(q_sums)}});
    opt.imatrix = dir.file("bad2.gguf");
    CHECK_THROWS_WITH(convert_file(dir.file("in.gguf"), dir.file("x.gguf"), opt), Catch::Contains("only one of .in_sum2 and .counts"));
}

TEST_CASE("convert_file failures leave no output and never touch the input", "[gguf][convert]") {
    temp_dir dir;
    auto tensors = model();
    tensors[3].values[77] = std::nanf("");
    const std::uint16_t nan_bits = lowbit::float_to_bf16_bits(std::nanf(""));
    std::memcpy(tensors[3].bytes.data() + 2 * 77, &nan_bits, 2);
    write_file(dir.file("nan.gguf"), model_metadata(), sources(tensors));
    write_bytes(dir.file("out.gguf"), {std::byte{1}, std::byte{2}});
    convert_options opt;
    opt.type = tensor_type::q6_K;
    CHECK_THROWS_WITH(convert_file(dir.file("nan.gguf"), dir.file("out.gguf"), opt),
                      Catch::Contains("tensor 'blk.0.ffn_up.weight'") && Catch::Contains("nan at row 0, column 77"));
    CHECK(read_bytes(dir.file("out.gguf")) == std::vector<std::byte>{std::byte{1}, std::byte{2}});
    CHECK(dir.entries() == 2);  // no temporary file left

    const auto before = read_bytes(dir.file("nan.gguf"));
    CHECK_THROWS_WITH(convert_file(dir.file("nan.gguf"), dir.file("nan.gguf"), opt), Catch::Contains("is the input file"));
    CHECK(read_bytes(dir.file("nan.gguf")) == before);
    opt.type = tensor_type::iq2_xxs;
    CHECK_THROWS_WITH(convert_file(dir.file("nan.gguf"), dir.file("x.gguf"), opt), Catch::Contains("iq2_xxs is not a weight type llama.cpp runs"));
    opt.type = tensor_type::q8_K;
    CHECK_THROWS_WITH(convert_file(dir.file("nan.gguf"), dir.file("x.gguf"), opt), Catch::Contains("q8_K is not a weight type"));
    opt.type = tensor_type::q8_0;
    opt.threads = 0;
    CHECK_THROWS_WITH(convert_file(dir.file("nan.gguf"), dir.file("x.gguf"), opt), Catch::Contains("threads = 0"));
}

#ifdef LOWBIT_TOOLS_DIR
namespace {

// The exit status of `command`, its standard output in `out`.
int run(const std::string& command, const std::string& out = "/dev/null") {
    const int status = std::system((command + " > " + out + " 2>/dev/null").c_str());
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::string tool(const char* name) { return std::string(LOWBIT_TOOLS_DIR) + "/" + name; }

}  // namespace

TEST_CASE("lowbit-quantize, lowbit-dequantize and lowbit-gguf-info", "[gguf][convert][tools]") {
    temp_dir dir;
    const auto tensors = model();
    write_file(dir.file("in.gguf"), model_metadata(), sources(tensors));

    // GGUF mode: the same file as convert_file writes.
    REQUIRE(run(tool("lowbit-quantize") + " " + dir.file("in.gguf") + " " + dir.file("cli.gguf") + " q5_K --threads 2") == 0);
    convert_options opt;
    opt.type = tensor_type::q5_K;
    convert_file(dir.file("in.gguf"), dir.file("api.gguf"), opt);
    CHECK(read_bytes(dir.file("cli.gguf")) == read_bytes(dir.file("api.gguf")));
    CHECK(run(tool("lowbit-gguf-info") + " " + dir.file("cli.gguf")) == 0);
    REQUIRE(run(tool("lowbit-gguf-info") + " " + dir.file("in.gguf"), dir.file("info.txt")) == 0);
    const auto info_bytes = read_bytes(dir.file("info.txt"));
    const std::string info(reinterpret_cast<const char*>(info_bytes.data()), info_bytes.size());
    CHECK_THAT(info, Catch::Contains("GGUF v3") && Catch::Contains("\"tiny test model\"") && Catch::Contains("[string x 3]"));
    for (const auto& t : tensors) CHECK_THAT(info, Catch::Contains(t.name));
    CHECK_THAT(info, Catch::Contains("[256, 2, 3]") && Catch::Contains("bf16"));

    // Raw mode, both directions.
    const model_tensor& t = tensors[3];
    std::vector<std::byte> raw(t.values.size() * 4);
    std::memcpy(raw.data(), t.values.data(), raw.size());
    write_bytes(dir.file("w.f32"), raw);
    REQUIRE(run(tool("lowbit-quantize") + " --raw --rows 20 --cols 512 " + dir.file("w.f32") + " " + dir.file("w.bin") + " q4_0") == 0);
    const auto blocks = read_bytes(dir.file("w.bin"));
    CHECK(blocks == expected_blocks(tensor_type::q4_0, t));
    REQUIRE(run(tool("lowbit-dequantize") + " --raw --rows 20 --cols 512 " + dir.file("w.bin") + " " + dir.file("back.f32") + " q4_0") == 0);
    std::vector<float> want(t.values.size());
    dequantize_rows<q4_0>(blocks.data(), blocks.size(), 20, 512, want.data(), want.size());
    const auto back = read_bytes(dir.file("back.f32"));
    REQUIRE(back.size() == want.size() * 4);
    CHECK(std::memcmp(back.data(), want.data(), back.size()) == 0);

    // Raw mode with an importance file.
    std::vector<float> importance(512, 1.f);
    importance[3] = 100.f;
    std::vector<std::byte> w(512 * 4);
    std::memcpy(w.data(), importance.data(), w.size());
    write_bytes(dir.file("imatrix.f32"), w);
    REQUIRE(run(tool("lowbit-quantize") + " --raw --rows 20 --cols 512 --imatrix " + dir.file("imatrix.f32") + " " + dir.file("w.f32") + " " +
                dir.file("wi.bin") + " q4_K") == 0);
    CHECK(read_bytes(dir.file("wi.bin")) == expected_blocks(tensor_type::q4_K, t, importance.data()));

    // Bad command lines (status 2) and bad inputs (status 1) write nothing.
    const std::size_t files = dir.entries();
    CHECK(run(tool("lowbit-quantize") + " " + dir.file("in.gguf") + " " + dir.file("x.gguf") + " q4_9") == 2);
    CHECK(run(tool("lowbit-quantize") + " --raw --rows 0 --cols 512 " + dir.file("w.f32") + " " + dir.file("x.bin") + " q4_0") == 2);
    CHECK(run(tool("lowbit-quantize") + " --raw --rows 21 --cols 512 " + dir.file("w.f32") + " " + dir.file("x.bin") + " q4_0") == 1);
    CHECK(run(tool("lowbit-quantize") + " --raw --rows 20 --cols 512 " + dir.file("w.f32") + " " + dir.file("x.bin") + " q4_K --bogus") == 2);
    CHECK(run(tool("lowbit-dequantize") + " --raw --rows 20 --cols 512 " + dir.file("w.f32") + " " + dir.file("x.f32") + " q4_0") == 1);
    CHECK(run(tool("lowbit-gguf-info") + " " + dir.file("w.f32")) == 1);
    CHECK(dir.entries() == files);
    CHECK(run(tool("lowbit-quantize") + " --help") == 0);
}
#endif
