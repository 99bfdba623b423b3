// lowbit-gguf-info: the metadata and tensor table of a GGUF file, after full validation.
#include <cstdio>
#include <string>

#include "cli.hpp"
#include "lowbit/formats/gguf/file_reader.hpp"

namespace {

using namespace lowbit;

const char* const usage = "usage: lowbit-gguf-info FILE.gguf\n";

// Control bytes escaped: a hostile file must not drive the terminal.
std::string escaped(const std::string& s, std::size_t limit = 60) {
    std::string out;
    for (std::size_t i = 0; i < s.size() && i < limit; ++i) {
        const auto c = static_cast<unsigned char>(s[i]);
        if (c == '"' || c == '\\') out += std::string("\\") + s[i];
        else if (c < 0x20 || c == 0x7f) {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\x%02x", c);
            out += buf;
        } else out += s[i];
    }
    return s.size() > limit ? out + "..." : out;
}

std::string quoted(const std::string& s) { return "\"" + escaped(s) + "\""; }

std::string scalar_text(const gguf::value& v) {
    char buf[64];
    switch (v.type()) {
        case gguf::value_type::uint8: return std::to_string(v.as<std::uint8_t>());
        case gguf::value_type::int8: return std::to_string(v.as<std::int8_t>());
        case gguf::value_type::uint16: return std::to_string(v.as<std::uint16_t>());
        case gguf::value_type::int16: return std::to_string(v.as<std::int16_t>());
        case gguf::value_type::uint32: return std::to_string(v.as<std::uint32_t>());
        case gguf::value_type::int32: return std::to_string(v.as<std::int32_t>());
        case gguf::value_type::uint64: return std::to_string(v.as<std::uint64_t>());
        case gguf::value_type::int64: return std::to_string(v.as<std::int64_t>());
        case gguf::value_type::float32: std::snprintf(buf, sizeof buf, "%.9g", static_cast<double>(v.as<float>())); return buf;
        case gguf::value_type::float64: std::snprintf(buf, sizeof buf, "%.17g", v.as<double>()); return buf;
        case gguf::value_type::boolean: return v.as<bool>() ? "true" : "false";
        case gguf::value_type::string: return quoted(v.as_string());
        case gguf::value_type::array: break;
    }
    return "";
}

std::string value_text(const gguf::value& v) {
    if (v.type() != gguf::value_type::array) return scalar_text(v);
    std::string s = "[" + std::string(gguf::name_of(v.element_type())) + " x " + std::to_string(v.size()) + "]";
    constexpr std::size_t shown = 6;
    for (std::size_t i = 0; i < v.size() && i < shown; ++i) s += (i ? ", " : " ") + value_text(v.at(i));
    return s + (v.size() > shown ? ", ..." : "");
}

}  // namespace

int main(int argc, char** argv) {
    return tools::run_tool("lowbit-gguf-info", usage, argc, argv, [&](tools::arguments& args) {
        const auto pos = args.positionals(1);
        const gguf::reader in(pos[0]);
        const gguf::file_layout& f = in.layout();
        std::printf("%s: GGUF v%u, %zu bytes, alignment %u, %zu metadata entries, %zu tensors, data from byte %llu\n\n", pos[0].c_str(), f.version,
                    in.file().size(), f.alignment, f.meta.size(), f.tensors.size(), static_cast<unsigned long long>(f.data_offset));
        std::size_t key_width = 3;
        for (const auto& [key, v] : f.meta) key_width = std::max(key_width, key.size());
        std::printf("%-*s  %-6s  %s\n", static_cast<int>(key_width), "key", "type", "value");
        for (const auto& [key, v] : f.meta)
            std::printf("%-*s  %-6s  %s\n", static_cast<int>(key_width), escaped(key, 200).c_str(), gguf::name_of(v.type()), value_text(v).c_str());

        std::size_t name_width = 6;
        for (const auto& t : f.tensors) name_width = std::max(name_width, t.name.size());
        std::printf("\n%5s  %-*s  %-8s %-24s %14s %8s %14s\n", "#", static_cast<int>(name_width), "tensor", "type", "shape", "bytes", "bits/w", "data offset");
        std::uint64_t total = 0, elements = 0;
        for (std::size_t i = 0; i < f.tensors.size(); ++i) {
            const auto& t = f.tensors[i];
            const double bpw = t.elements() ? 8.0 * static_cast<double>(t.bytes) / static_cast<double>(t.elements()) : 0.0;
            std::printf("%5zu  %-*s  %-8s %-24s %14llu %8.3f %14llu\n", i, static_cast<int>(name_width), escaped(t.name, 200).c_str(), gguf::name_of(t.type),
                        tools::shape_text(t.dims).c_str(), static_cast<unsigned long long>(t.bytes), bpw, static_cast<unsigned long long>(t.offset));
            total += t.bytes;
            elements += static_cast<std::uint64_t>(t.elements());
        }
        std::printf("total: %llu elements in %s (%.3f bits per element)\n", static_cast<unsigned long long>(elements), tools::bytes_text(total).c_str(),
                    elements ? 8.0 * static_cast<double>(total) / static_cast<double>(elements) : 0.0);
        return 0;
    });
}
