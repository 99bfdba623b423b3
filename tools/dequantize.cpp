// lowbit-dequantize: raw GGUF blocks back to a raw little-endian f32 matrix (ggml's dequantizer).
#include <cstdio>
#include <string>
#include <vector>

#include "cli.hpp"
#include "lowbit/io/atomic_file.hpp"
#include "lowbit/io/mapped_file.hpp"

namespace {

const char* const usage =
    "usage: lowbit-dequantize --raw --rows R --cols C [--threads N] IN.bin OUT.f32 TYPE\n"
    "Reads R rows of C columns of TYPE blocks and writes R x C little-endian f32.\n";

}  // namespace

int main(int argc, char** argv) {
    using namespace lowbit;
    return tools::run_tool("lowbit-dequantize", usage, argc, argv, [&](tools::arguments& args) {
        if (!args.flag("--raw")) tools::usage_fail("only --raw mode exists");
        const std::int64_t rows = tools::parse_count(args.option("--rows"), "--rows");
        const std::int64_t cols = tools::parse_count(args.option("--cols"), "--cols");
        const int threads = tools::parse_threads(args.option("--threads", "1"));
        const auto pos = args.positionals(3);
        const gguf::tensor_type type = tools::parse_block_type(pos[2]);
        if (rows > (std::int64_t{1} << 40) / cols) detail::fail("--rows x --cols is too large");
        const gguf::tensor_type_traits& t = gguf::traits_of(type);
        if (cols % t.block_size != 0) detail::fail("--cols ", cols, " is not a multiple of the ", pos[2], " block size ", t.block_size);
        const mapped_file in(pos[0]);
        const auto expected = static_cast<std::size_t>(rows) * static_cast<std::size_t>(cols / t.block_size) * static_cast<std::size_t>(t.block_bytes);
        if (in.size() != expected) detail::fail("input '", pos[0], "' holds ", in.size(), " bytes; ", rows, " rows of ", cols, " ", pos[2], " need ", expected);
        std::vector<float> y(static_cast<std::size_t>(rows * cols));
        gguf::dequantize_rows(type, in.data(), in.size(), rows, cols, y.data(), y.size(), threads);
        atomic_file out(pos[1]);
        out.write(y.data(), y.size() * sizeof(float));
        out.commit();
        std::printf("%s (%zu bytes) -> %lld x %lld f32\n", pos[2].c_str(), in.size(), static_cast<long long>(rows), static_cast<long long>(cols));
        return 0;
    });
}
