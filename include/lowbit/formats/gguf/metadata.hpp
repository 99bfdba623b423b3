// lowbit/formats/gguf/metadata.hpp - GGUF metadata values and the ordered key/value list.
//
// A GGUF value is one of thirteen types: integers of 8 to 64 bits, f32, f64, bool, a string, or an
// array of one element type (arrays of arrays included). `value` keeps the exact type and bits it
// was read with, so a file written back holds the very same bytes; arrays of numbers are stored
// packed, as in the file, so a million-entry array costs its file size and not a million objects.
//
//     gguf::metadata md;
//     md.set("general.name", gguf::value("tiny"));
//     md.set("general.alignment", gguf::value(std::uint32_t{32}));
//     md.set("tokenizer.ggml.scores", gguf::value::array_of(std::vector<float>{0.f, -1.5f}));
//     std::uint32_t a = md.at("general.alignment").as<std::uint32_t>();  // lowbit::error if not u32
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "lowbit/core/error.hpp"

namespace lowbit::gguf {

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "lowbit's GGUF files are little-endian; this host is not");

enum class value_type : std::uint32_t {
    uint8 = 0, int8 = 1, uint16 = 2, int16 = 3, uint32 = 4, int32 = 5, float32 = 6,
    boolean = 7, string = 8, array = 9, uint64 = 10, int64 = 11, float64 = 12,
};

constexpr bool is_value_type(std::uint32_t id) { return id <= 12; }

constexpr const char* name_of(value_type t) {
    constexpr const char* names[] = {"u8", "i8", "u16", "i16", "u32", "i32", "f32", "bool", "string", "array", "u64", "i64", "f64"};
    return is_value_type(static_cast<std::uint32_t>(t)) ? names[static_cast<std::uint32_t>(t)] : "unknown";
}

// Bytes of one value of a fixed-size type; 0 for string and array.
constexpr std::size_t scalar_bytes(value_type t) {
    switch (t) {
        case value_type::uint8: case value_type::int8: case value_type::boolean: return 1;
        case value_type::uint16: case value_type::int16: return 2;
        case value_type::uint32: case value_type::int32: case value_type::float32: return 4;
        case value_type::uint64: case value_type::int64: case value_type::float64: return 8;
        default: return 0;
    }
}

namespace detail {

template <class T> struct value_type_of;
template <> struct value_type_of<std::uint8_t> { static constexpr auto type = value_type::uint8; };
template <> struct value_type_of<std::int8_t> { static constexpr auto type = value_type::int8; };
template <> struct value_type_of<std::uint16_t> { static constexpr auto type = value_type::uint16; };
template <> struct value_type_of<std::int16_t> { static constexpr auto type = value_type::int16; };
template <> struct value_type_of<std::uint32_t> { static constexpr auto type = value_type::uint32; };
template <> struct value_type_of<std::int32_t> { static constexpr auto type = value_type::int32; };
template <> struct value_type_of<float> { static constexpr auto type = value_type::float32; };
template <> struct value_type_of<bool> { static constexpr auto type = value_type::boolean; };
template <> struct value_type_of<std::uint64_t> { static constexpr auto type = value_type::uint64; };
template <> struct value_type_of<std::int64_t> { static constexpr auto type = value_type::int64; };
template <> struct value_type_of<double> { static constexpr auto type = value_type::float64; };

}  // namespace detail

class value {
public:
    value() = default;  // u8 0
    // A number or bool keeps its C++ type: value(std::uint32_t{32}) is a u32, value(1.0) an f64.
    template <class T, class = decltype(detail::value_type_of<T>::type)>
    explicit value(T x) : type_(detail::value_type_of<T>::type) {
        std::memcpy(&bits_, &x, sizeof x);
    }
    explicit value(std::string s) : type_(value_type::string), string_(std::move(s)) {}
    explicit value(const char* s) : value(std::string(s)) {}

