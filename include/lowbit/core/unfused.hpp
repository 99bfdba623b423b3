// lowbit/core/unfused.hpp - products the compiler may not fuse into a following add.
//
// g++ contracts `a * b + c` into one fused multiply-add whenever FMA is enabled and the build is
// not strict ISO (-ffp-contract=fast is its default for GNU dialects), even across statements.
// A fused result is rounded once instead of twice, so a format whose reference rounds twice (every
// GGUF quantizer: ggml builds with contraction off) would produce different bytes depending on the
// caller's flags. `unfused_mul` returns the rounded product through an empty asm statement the
// optimizer cannot see through: the product stays a separate, rounded operation in every build.
// It costs nothing at run time beyond the lost fusion.
#pragma once

#include <xsimd/xsimd.hpp>

namespace lowbit {

template <class T>
inline T unfused(T value) {
#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
#if defined(__AVX512F__)
    __asm__("" : "+v"(value));
#else
    __asm__("" : "+x"(value));
#endif
#elif defined(__GNUC__) && defined(__aarch64__)
    __asm__("" : "+w"(value));
#endif
    return value;
}

template <class T, class A>
xsimd::batch<T, A> unfused(const xsimd::batch<T, A>& value) {
    return xsimd::batch<T, A>(unfused(value.data));
}

inline float unfused_mul(float a, float b) { return unfused(a * b); }

}  // namespace lowbit
