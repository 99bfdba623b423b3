// lowbit/formats/gguf/file_writer.hpp - write GGUF v3 files, atomically.
//
//     std::vector<gguf::tensor_source> tensors;
//     tensors.push_back({"blk.0.ffn_up.weight", {4096, 11008}, gguf::tensor_type::q4_K,
//                        [&](std::byte* dst, std::size_t bytes) { /* write `bytes` bytes */ }});
//     gguf::write_file("out.gguf", meta, tensors);
//
// The header holds the metadata in the given order and the tensor infos in the given order; the
// data section holds the tensors back to back in that order, each padded to the alignment (the
// u32 `general.alignment` if the metadata has one, else 32), which is the layout ggml's reader
// requires. Each tensor's `fill` is called once, in order, with a buffer of exactly its size (not
// at all for a tensor of 0 bytes).
//
// write_file() goes through lowbit::atomic_file: a failure (an exception from `fill`, a full disk)
// leaves no output and any existing destination untouched.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <unordered_set>
#include <vector>

#include "lowbit/core/error.hpp"
#include "lowbit/formats/gguf/file_layout.hpp"
#include "lowbit/formats/gguf/metadata.hpp"
#include "lowbit/formats/gguf/tensor_type.hpp"
#include "lowbit/io/atomic_file.hpp"

namespace lowbit::gguf {

struct tensor_source {
    std::string name;
    std::vector<std::int64_t> dims;  // ggml order: dims[0] is the contiguous one (columns)
    tensor_type type = tensor_type::f32;
    std::function<void(std::byte* dst, std::size_t bytes)> fill;
};

namespace detail {

class header_bytes {
public:
    template <class T>
    void number(T x) {
        const auto* p = reinterpret_cast<const std::byte*>(&x);
        bytes.insert(bytes.end(), p, p + sizeof x);
    }
    void string(const std::string& s) {
        number(static_cast<std::uint64_t>(s.size()));
        const auto* p = reinterpret_cast<const std::byte*>(s.data());
        bytes.insert(bytes.end(), p, p + s.size());
    }
    void array_body(const value& v, int depth) {
        if (depth >= max_array_depth) lowbit::detail::fail("gguf writer: arrays nested deeper than ", max_array_depth);
        number(static_cast<std::uint32_t>(v.element_type()));
        number(static_cast<std::uint64_t>(v.size()));
        if (v.element_type() == value_type::string) {
            for (const std::string& s : v.strings()) string(s);
        } else if (v.element_type() == value_type::array) {
            for (const value& inner : v.arrays()) {
                number(static_cast<std::uint32_t>(value_type::array));
                array_body(inner, depth + 1);
            }
        } else {
            bytes.insert(bytes.end(), v.packed().begin(), v.packed().end());
        }
    }
    void value_body(const value& v) {
        if (v.type() == value_type::string) string(v.as_string());
        else if (v.type() == value_type::array) array_body(v, 0);
        else {
            const std::uint64_t bits = v.bits();
            const auto* p = reinterpret_cast<const std::byte*>(&bits);
            bytes.insert(bytes.end(), p, p + scalar_bytes(v.type()));
        }
    }