    template <class T>
    static value array_of(const std::vector<T>& items) {
        value v;
        v.type_ = value_type::array;
        if constexpr (std::is_same_v<T, std::string>) {
            v.element_ = value_type::string;
            v.strings_ = items;
        } else if constexpr (std::is_same_v<T, value>) {
            v.element_ = value_type::array;
            for (const value& item : items)
                if (item.type() != value_type::array) lowbit::detail::fail("gguf value: an array of values holds arrays only, not ", name_of(item.type()));
            v.arrays_ = items;
        } else if constexpr (std::is_same_v<T, bool>) {
            v.element_ = value_type::boolean;
            for (bool b : items) v.packed_.push_back(std::byte{b});
        } else {
            v.element_ = detail::value_type_of<T>::type;
            v.packed_.resize(items.size() * sizeof(T));
            if (!items.empty()) std::memcpy(v.packed_.data(), items.data(), v.packed_.size());
        }
        return v;
    }
    // An array of fixed-size elements from their little-endian bytes (as a file stores them).
    static value packed_array(value_type element, std::vector<std::byte> bytes) {
        const std::size_t size = scalar_bytes(element);
        if (size == 0 || bytes.size() % size != 0)
            lowbit::detail::fail("gguf value: ", bytes.size(), " bytes are not an array of ", name_of(element));
        if (element == value_type::boolean)
            for (std::byte b : bytes)
                if (std::to_integer<unsigned>(b) > 1) lowbit::detail::fail("gguf value: a bool array byte is ", std::to_integer<unsigned>(b), ", neither 0 nor 1");
        value v;
        v.type_ = value_type::array;
        v.element_ = element;
        v.packed_ = std::move(bytes);
        return v;
    }

    value_type type() const { return type_; }

    // A number or bool of exactly type T (as<std::uint32_t>() of a u8 is an error).
    template <class T>
    T as() const {
        expect(detail::value_type_of<T>::type);
        T x;
        std::memcpy(&x, &bits_, sizeof x);
        return x;
    }
    const std::string& as_string() const {
        expect(value_type::string);
        return string_;
    }
    // The raw bits of a number (zero-extended), for printing and comparison.
    std::uint64_t bits() const { return bits_; }

    // Arrays.
    value_type element_type() const {
        expect(value_type::array);
        return element_;
    }
    std::size_t size() const {
        expect(value_type::array);
        if (element_ == value_type::string) return strings_.size();
        if (element_ == value_type::array) return arrays_.size();
        return packed_.size() / scalar_bytes(element_);
    }
    value at(std::size_t i) const {
        if (i >= size()) lowbit::detail::fail("gguf value: index ", i, " is outside an array of ", size());
        if (element_ == value_type::string) return value(strings_[i]);
        if (element_ == value_type::array) return arrays_[i];
        value v;
        v.type_ = element_;
        std::memcpy(&v.bits_, packed_.data() + i * scalar_bytes(element_), scalar_bytes(element_));
        return v;
    }
    const std::vector<std::byte>& packed() const { return packed_; }           // arrays of numbers or bools
    const std::vector<std::string>& strings() const { return strings_; }      // arrays of strings
    const std::vector<value>& arrays() const { return arrays_; }              // arrays of arrays

    friend bool operator==(const value& a, const value& b) {
        return a.type_ == b.type_ && a.bits_ == b.bits_ && a.string_ == b.string_ && a.element_ == b.element_ &&
               a.packed_ == b.packed_ && a.strings_ == b.strings_ && a.arrays_ == b.arrays_;
    }
    friend bool operator!=(const value& a, const value& b) { return !(a == b); }

private:
    void expect(value_type t) const {
        if (type_ != t) lowbit::detail::fail("gguf value: is ", name_of(type_), ", not ", name_of(t));
    }

    value_type type_ = value_type::uint8;
    std::uint64_t bits_ = 0;
    std::string string_;
    value_type element_ = value_type::uint8;
    std::vector<std::byte> packed_;
    std::vector<std::string> strings_;
    std::vector<value> arrays_;
};

// Keys in file order; set() replaces a key in place or appends it, erase() removes it.
class metadata {
public:
    using entry = std::pair<std::string, value>;

    const value* find(std::string_view key) const {
        for (const entry& e : entries_)
            if (e.first == key) return &e.second;
        return nullptr;
    }
    const value& at(std::string_view key) const {
        const value* v = find(key);
        if (v == nullptr) lowbit::detail::fail("gguf metadata: no key '", key, "'");
        return *v;
    }
    void set(std::string key, value v) {
        for (entry& e : entries_)
            if (e.first == key) {
                e.second = std::move(v);
                return;
            }
        entries_.emplace_back(std::move(key), std::move(v));
    }
    void erase(std::string_view key) {
        for (auto it = entries_.begin(); it != entries_.end(); ++it)
            if (it->first == key) {
                entries_.erase(it);
                return;
            }
    }
    // For a reader that has already checked the key is new.
    void append(std::string key, value v) { entries_.emplace_back(std::move(key), std::move(v)); }

    std::size_t size() const { return entries_.size(); }
    auto begin() const { return entries_.begin(); }
    auto end() const { return entries_.end(); }

    friend bool operator==(const metadata& a, const metadata& b) { return a.entries_ == b.entries_; }

private:
    std::vector<entry> entries_;
};

}  // namespace lowbit::gguf
