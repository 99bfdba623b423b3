// lowbit/formats/gguf/tensor_type.hpp - every ggml tensor type a GGUF file can name.
//
// A GGUF tensor info stores its type as ggml's numeric id. Reading a file needs the layout of every
// type, including the ones lowbit has no codec for (IQ2_XXS, ...), to size and bound-check tensors:
// a type packs `block_size` consecutive elements of a row into `block_bytes` bytes. Ids that ggml
// retired (4, 5, 31-33, 36-38) and ids beyond the table are unknown: a file that uses them is
// rejected rather than guessed at.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "lowbit/core/error.hpp"

namespace lowbit::gguf {

enum class tensor_type : std::uint32_t {
    f32 = 0, f16 = 1, q4_0 = 2, q4_1 = 3, q5_0 = 6, q5_1 = 7, q8_0 = 8, q8_1 = 9,
    q2_K = 10, q3_K = 11, q4_K = 12, q5_K = 13, q6_K = 14, q8_K = 15,
    iq2_xxs = 16, iq2_xs = 17, iq3_xxs = 18, iq1_s = 19, iq4_nl = 20, iq3_s = 21, iq2_s = 22, iq4_xs = 23,
    i8 = 24, i16 = 25, i32 = 26, i64 = 27, f64 = 28, iq1_m = 29, bf16 = 30, tq1_0 = 34, tq2_0 = 35, mxfp4 = 39,
};

struct tensor_type_traits {
    const char* name;  // ggml's lower-case name (as llama.cpp's tools print it)
    int block_size;    // elements per block (1 for plain numbers)
    int block_bytes;
};

namespace detail {

struct tensor_type_entry {
    std::uint32_t id;
    tensor_type_traits traits;
};

inline constexpr tensor_type_entry tensor_types[] = {
    {0, {"f32", 1, 4}},          {1, {"f16", 1, 2}},          {2, {"q4_0", 32, 18}},      {3, {"q4_1", 32, 20}},
    {6, {"q5_0", 32, 22}},       {7, {"q5_1", 32, 24}},       {8, {"q8_0", 32, 34}},      {9, {"q8_1", 32, 36}},
    {10, {"q2_K", 256, 84}},     {11, {"q3_K", 256, 110}},    {12, {"q4_K", 256, 144}},   {13, {"q5_K", 256, 176}},
    {14, {"q6_K", 256, 210}},    {15, {"q8_K", 256, 292}},    {16, {"iq2_xxs", 256, 66}}, {17, {"iq2_xs", 256, 74}},
    {18, {"iq3_xxs", 256, 98}},  {19, {"iq1_s", 256, 50}},    {20, {"iq4_nl", 32, 18}},   {21, {"iq3_s", 256, 110}},
    {22, {"iq2_s", 256, 82}},    {23, {"iq4_xs", 256, 136}},  {24, {"i8", 1, 1}},         {25, {"i16", 1, 2}},
    {26, {"i32", 1, 4}},         {27, {"i64", 1, 8}},         {28, {"f64", 1, 8}},        {29, {"iq1_m", 256, 56}},
    {30, {"bf16", 1, 2}},        {34, {"tq1_0", 256, 54}},    {35, {"tq2_0", 256, 66}},   {39, {"mxfp4", 32, 17}},
};

}  // namespace detail

// The layout of type id `id`, or nullptr when ggml has no such type.
constexpr const tensor_type_traits* find_tensor_type(std::uint32_t id) {
    for (const auto& e : detail::tensor_types)
        if (e.id == id) return &e.traits;
    return nullptr;
}

// The type whose ggml name is `name` ("q4_K", "f16", ...); false when there is none.
constexpr bool tensor_type_from_name(std::string_view name, tensor_type& type) {
    for (const auto& e : detail::tensor_types)
        if (name == e.traits.name) {
            type = static_cast<tensor_type>(e.id);
            return true;
        }
    return false;
}

constexpr const tensor_type_traits& traits_of(tensor_type type) {
    const tensor_type_traits* t = find_tensor_type(static_cast<std::uint32_t>(type));
    if (t == nullptr) lowbit::detail::fail("gguf: tensor type id ", static_cast<std::uint32_t>(type), " is not a ggml type");
    return *t;
}
constexpr const char* name_of(tensor_type type) { return traits_of(type).name; }

}  // namespace lowbit::gguf