    std::vector<std::byte> bytes;
};

inline std::uint32_t alignment_of(const metadata& meta) {
    const value* a = meta.find("general.alignment");
    if (a == nullptr) return default_alignment;
    if (a->type() != value_type::uint32) lowbit::detail::fail("gguf writer: general.alignment is ", name_of(a->type()), ", not u32");
    const auto n = a->as<std::uint32_t>();
    if (n == 0 || (n & (n - 1)) != 0) lowbit::detail::fail("gguf writer: general.alignment ", n, " is not a power of two");
    return n;
}

inline std::uint64_t padded(std::uint64_t n, std::uint32_t alignment) { return n + (alignment - n % alignment) % alignment; }

// The header (without its padding) and each tensor's size; checks what the reader checks.
inline std::vector<std::byte> header(const metadata& meta, const std::vector<tensor_source>& tensors, std::vector<std::uint64_t>& sizes) {
    const std::uint32_t alignment = alignment_of(meta);
    header_bytes h;
    h.bytes.insert(h.bytes.end(), {std::byte{'G'}, std::byte{'G'}, std::byte{'U'}, std::byte{'F'}});
    h.number(std::uint32_t{3});
    h.number(static_cast<std::uint64_t>(tensors.size()));
    h.number(static_cast<std::uint64_t>(meta.size()));
    std::unordered_set<std::string> keys;
    for (const auto& [key, v] : meta) {
        if (!keys.insert(key).second) lowbit::detail::fail("gguf writer: duplicate metadata key '", key, "'");
        h.string(key);
        h.number(static_cast<std::uint32_t>(v.type()));
        h.value_body(v);
    }
    std::unordered_set<std::string> names;
    std::uint64_t offset = 0;
    sizes.clear();
    for (const tensor_source& t : tensors) {
        if (t.name.size() > max_name_bytes) lowbit::detail::fail("gguf writer: tensor name '", t.name, "' is longer than ", max_name_bytes, " bytes");
        if (!names.insert(t.name).second) lowbit::detail::fail("gguf writer: duplicate tensor name '", t.name, "'");
        if (t.dims.size() > max_dims) lowbit::detail::fail("gguf writer: tensor '", t.name, "' has ", t.dims.size(), " dimensions (at most ", max_dims, ")");
        if (!t.fill) lowbit::detail::fail("gguf writer: tensor '", t.name, "' has no fill function");
        for (std::size_t d = 1; d < t.dims.size(); ++d)  // ggml divides by these
            if (t.dims[d] == 0) lowbit::detail::fail("gguf writer: tensor '", t.name, "' has dimension ", d, " = 0 (ggml allows 0 only in dimension 0)");
        const std::uint64_t bytes = tensor_bytes(t.type, t.dims, t.name);
        h.string(t.name);
        h.number(static_cast<std::uint32_t>(t.dims.size()));
        for (std::int64_t d : t.dims) h.number(static_cast<std::uint64_t>(d));
        h.number(static_cast<std::uint32_t>(t.type));
        h.number(offset);
        sizes.push_back(bytes);
        offset = padded(offset + bytes, alignment);
    }
    return std::move(h.bytes);
}

// Calls sink(bytes, n) with the whole file, front to back. Padding goes out in small pieces: an
// alignment may be as large as 2^31.
template <class Sink>
void emit(const metadata& meta, const std::vector<tensor_source>& tensors, Sink&& sink) {
    std::vector<std::uint64_t> sizes;
    const std::vector<std::byte> head = header(meta, tensors, sizes);
    const std::uint32_t alignment = alignment_of(meta);
    const std::byte zeros[4096] = {};
    const auto pad = [&](std::uint64_t written) {
        for (std::uint64_t n = padded(written, alignment) - written; n > 0;) {
            const auto chunk = static_cast<std::size_t>(std::min<std::uint64_t>(n, sizeof zeros));
            sink(zeros, chunk);
            n -= chunk;
        }
    };
    sink(head.data(), head.size());
    pad(head.size());
    std::vector<std::byte> buffer;
    for (std::size_t i = 0; i < tensors.size(); ++i) {
        const auto n = static_cast<std::size_t>(sizes[i]);
        if (n == 0) continue;
        buffer.assign(n, std::byte{0});
        tensors[i].fill(buffer.data(), n);
        sink(buffer.data(), n);
        pad(n);
    }
}

}  // namespace detail

// The whole file in memory (tests, small files, fuzzing seeds).
inline std::vector<std::byte> write_memory(const metadata& meta, const std::vector<tensor_source>& tensors) {
    std::vector<std::byte> out;
    detail::emit(meta, tensors, [&](const std::byte* p, std::size_t n) { out.insert(out.end(), p, p + n); });
    return out;
}

inline void write_file(const std::string& path, const metadata& meta, const std::vector<tensor_source>& tensors) {
    atomic_file out(path);
    detail::emit(meta, tensors, [&](const std::byte* p, std::size_t n) { out.write(p, n); });
    out.commit();
}

}  // namespace lowbit::gguf
