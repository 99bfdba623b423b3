// lowbit/arch/tags.hpp - instruction-set tags, an inheritance chain of empty types.
//
//   scalar <- sse4_1 <- avx2 <- avx_vnni
//                       avx2 <- avx512bw <- avx512_vnni
//   scalar <- neon64
//
// A kernel overload written for a base tag serves every derived tag (ordinary overload
// resolution picks the most derived base), so a tag without a kernel of its own falls back to
// the best one below it. Each vector tag names the xsimd 8.1 architecture it uses for
// xsimd::batch<T, A> through `xsimd_arch`; the VNNI tags reuse their base's xsimd architecture
// (xsimd 8.1 has no VNNI) and add intrinsics in the kernels that need them.
//
// The tags carry no knowledge of the compiler flags, so they mean the same in every translation
// unit; lowbit/arch/native.hpp maps the flags of the current one to a tag.
#pragma once

#include <xsimd/xsimd.hpp>

namespace lowbit::arch {

struct scalar {
    static constexpr const char* name = "scalar";
};

struct sse4_1 : scalar {
    static constexpr const char* name = "sse4_1";
    using xsimd_arch = xsimd::sse4_1;
};

struct avx2 : sse4_1 {
    static constexpr const char* name = "avx2";
    using xsimd_arch = xsimd::avx2;
};

struct avx_vnni : avx2 {
    static constexpr const char* name = "avx_vnni";
    using xsimd_arch = xsimd::avx2;
};

struct avx512bw : avx2 {
    static constexpr const char* name = "avx512bw";
    using xsimd_arch = xsimd::avx512bw;
};

struct avx512_vnni : avx512bw {
    static constexpr const char* name = "avx512_vnni";
    using xsimd_arch = xsimd::avx512bw;
};

struct neon64 : scalar {
    static constexpr const char* name = "neon64";
    using xsimd_arch = xsimd::neon64;
};

}  // namespace lowbit::arch
