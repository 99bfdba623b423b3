// lowbit/quant/pack.hpp - sub-byte packing of codes, in the order a packing policy names.
//
// The formats are specified in lowbit/policy/packing.hpp. pack_codes / unpack_codes are the
// checked entry points for callers; detail::pack_row / detail::unpack_row are the unchecked
// row kernels the quantizers use on already-validated data.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>

#include "lowbit/core/error.hpp"
#include "lowbit/core/view.hpp"
#include "lowbit/policy/packing.hpp"

namespace lowbit {

// Bytes taken by a row of n N-bit codes.
constexpr index_t packed_row_bytes(int bits, index_t n) { return (n * bits + 7) / 8; }

namespace detail {

template <int N, class Order, class Code>
void pack_row(const Code* codes, index_t n, std::uint8_t* out) {
    constexpr unsigned mask = (1u << N) - 1u;
    auto field = [](Code c) { return static_cast<unsigned>(static_cast<int>(c)) & mask; };
    if constexpr (is_split_halves_v<Order>) {
        constexpr index_t half = Order::block / 2;
        for (index_t b = 0; b < n; b += Order::block)
            for (index_t j = 0; j < half; ++j)
                out[b / 2 + j] = static_cast<std::uint8_t>(field(codes[b + j]) | (field(codes[b + j + half]) << 4));
    } else if constexpr (N == 8) {
        for (index_t i = 0; i < n; ++i) out[i] = static_cast<std::uint8_t>(field(codes[i]));
    } else {
        if (n <= 0) return;
        std::fill(out, out + packed_row_bytes(N, n), std::uint8_t{0});
        for (index_t i = 0; i < n; ++i) {
            const index_t bit = i * N;
            const unsigned v = field(codes[i]) << (bit % 8);
            out[bit / 8] = static_cast<std::uint8_t>(out[bit / 8] | (v & 0xffu));
            if (bit % 8 + N > 8) out[bit / 8 + 1] = static_cast<std::uint8_t>(out[bit / 8 + 1] | (v >> 8));
        }
    }
}

// The N-bit field of code i of a packed row.
template <int N, class Order>
unsigned field_at(const std::uint8_t* row, index_t i) {
    if constexpr (is_split_halves_v<Order>) {
        constexpr index_t half = Order::block / 2;
        const index_t b = i - i % Order::block;
        const index_t j = i - b;
        const unsigned byte = row[b / 2 + j % half];
        return j < half ? (byte & 0xfu) : (byte >> 4);
    } else {
        const index_t bit = i * N;
        unsigned v = static_cast<unsigned>(row[bit / 8]) >> (bit % 8);
        if (bit % 8 + N > 8) v |= static_cast<unsigned>(row[bit / 8 + 1]) << (8 - bit % 8);
        return v & ((1u << N) - 1u);
    }
}

// A field as a code: sign-extended from N bits for signed codes.
template <int N, bool Signed>
int decode_field(unsigned field) {
    if constexpr (Signed) {
        constexpr int sign = 1 << (N - 1);
        return (static_cast<int>(field) ^ sign) - sign;
    } else {
        return static_cast<int>(field);
    }
}

template <int N, bool Signed, class Order, class Code>
void unpack_row(const std::uint8_t* in, index_t n, Code* codes) {
    for (index_t i = 0; i < n; ++i) codes[i] = static_cast<Code>(decode_field<N, Signed>(field_at<N, Order>(in, i)));
}

template <class Bits, class Order>
void check_packing_length(const char* fn, index_t n) {
    if (n < 0) fail(fn, ": code count n = ", n, " is negative");
    if (n % Order::block != 0)
        fail(fn, ": code count n = ", n, " is not a multiple of the split-halves block ", Order::block);
}

}  // namespace detail

// Packs n codes of the code range of Bits (int_bits<N> or uint_bits<N>) into out.
// Throws if a code is outside [qmin, qmax] or out holds fewer than packed_row_bytes(N, n) bytes.
template <class Bits, class Order = pack_adjacent>
void pack_codes(const typename Bits::code_type* codes, index_t n, std::uint8_t* out, std::size_t out_size) {
    static_assert(!detail::is_split_halves_v<Order> || Bits::bits == 4, "pack_split_halves is for 4-bit codes");
    detail::check_packing_length<Bits, Order>("pack_codes", n);
    const index_t need = packed_row_bytes(Bits::bits, n);
    if (static_cast<std::size_t>(need) > out_size)
        detail::fail("pack_codes: ", n, " codes of ", Bits::bits, " bits need ", need, " bytes but out has ", out_size);
    for (index_t i = 0; i < n; ++i)
        if (codes[i] < Bits::qmin || codes[i] > Bits::qmax)
            detail::fail("pack_codes: code ", static_cast<int>(codes[i]), " at index ", i, " is outside [", Bits::qmin,
                         ", ", Bits::qmax, "]");
    detail::pack_row<Bits::bits, Order>(codes, n, out);
}

// Unpacks n codes from in (in_size bytes). Signed codes are sign-extended from N bits. A field
// that decodes below qmin (the code -2^(N-1) under narrow_range) means corrupt data and throws.
template <class Bits, class Order = pack_adjacent>
void unpack_codes(const std::uint8_t* in, std::size_t in_size, index_t n, typename Bits::code_type* codes) {
    static_assert(!detail::is_split_halves_v<Order> || Bits::bits == 4, "pack_split_halves is for 4-bit codes");
    detail::check_packing_length<Bits, Order>("unpack_codes", n);
    const index_t need = packed_row_bytes(Bits::bits, n);
    if (static_cast<std::size_t>(need) > in_size)
        detail::fail("unpack_codes: ", n, " codes of ", Bits::bits, " bits need ", need, " bytes but in has ", in_size);
    detail::unpack_row<Bits::bits, Bits::is_signed, Order>(in, n, codes);
    if constexpr (Bits::narrow)
        for (index_t i = 0; i < n; ++i)
            if (codes[i] < Bits::qmin)
                detail::fail("unpack_codes: code ", static_cast<int>(codes[i]), " at index ", i,
                             " is outside the narrow range [", Bits::qmin, ", ", Bits::qmax, "]");
}

}  // namespace lowbit
