// tests/gguf_support.hpp - ggml's reference vectors (tests/data/ggml) and helpers for GGUF tests.
#pragma once

#include <cstddef>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "lowbit/gguf.hpp"

namespace lowbit_test::gguf {

inline constexpr std::int64_t ref_rows = 4, ref_cols = 4096;

inline std::vector<std::byte> read_file(const std::string& name) {
    std::ifstream in(std::string(LOWBIT_TEST_DATA_DIR) + "/ggml/" + name, std::ios::binary);
    if (!in) throw std::runtime_error("missing test data file " + name);
    std::vector<char> bytes{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    std::vector<std::byte> out(bytes.size());
    std::memcpy(out.data(), bytes.data(), bytes.size());
    return out;
}

inline std::vector<float> read_floats(const std::string& name) {
    const auto bytes = read_file(name);
    std::vector<float> out(bytes.size() / sizeof(float));
    std::memcpy(out.data(), bytes.data(), out.size() * sizeof(float));
    return out;
}

// Index of the first differing byte, or -1.
inline long first_difference(const std::vector<std::byte>& a, const std::vector<std::byte>& b) {
    if (a.size() != b.size()) return 0;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (a[i] != b[i]) return static_cast<long>(i);
    return -1;
}

inline long first_float_difference(const std::vector<float>& a, const std::vector<float>& b) {
    if (a.size() != b.size()) return 0;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (std::memcmp(&a[i], &b[i], sizeof(float)) != 0) return static_cast<long>(i);
    return -1;
}

}  // namespace lowbit_test::gguf
