// lowbit/formats/gguf/file_layout.hpp - parse and validate the bytes of a GGUF file (v2, v3).
//
// A GGUF file is: "GGUF", version (u32), tensor count (u64), metadata count (u64); the metadata
// entries (key string, value type u32, value); the tensor infos (name string, dimension count u32,
// dimensions u64 each, ggml type u32, offset u64); padding to `general.alignment` (default 32);
// the data section, in which the tensors follow each other in declaration order, each padded to a
// multiple of the alignment (ggml's reader requires exactly these offsets, and so does this one).
// Strings are a u64 byte count and the bytes; everything is little-endian. Versions 2 and 3 share
// this layout (3 only allows big-endian files, which are rejected here).
//
// parse_layout() trusts nothing: every count, length, dimension and offset is checked against the
// bytes that remain before it is used or anything is allocated for it, so a truncated, corrupt or
// hostile buffer gives a lowbit::error that says what is wrong and at which byte.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <new>
#include <string>
#include <unordered_set>
#include <vector>

#include "lowbit/core/error.hpp"
#include "lowbit/formats/gguf/metadata.hpp"
#include "lowbit/formats/gguf/tensor_type.hpp"

namespace lowbit::gguf {

inline constexpr std::uint32_t default_alignment = 32;
inline constexpr std::uint32_t max_dims = 4;            // GGML_MAX_DIMS
inline constexpr std::size_t max_name_bytes = 63;       // GGML_MAX_NAME less its NUL
inline constexpr int max_array_depth = 8;               // arrays of arrays of ...
inline constexpr std::uint64_t max_nested_arrays = 1u << 16;  // arrays inside arrays, whole file

struct tensor_info {
    std::string name;
    std::vector<std::int64_t> dims;  // ggml order: dims[0] is the contiguous one (columns)
    tensor_type type = tensor_type::f32;
    std::uint64_t offset = 0;        // from the start of the data section
    std::uint64_t bytes = 0;

    std::int64_t elements() const {
        std::int64_t n = 1;
        for (std::int64_t d : dims) n *= d;
        return n;
    }
    std::int64_t cols() const { return dims.empty() ? 1 : dims[0]; }
    std::int64_t rows() const { return cols() == 0 ? 0 : elements() / cols(); }
};

struct file_layout {
    std::uint32_t version = 3;
    std::uint32_t alignment = default_alignment;
    metadata meta;
    std::vector<tensor_info> tensors;
    std::uint64_t data_offset = 0;  // file offset of the data section
};

// Bytes of a tensor of `type` with these dimensions; lowbit::error on a bad dimension, a row
// that is not whole blocks, or a size that overflows.
inline std::uint64_t tensor_bytes(tensor_type type, const std::vector<std::int64_t>& dims, const std::string& name) {
    const tensor_type_traits& t = traits_of(type);
    constexpr auto limit = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
    std::uint64_t elements = 1;
    for (std::size_t i = 0; i < dims.size(); ++i) {
        if (dims[i] < 0) lowbit::detail::fail("gguf tensor '", name, "': dimension ", i, " is ", dims[i]);
        const auto d = static_cast<std::uint64_t>(dims[i]);
        if (d != 0 && elements > limit / d) lowbit::detail::fail("gguf tensor '", name, "': the element count overflows 63 bits");
        elements *= d;
    }
    const std::uint64_t cols = dims.empty() ? 1 : static_cast<std::uint64_t>(dims[0]);
    if (cols % static_cast<std::uint64_t>(t.block_size) != 0)
        lowbit::detail::fail("gguf tensor '", name, "': ", cols, " columns are not whole ", t.name, " blocks of ", t.block_size);
    const std::uint64_t blocks = elements / static_cast<std::uint64_t>(t.block_size);
    if (blocks > limit / static_cast<std::uint64_t>(t.block_bytes)) lowbit::detail::fail("gguf tensor '", name, "': its byte size overflows 63 bits");
    return blocks * static_cast<std::uint64_t>(t.block_bytes);
}

namespace detail {

class layout_parser {
public:
    layout_parser(const std::byte* data, std::size_t size) : data_(data), size_(size) {}

