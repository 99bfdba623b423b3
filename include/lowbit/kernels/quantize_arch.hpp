// lowbit/kernels/quantize_arch.hpp - which tag really implements quantize / dequantize /
// fake-quantize for a requested tag.
//
// quantize_impl(tag) has one overload per implemented tag; overload resolution maps a requested
// tag to the most derived implemented base (avx512_vnni -> avx512bw, avx_vnni -> avx2).
// quantize_arch_t<Arch> names the result, so a test can assert that the native build selects the
// kernel it should, and a silent fallback is a failure.
#pragma once

#include <type_traits>

#include "lowbit/arch/tags.hpp"

namespace lowbit::kernels {

constexpr arch::scalar quantize_impl(arch::scalar) { return {}; }
constexpr arch::sse4_1 quantize_impl(arch::sse4_1) { return {}; }
constexpr arch::avx2 quantize_impl(arch::avx2) { return {}; }
constexpr arch::avx512bw quantize_impl(arch::avx512bw) { return {}; }

template <class Arch>
using quantize_arch_t = decltype(quantize_impl(Arch{}));

// Is the xsimd architecture of a tag enabled by this translation unit's compiler flags?
template <class Arch>
constexpr bool compiled_for() {
    if constexpr (std::is_same_v<Arch, arch::scalar>)
        return true;
    else
        return Arch::xsimd_arch::supported();
}

}  // namespace lowbit::kernels
