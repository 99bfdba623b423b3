// lowbit-quantize: quantize the weights of a GGUF file (F32 / F16 / BF16) to a GGUF block type,
// or a raw f32 matrix to raw blocks. The bytes are ggml's (lowbit/formats/gguf/convert.hpp).
#include <cmath>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "cli.hpp"
#include "lowbit/formats/gguf/convert.hpp"
#include "lowbit/io/atomic_file.hpp"
#include "lowbit/io/mapped_file.hpp"

namespace {

using namespace lowbit;

const char* const usage =
    "usage: lowbit-quantize IN.gguf OUT.gguf TYPE [--imatrix FILE.gguf] [--threads N]\n"
    "       lowbit-quantize --raw --rows R --cols C [--imatrix W.f32] [--threads N] IN.f32 OUT.bin TYPE\n"
    "TYPE: q4_0 q4_1 q5_0 q5_1 q8_0 q8_1 q2_K q3_K q4_K q5_K q6_K q8_K iq4_nl iq4_xs tq1_0 tq2_0\n"
    "GGUF mode quantizes every F32/F16/BF16 tensor of two or more dimensions, stores 1-D tensors as\n"
    "F32 and copies the rest; the imatrix file is a GGUF file of 1-D F32 tensors named like the\n"
    "weights, one importance per column. Raw mode reads R x C little-endian f32 (W.f32: C f32\n"
    "importances) and writes the R rows of blocks.\n";

std::vector<float> read_floats(const std::string& path, std::int64_t count, const char* what) {
    const mapped_file f(path);
    const auto need = static_cast<std::size_t>(count) * sizeof(float);
    if (f.size() != need) detail::fail(what, " '", path, "' holds ", f.size(), " bytes; ", need, " were expected");
    std::vector<float> v(static_cast<std::size_t>(count));
    if (need != 0) std::memcpy(v.data(), f.data(), need);
    return v;
}

int raw_mode(tools::arguments& args) {
    const std::int64_t rows = tools::parse_count(args.option("--rows"), "--rows");
    const std::int64_t cols = tools::parse_count(args.option("--cols"), "--cols");
    const std::string imatrix = args.option("--imatrix");
    const int threads = tools::parse_threads(args.option("--threads", "1"));
    const auto pos = args.positionals(3);
    const gguf::tensor_type type = tools::parse_block_type(pos[2]);
    if (rows > (std::int64_t{1} << 40) / cols) detail::fail("--rows x --cols is too large");
    const std::vector<float> x = read_floats(pos[0], rows * cols, "input");
    std::vector<float> importance;
    if (!imatrix.empty()) importance = read_floats(imatrix, cols, "imatrix");
    const int block = gguf::traits_of(type).block_size;
    if (cols % block != 0) detail::fail("--cols ", cols, " is not a multiple of the ", pos[2], " block size ", block);
    std::vector<std::byte> q(static_cast<std::size_t>(rows) * static_cast<std::size_t>(cols / block) * static_cast<std::size_t>(gguf::traits_of(type).block_bytes));
    gguf::quantize_rows(type, x.data(), rows, cols, q.data(), q.size(), importance.empty() ? nullptr : importance.data(), threads);
    std::vector<float> y(x.size());
    gguf::dequantize_rows(type, q.data(), q.size(), rows, cols, y.data(), y.size(), threads);
    atomic_file out(pos[1]);
    out.write(q.data(), q.size());
    out.commit();
    std::printf("%lld x %lld f32 (%s) -> %s (%s, %.3f bits/weight), SQNR %.2f dB\n", static_cast<long long>(rows), static_cast<long long>(cols),
                tools::bytes_text(x.size() * sizeof(float)).c_str(), pos[2].c_str(), tools::bytes_text(q.size()).c_str(),
                8.0 * static_cast<double>(q.size()) / static_cast<double>(x.size()), compare({x.data(), rows, cols}, {y.data(), rows, cols}).sqnr_db);
    return 0;
}

void print_report(const std::vector<gguf::tensor_report>& report) {
    std::size_t name_width = 6;
    for (const auto& r : report) name_width = std::max(name_width, r.name.size());
    std::printf("%-*s  %-16s %-6s %-6s %12s %12s %9s  %s\n", static_cast<int>(name_width), "tensor", "shape", "in", "out", "bytes in", "bytes out",
                "SQNR dB", "note");
    std::uint64_t in = 0, out = 0;
    for (const auto& r : report) {
        char sqnr[16] = "-";
        if (r.quantized) std::snprintf(sqnr, sizeof sqnr, std::isinf(r.sqnr_db) ? "exact" : "%.2f", r.sqnr_db);
        std::string note = r.note;
        if (r.imatrix) note = "imatrix";
        std::printf("%-*s  %-16s %-6s %-6s %12llu %12llu %9s  %s\n", static_cast<int>(name_width), r.name.c_str(), tools::shape_text(r.dims).c_str(),
                    gguf::name_of(r.input), gguf::name_of(r.output), static_cast<unsigned long long>(r.input_bytes),
                    static_cast<unsigned long long>(r.output_bytes), sqnr, note.c_str());
        in += r.input_bytes;
        out += r.output_bytes;
    }
    std::printf("%-*s  %-16s %-6s %-6s %12llu %12llu  (%s -> %s, %.2fx smaller)\n", static_cast<int>(name_width), "total", "", "", "",
                static_cast<unsigned long long>(in), static_cast<unsigned long long>(out), tools::bytes_text(in).c_str(), tools::bytes_text(out).c_str(),
                out ? static_cast<double>(in) / static_cast<double>(out) : 0.0);
}

int gguf_mode(tools::arguments& args) {
    gguf::convert_options opt;
    opt.imatrix = args.option("--imatrix");
    opt.threads = tools::parse_threads(args.option("--threads", "1"));
    const auto pos = args.positionals(3);
    opt.type = tools::parse_block_type(pos[2]);
    const tools::progress bar;
    opt.progress = [&](std::size_t done, std::size_t total, const std::string& name) { bar(done, total, name); };
    print_report(gguf::convert_file(pos[0], pos[1], opt));
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    return tools::run_tool("lowbit-quantize", usage, argc, argv, [&](tools::arguments& args) {
        return args.flag("--raw") ? raw_mode(args) : gguf_mode(args);
    });
}
