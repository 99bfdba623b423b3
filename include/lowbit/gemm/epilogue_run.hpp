// lowbit/gemm/epilogue_run.hpp - runs an epilogue's stages over a row of a tile and stores it.
//
// A row of at most a tile's width passes through the stages one at a time, in scratch that stays
// in L1: each stage runs on whole xsimd batches of Arch and on single values for the rest, with the
// same operator() (epilogue.hpp), so the split does not change a bit. Integer stages that need
// 64-bit products (the fixed-point requantizers) run on single values on every tag.
#pragma once

#include <cstdint>
#include <cstring>
#include <tuple>
#include <type_traits>

#include <xsimd/xsimd.hpp>

#include "lowbit/arch/tags.hpp"
#include "lowbit/gemm/epilogue.hpp"

namespace lowbit::gemm::detail {

template <class S, class = void>
struct stage_vectorized : std::true_type {};
template <class S>
struct stage_vectorized<S, std::void_t<decltype(S::vectorized)>> : std::bool_constant<S::vectorized> {};

template <class Arch, class S, class In, class Result>
void run_stage(const S& stage, const tile_position& at, const In* in, Result* out, std::int64_t n) {
    tile_position here = at;
    std::int64_t i = 0;
    if constexpr (std::is_base_of_v<arch::sse4_1, Arch> && stage_vectorized<S>::value) {
        using batch = xsimd::batch<In, typename Arch::xsimd_arch>;
        constexpr auto w = static_cast<std::int64_t>(batch::size);
        for (; i + w <= n; i += w) {
            here.col = at.col + i;
            stage(batch::load_unaligned(in + i), here).store_unaligned(out + i);
        }
    }
    for (; i < n; ++i) {
        here.col = at.col + i;
        out[i] = stage(in[i], here);
    }
}

template <class T, class Out>
void store_row(const T* v, std::int64_t n, Out* out) {
    if constexpr (std::is_same_v<T, float>) {
        static_assert(std::is_same_v<Out, float>, "the epilogue ends with float values: the output must be float (or add a requantize stage)");
        std::memcpy(out, v, static_cast<std::size_t>(n) * sizeof(float));
    } else {
        static_assert(std::is_same_v<Out, std::int32_t> || std::is_same_v<Out, std::int8_t> || std::is_same_v<Out, std::uint8_t>,
                      "the epilogue ends with int32 values: the output must be int32, int8 or uint8 (or add a dequantize stage for float)");
        if constexpr (std::is_same_v<Out, std::int32_t>) {
            std::memcpy(out, v, static_cast<std::size_t>(n) * sizeof(std::int32_t));
        } else {
            constexpr std::int32_t lo = std::is_same_v<Out, std::int8_t> ? -128 : 0, hi = std::is_same_v<Out, std::int8_t> ? 127 : 255;
            for (std::int64_t i = 0; i < n; ++i) out[i] = static_cast<Out>(v[i] < lo ? lo : (v[i] > hi ? hi : v[i]));
        }
    }
}

template <std::size_t I, class Arch, class Tuple, class T, class Out>
void run_stages(const Tuple& stages, const tile_position& at, T* values, std::int32_t* ints, float* floats, std::int64_t n, Out* out) {
    if constexpr (I == std::tuple_size_v<Tuple>) {
        store_row(values, n, out);
    } else {
        using S = std::tuple_element_t<I, Tuple>;
        static_assert(std::is_same_v<typename S::input, T>,
                      "an epilogue stage gets values of the wrong type: float stages (bias, relu, clamp, silu, gelu, requantize_float) "
                      "come after dequantize, integer stages (add_s32, requantize_fixed) before it");
        using R = decltype(std::get<I>(stages)(T{}, at));
        static_assert(std::is_same_v<R, float> || std::is_same_v<R, std::int32_t>, "a stage returns float or int32");
        R* next;
        if constexpr (std::is_same_v<R, float>) next = floats;
        else next = ints;
        run_stage<Arch>(std::get<I>(stages), at, values, next, n);
        run_stages<I + 1, Arch>(stages, at, next, ints, floats, n, out);
    }
}

// The stages of `ep` on n <= 64 int32 sums (overwritten as scratch), stored to out[0, n).
template <class Arch, class Out, class... Stages>
void run_epilogue(const epilogue<Stages...>& ep, const tile_position& at, std::int32_t* sums, std::int64_t n, Out* out) {
    alignas(64) float floats[64];
    run_stages<0, Arch>(ep.stages, at, sums, sums, floats, n, out);
}

}  // namespace lowbit::gemm::detail