    file_layout parse() {
        file_layout f;
        if (size_ < 4 || std::memcmp(data_, "GGUF", 4) != 0) fail_at(0, "not a GGUF file (the first 4 bytes are not \"GGUF\")");
        pos_ = 4;
        const auto version = u32("the version");
        if (version == 0x03000000u || version == 0x02000000u) fail_at(4, "a big-endian GGUF file; only little-endian files are supported");
        if (version == 1) fail_at(4, "GGUF version 1 (32-bit counts) is not supported; versions 2 and 3 are");
        if (version != 2 && version != 3) fail_at(4, "unknown GGUF version ", version);
        f.version = version;
        const std::uint64_t n_tensors = u64("the tensor count");
        const std::uint64_t n_kv = u64("the metadata count");
        // The smallest entry is an empty key, a type and a u8 (13 bytes); the smallest tensor info
        // an empty name, no dimensions, a type and an offset (24 bytes).
        if (n_kv > remaining() / 13) fail_at(16, "metadata count ", n_kv, " cannot fit in the ", remaining(), " bytes that follow");
        if (n_tensors > remaining() / 24) fail_at(8, "tensor count ", n_tensors, " cannot fit in the ", remaining(), " bytes that follow");
        charge(n_kv * sizeof(metadata::entry));

        std::unordered_set<std::string> keys;
        for (std::uint64_t k = 0; k < n_kv; ++k) {
            const std::size_t at = pos_;
            std::string key = string("a metadata key");
            if (!keys.insert(key).second) fail_at(at, "duplicate metadata key '", key, "'");
            const std::size_t type_at = pos_;
            const std::uint32_t type = u32("the type of metadata '" + key + "'");
            if (!is_value_type(type)) fail_at(type_at, "metadata '", key, "' has unknown value type ", type);
            value v = parse_value(static_cast<value_type>(type), key, 0);
            if (key == "general.alignment") {
                if (v.type() != value_type::uint32) fail_at(type_at, "general.alignment is ", name_of(v.type()), ", not u32");
                const auto a = v.as<std::uint32_t>();
                if (a == 0 || (a & (a - 1)) != 0) fail_at(type_at, "general.alignment ", a, " is not a power of two");
                f.alignment = a;
            }
            f.meta.append(std::move(key), std::move(v));
        }

        if (n_tensors > remaining() / 24) fail_at(8, "tensor count ", n_tensors, " cannot fit in the ", remaining(), " bytes after the metadata");
        charge(n_tensors * sizeof(tensor_info));
        std::unordered_set<std::string> names;
        f.tensors.reserve(static_cast<std::size_t>(n_tensors));
        for (std::uint64_t i = 0; i < n_tensors; ++i) {
            const std::size_t at = pos_;
            tensor_info t;
            t.name = string("the name of tensor " + std::to_string(i));
            if (t.name.size() > max_name_bytes) fail_at(at, "tensor name '", t.name.substr(0, 80), "' is longer than ", max_name_bytes, " bytes");
            if (!names.insert(t.name).second) fail_at(at, "duplicate tensor name '", t.name, "'");
            const std::size_t dims_at = pos_;
            const std::uint32_t n_dims = u32("the dimension count of '" + t.name + "'");
            if (n_dims > max_dims) fail_at(dims_at, "tensor '", t.name, "' has ", n_dims, " dimensions (at most ", max_dims, ")");
            for (std::uint32_t d = 0; d < n_dims; ++d) {
                const std::uint64_t ne = u64("a dimension of '" + t.name + "'");
                if (ne > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
                    fail_at(pos_ - 8, "tensor '", t.name, "' dimension ", d, " = ", ne, " is out of range");
                if (ne == 0 && d > 0) fail_at(pos_ - 8, "tensor '", t.name, "' has dimension ", d, " = 0 (ggml allows 0 only in dimension 0)");
                t.dims.push_back(static_cast<std::int64_t>(ne));
            }
            const std::size_t type_at = pos_;
            const std::uint32_t type = u32("the type of '" + t.name + "'");
            if (find_tensor_type(type) == nullptr) fail_at(type_at, "tensor '", t.name, "' has unknown ggml type ", type);
            t.type = static_cast<tensor_type>(type);
            const std::size_t offset_at = pos_;
            t.offset = u64("the offset of '" + t.name + "'");
            try {
                t.bytes = tensor_bytes(t.type, t.dims, t.name);
            } catch (const error& e) {
                fail_at(dims_at, e.what());
            }
            if (t.offset % f.alignment != 0) fail_at(offset_at, "tensor '", t.name, "' offset ", t.offset, " is not a multiple of the alignment ", f.alignment);
            f.tensors.push_back(std::move(t));
        }

        const std::uint64_t header_end = pos_;
        f.data_offset = header_end + (f.alignment - header_end % f.alignment) % f.alignment;
        const std::uint64_t data_size = f.data_offset <= size_ ? size_ - f.data_offset : 0;
        std::uint64_t expected = 0;  // ggml's rule: back to back in declaration order, each padded
        for (const tensor_info& t : f.tensors) {
            if (t.offset != expected)
                lowbit::detail::fail("gguf file: tensor '", t.name, "' is at data offset ", t.offset, "; the tensors before it end at ", expected,
                                     " (GGUF tensors are stored back to back in declaration order, each padded to the alignment)");
            if (t.offset > data_size || t.bytes > data_size - t.offset)
                lowbit::detail::fail("gguf file: tensor '", t.name, "' (", t.bytes, " bytes at data offset ", t.offset,
                                     ") ends past the end of the file (the data section holds ", data_size, " bytes from byte ", f.data_offset, ")");
            expected += t.bytes + (f.alignment - t.bytes % f.alignment) % f.alignment;  // <= size_ + alignment: no overflow
        }
        return f;
    }

private:
    template <class... Parts>
    [[noreturn]] void fail_at(std::size_t at, Parts&&... parts) const {
        lowbit::detail::fail("gguf file, byte ", at, ": ", std::forward<Parts>(parts)...);
    }
    std::size_t remaining() const { return size_ - pos_; }
    // Bytes of memory the parse will hold beyond the bytes it copies: every count was checked
    // against the file, but a 13-byte metadata entry becomes a ~160-byte object; a hostile file
    // must not turn that into gigabytes.
    void charge(std::uint64_t bytes) {
        charged_ += bytes;
        if (charged_ > (std::uint64_t{64} << 20) + 8 * static_cast<std::uint64_t>(size_))
            fail_at(pos_, "the metadata would take ", charged_, " bytes of memory for a ", size_, "-byte file");
    }
    void need(std::size_t n, const std::string& what) const {
        if (n > remaining()) fail_at(pos_, "truncated: ", what, " needs ", n, " bytes, ", remaining(), " remain");
    }
    template <class T>
    T number(const std::string& what) {
        need(sizeof(T), what);
        T x;
        std::memcpy(&x, data_ + pos_, sizeof x);
        pos_ += sizeof x;
        return x;
    }
    std::uint32_t u32(const std::string& what) { return number<std::uint32_t>(what); }
    std::uint64_t u64(const std::string& what) { return number<std::uint64_t>(what); }
    std::string string(const std::string& what) {
        const std::size_t at = pos_;
        const std::uint64_t n = u64(what);
        if (n > remaining()) fail_at(at, what, ": string length ", n, " exceeds the ", remaining(), " bytes that remain");
        std::string s(reinterpret_cast<const char*>(data_ + pos_), static_cast<std::size_t>(n));
        pos_ += static_cast<std::size_t>(n);
        return s;
    }

    value parse_value(value_type type, const std::string& key, int depth) {
        const std::size_t at = pos_;
        switch (type) {
            case value_type::uint8: return value(number<std::uint8_t>(key));
            case value_type::int8: return value(number<std::int8_t>(key));
            case value_type::uint16: return value(number<std::uint16_t>(key));
            case value_type::int16: return value(number<std::int16_t>(key));
            case value_type::uint32: return value(number<std::uint32_t>(key));
            case value_type::int32: return value(number<std::int32_t>(key));
            case value_type::float32: return value(number<float>(key));
            case value_type::uint64: return value(number<std::uint64_t>(key));
            case value_type::int64: return value(number<std::int64_t>(key));
            case value_type::float64: return value(number<double>(key));
            case value_type::boolean: {
                const auto b = number<std::uint8_t>(key);
                if (b > 1) fail_at(at, "metadata '", key, "': bool byte ", int{b}, " is neither 0 nor 1");
                return value(b == 1);
            }
            case value_type::string: return value(string(key));
            case value_type::array: return parse_array(key, depth);
        }
        fail_at(at, "metadata '", key, "' has unknown value type ", static_cast<std::uint32_t>(type));
    }

    value parse_array(const std::string& key, int depth) {
        if (depth >= max_array_depth) fail_at(pos_, "metadata '", key, "': arrays nested deeper than ", max_array_depth);
        const std::size_t type_at = pos_;
        const std::uint32_t element = u32(key + " array type");
        if (!is_value_type(element)) fail_at(type_at, "metadata '", key, "': array of unknown value type ", element);
        const auto et = static_cast<value_type>(element);
        const std::size_t count_at = pos_;
        const std::uint64_t count = u64(key + " array count");
        const std::size_t size = scalar_bytes(et);
        const std::size_t smallest = size != 0 ? size : et == value_type::string ? 8 : 12;
        if (count > remaining() / smallest)
            fail_at(count_at, "metadata '", key, "': array count ", count, " cannot fit in the ", remaining(), " bytes that remain");
        const auto n = static_cast<std::size_t>(count);
        if (size != 0) {
            std::vector<std::byte> bytes(data_ + pos_, data_ + pos_ + n * size);
            if (et == value_type::boolean)
                for (std::size_t i = 0; i < n; ++i)
                    if (std::to_integer<unsigned>(bytes[i]) > 1) fail_at(pos_ + i, "metadata '", key, "': bool byte is neither 0 nor 1");
            pos_ += n * size;
            return value::packed_array(et, std::move(bytes));
        }
        if (et == value_type::string) {
            charge(n * sizeof(std::string));
            std::vector<std::string> items;
            items.reserve(n);
            for (std::size_t i = 0; i < n; ++i) items.push_back(string(key));
            return value::array_of(items);
        }
        nested_ += count;
        if (nested_ > max_nested_arrays) fail_at(count_at, "metadata '", key, "': more than ", max_nested_arrays, " nested arrays in the file");
        charge(n * sizeof(value));
        std::vector<value> items;
        items.reserve(n);
        for (std::size_t i = 0; i < n; ++i) {
            const std::size_t at = pos_;
            const std::uint32_t inner = u32(key + " array type");
            if (inner != static_cast<std::uint32_t>(value_type::array)) fail_at(at, "metadata '", key, "': an array of arrays holds type ", inner);
            items.push_back(parse_array(key, depth + 1));
        }
        return value::array_of(items);
    }

    const std::byte* data_;
    std::size_t size_;
    std::size_t pos_ = 0;
    std::uint64_t nested_ = 0;
    std::uint64_t charged_ = 0;
};

}  // namespace detail

// The layout of the GGUF file held in [data, data + size): metadata, tensor infos and where the
// data section starts. Tensor data itself is not read.
inline file_layout parse_layout(const std::byte* data, std::size_t size) {
    if (data == nullptr && size != 0) lowbit::detail::fail("gguf file: data is null");
    try {
        return detail::layout_parser(data, size).parse();
    } catch (const std::bad_alloc&) {
        lowbit::detail::fail("gguf file: out of memory while reading the header of a ", size, "-byte file");
    }
}

}  // namespace lowbit::gguf
