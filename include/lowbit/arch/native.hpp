// lowbit/arch/native.hpp - lowbit::arch::native, the best tag the current compiler flags enable.
//
// Only this alias depends on the flags. Every kernel takes its tag as a template parameter, so two
// translation units built with different -m flags instantiate differently named functions and
// never give one symbol two bodies.
#pragma once

#include "lowbit/arch/tags.hpp"

namespace lowbit::arch {

#if defined(__AVX512F__) && defined(__AVX512BW__) && defined(__AVX512DQ__) && defined(__AVX512CD__) && \
    defined(__AVX512VL__) && defined(__AVX512VNNI__)
using native = avx512_vnni;
#elif defined(__AVX512F__) && defined(__AVX512BW__) && defined(__AVX512DQ__) && defined(__AVX512CD__) && \
    defined(__AVX512VL__)
using native = avx512bw;
#elif defined(__AVX2__) && defined(__AVXVNNI__)
using native = avx_vnni;
#elif defined(__AVX2__)
using native = avx2;
#elif defined(__SSE4_1__)
using native = sse4_1;
#elif defined(__aarch64__) && defined(__ARM_NEON)
using native = neon64;
#else
using native = scalar;
#endif

}  // namespace lowbit::arch
