// Sub-byte packing: exhaustive round trips over every code value at every bit position, and the
// exact byte layouts of the documented orders.
#include <cstdint>
#include <vector>

#include <catch2/catch.hpp>

#include "lowbit/quant/pack.hpp"
#include "lowbit/policy/bits.hpp"

using namespace lowbit;

namespace {

// Every code value of B appears at every offset within a packing unit, plus a ragged tail.
template <class B>
std::vector<typename B::code_type> every_code_everywhere(index_t unit) {
    std::vector<typename B::code_type> codes;
    const int range = B::qmax - B::qmin + 1;
    for (index_t offset = 0; offset < unit; ++offset) {
        for (index_t k = 0; k < offset; ++k) codes.push_back(static_cast<typename B::code_type>(B::qmin));
        for (int v = 0; v < range; ++v) codes.push_back(static_cast<typename B::code_type>(B::qmin + v));
    }
    for (int v = 0; v < 5; ++v) codes.push_back(static_cast<typename B::code_type>(B::qmax - v % 2));
    return codes;
}

template <class B, class Order = pack_adjacent>
void check_round_trip(std::vector<typename B::code_type> codes) {
    const auto n = static_cast<index_t>(codes.size());
    std::vector<std::uint8_t> bytes(static_cast<std::size_t>(packed_row_bytes(B::bits, n)));
    pack_codes<B, Order>(codes.data(), n, bytes.data(), bytes.size());
    std::vector<typename B::code_type> back(codes.size());
    unpack_codes<B, Order>(bytes.data(), bytes.size(), n, back.data());
    INFO(B::bits << "-bit codes, " << n << " of them");
    REQUIRE(back == codes);
    // Unused high bits of the last byte stay zero, so equal rows have equal bytes.
    const index_t used_bits = n * B::bits;
    if (used_bits % 8) REQUIRE((bytes.back() >> (used_bits % 8)) == 0);
}

template <int N>
void check_width() {
    const index_t unit = 8 / (N % 8 == 0 ? 8 : N % 4 == 0 ? 4 : N % 2 == 0 ? 2 : 1);
    check_round_trip<int_bits<N>>(every_code_everywhere<int_bits<N>>(unit));
    check_round_trip<int_bits<N, narrow_range>>(every_code_everywhere<int_bits<N, narrow_range>>(unit));
    check_round_trip<uint_bits<N>>(every_code_everywhere<uint_bits<N>>(unit));
    for (index_t n = 0; n <= 3 * unit; ++n) {  // every length near the packing unit
        auto codes = every_code_everywhere<uint_bits<N>>(unit);
        codes.resize(static_cast<std::size_t>(n));
        check_round_trip<uint_bits<N>>(codes);
    }
}

}  // namespace

TEST_CASE("pack / unpack round-trip every code of every width at every position", "[pack]") {
    check_width<2>();
    check_width<3>();
    check_width<4>();
    check_width<5>();
    check_width<6>();
    check_width<7>();
    check_width<8>();
}

TEST_CASE("split-halves round-trips every pair of 4-bit codes", "[pack]") {
    std::vector<std::int8_t> s;
    std::vector<std::uint8_t> u;
    for (int block = 0; block < 16; ++block)
        for (int j = 0; j < 32; ++j) {
            s.push_back(static_cast<std::int8_t>((j + block) % 16 - 8));
            u.push_back(static_cast<std::uint8_t>((j * 7 + block) % 16));
        }
    check_round_trip<int_bits<4>, pack_split_halves<32>>(s);
    check_round_trip<uint_bits<4>, pack_split_halves<32>>(u);
    check_round_trip<uint_bits<4>, pack_split_halves<8>>(u);
}

TEST_CASE("byte layouts of the packing orders", "[pack]") {
    std::uint8_t out[8] = {};
    const std::uint8_t u4[] = {1, 2, 3, 4};
    pack_codes<uint_bits<4>>(u4, 4, out, sizeof out);
    CHECK(out[0] == 0x21);
    CHECK(out[1] == 0x43);
    const std::int8_t s4[] = {-1, -8};
    pack_codes<int_bits<4>>(s4, 2, out, sizeof out);
    CHECK(out[0] == 0x8f);
    const std::uint8_t u2[] = {0, 1, 2, 3};
    pack_codes<uint_bits<2>>(u2, 4, out, sizeof out);
    CHECK(out[0] == 0xe4);
    // 3-bit: 001 010 011 100 101 110 111 000 from bit 0 up is 0x1f58d1.
    const std::uint8_t u3[] = {1, 2, 3, 4, 5, 6, 7, 0};
    pack_codes<uint_bits<3>>(u3, 8, out, sizeof out);
    CHECK(out[0] == 0xd1);
    CHECK(out[1] == 0x58);
    CHECK(out[2] == 0x1f);
    // GGUF order: byte j holds code j (low nibble) and code j + 16 (high nibble).
    std::uint8_t codes[32];
    for (int j = 0; j < 32; ++j) codes[j] = static_cast<std::uint8_t>(j % 16);
    std::uint8_t q[16];
    pack_codes<uint_bits<4>, pack_split_halves<32>>(codes, 32, q, sizeof q);
    for (int j = 0; j < 16; ++j) CHECK(q[j] == static_cast<std::uint8_t>(j | (j << 4)));
    codes[17] = 9;
    pack_codes<uint_bits<4>, pack_split_halves<32>>(codes, 32, q, sizeof q);
    CHECK(q[1] == 0x91);
}

TEST_CASE("packing rejects bad arguments", "[pack][errors]") {
    std::uint8_t out[4] = {};
    const std::int8_t bad[] = {3, 8};
    CHECK_THROWS_WITH((pack_codes<int_bits<4>>(bad, 2, out, sizeof out)),
                      Catch::Contains("code 8 at index 1 is outside [-8, 7]"));
    const std::int8_t narrow[] = {-8};
    CHECK_THROWS_WITH((pack_codes<int_bits<4, narrow_range>>(narrow, 1, out, sizeof out)),
                      Catch::Contains("outside [-7, 7]"));
    const std::int8_t ok[16] = {};
    CHECK_THROWS_WITH((pack_codes<int_bits<4>>(ok, 16, out, sizeof out)), Catch::Contains("need 8 bytes but out has 4"));
    CHECK_THROWS_WITH((pack_codes<int_bits<4>>(ok, -1, out, sizeof out)), Catch::Contains("n = -1 is negative"));
    CHECK_THROWS_WITH((pack_codes<int_bits<4>, pack_split_halves<32>>(ok, 16, out, sizeof out)),
                      Catch::Contains("not a multiple of the split-halves block 32"));
    std::int8_t back[16];
    CHECK_THROWS_WITH((unpack_codes<int_bits<4>>(out, sizeof out, 9, back)), Catch::Contains("need 5 bytes but in has 4"));
    const std::uint8_t minus8[] = {0x08};
    CHECK_THROWS_WITH((unpack_codes<int_bits<4, narrow_range>>(minus8, 1, 1, back)),
                      Catch::Contains("outside the narrow range [-7, 7]"));
    CHECK_NOTHROW(pack_codes<int_bits<4>>(ok, 0, nullptr, 0));
}
