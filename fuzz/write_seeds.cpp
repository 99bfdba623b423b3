// Writes small valid GGUF files into the directory given as argv[1]: the fuzzer's seed corpus.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "lowbit/formats/gguf/file_writer.hpp"

using namespace lowbit::gguf;

namespace {

void save(const std::string& path, const std::vector<std::byte>& bytes) {
    std::FILE* f = std::fopen(path.c_str(), "wb");
    if (f == nullptr || std::fwrite(bytes.data(), 1, bytes.size(), f) != bytes.size() || std::fclose(f) != 0) {
        std::perror(path.c_str());
        std::exit(1);
    }
}

void ramp(std::byte* dst, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) dst[i] = static_cast<std::byte>(i);
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: %s DIR\n", argv[0]);
        return 2;
    }
    const std::string dir = argv[1];
    metadata m;
    m.set("general.architecture", value("llama"));
    m.set("llama.block_count", value(std::uint32_t{2}));
    m.set("f", value(0.5f));
    m.set("d", value(-2.0));
    m.set("b", value(true));
    m.set("i", value(std::int64_t{-3}));
    m.set("tokens", value::array_of(std::vector<std::string>{"<s>", "a", "b"}));
    m.set("scores", value::array_of(std::vector<float>{0.f, -1.f, -2.f}));
    m.set("flags", value::array_of(std::vector<bool>{true, false}));
    m.set("nested", value::array_of(std::vector<value>{value::array_of(std::vector<std::int16_t>{1, 2})}));
    save(dir + "/model.gguf", write_memory(m, {{"token_embd.weight", {64, 2}, tensor_type::q8_0, ramp},
                                               {"norm", {16}, tensor_type::f32, ramp},
                                               {"w", {256, 1}, tensor_type::q4_K, ramp},
                                               {"h", {8, 2}, tensor_type::f16, ramp}}));
    metadata aligned;
    aligned.set("general.alignment", value(std::uint32_t{64}));
    save(dir + "/aligned.gguf", write_memory(aligned, {{"a", {32}, tensor_type::q4_0, ramp}, {"b", {3}, tensor_type::i32, ramp}}));
    save(dir + "/empty.gguf", write_memory({}, {}));
    return 0;
}
