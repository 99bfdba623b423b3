// tests/gguf_file_support.hpp - hand-encoded GGUF bytes and temporary files for the file tests.
//
// `gguf_bytes` encodes the format field by field, independently of lowbit's writer, so the reader
// is tested against the format and not against the writer's own understanding of it; it can also
// write what a valid file never holds (lying counts, bad types, misaligned offsets).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include <unistd.h>

namespace lowbit_test::gguf_file {

class gguf_bytes {
public:
    template <class T>
    gguf_bytes& num(T x) {
        const auto* p = reinterpret_cast<const std::byte*>(&x);
        bytes.insert(bytes.end(), p, p + sizeof x);
        return *this;
    }
    gguf_bytes& raw(const std::string& s) {
        for (char c : s) bytes.push_back(static_cast<std::byte>(c));
        return *this;
    }
    gguf_bytes& str(const std::string& s) { return num(std::uint64_t{s.size()}).raw(s); }
    gguf_bytes& header(std::uint64_t tensors, std::uint64_t kv, std::uint32_t version = 3) {
        return raw("GGUF").num(version).num(tensors).num(kv);
    }
    gguf_bytes& kv_u32(const std::string& key, std::uint32_t v) { return str(key).num(std::uint32_t{4}).num(v); }
    gguf_bytes& tensor(const std::string& name, const std::vector<std::uint64_t>& dims, std::uint32_t type, std::uint64_t offset) {
        str(name).num(static_cast<std::uint32_t>(dims.size()));
        for (std::uint64_t d : dims) num(d);
        return num(type).num(offset);
    }
    gguf_bytes& pad(std::size_t alignment = 32) {
        while (bytes.size() % alignment != 0) bytes.push_back(std::byte{0});
        return *this;
    }
    gguf_bytes& zeros(std::size_t n) {
        bytes.insert(bytes.end(), n, std::byte{0});
        return *this;
    }

    std::vector<std::byte> bytes;
};

// A directory of its own under the system's temporary directory, removed with its contents.
class temp_dir {
public:
    temp_dir() : path_(std::filesystem::temp_directory_path() / ("lowbit-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter()++))) {
        std::filesystem::remove_all(path_);
        std::filesystem::create_directories(path_);
    }
    temp_dir(const temp_dir&) = delete;
    temp_dir& operator=(const temp_dir&) = delete;
    ~temp_dir() {
        std::error_code ec;
        std::filesystem::remove_all(path_, ec);
    }
    std::string file(const std::string& name) const { return (path_ / name).string(); }
    std::size_t entries() const {
        return static_cast<std::size_t>(std::distance(std::filesystem::directory_iterator(path_), std::filesystem::directory_iterator{}));
    }

private:
    static int& counter() {
        static int n = 0;
        return n;
    }
    std::filesystem::path path_;
};

inline void write_bytes(const std::string& path, const std::vector<std::byte>& bytes) {
    std::ofstream out(path, std::ios::binary);
    out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

inline std::vector<std::byte> read_bytes(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::vector<char> c{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    std::vector<std::byte> out(c.size());
    if (!c.empty()) std::memcpy(out.data(), c.data(), c.size());
    return out;
}

}  // namespace lowbit_test::gguf_file
