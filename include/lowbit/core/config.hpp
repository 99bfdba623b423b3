// lowbit/core/config.hpp - version and the few macros the library has.
#pragma once

#define LOWBIT_VERSION_MAJOR 0
#define LOWBIT_VERSION_MINOR 1
#define LOWBIT_VERSION_PATCH 0

// Forces inlining of small helpers that the compiler's -O2 heuristics would otherwise call out of
// line inside hot vector loops (passing batch arguments through memory).
#if defined(__GNUC__)
#define LOWBIT_ALWAYS_INLINE __attribute__((always_inline)) inline
#else
#define LOWBIT_ALWAYS_INLINE inline
#endif

// The same for a lambda inside a hot kernel, written after its parameter list. At -O2, g++ 12
// calls a kernel's per-row lambdas out of line, and the accumulators they take by reference then
// live in memory for the whole loop (measured: the grouped GEMM at M = 64 ran at 0.4-0.55x its -O3
// speed).
#if defined(__GNUC__)
#define LOWBIT_INLINE_LAMBDA __attribute__((always_inline))
#else
#define LOWBIT_INLINE_LAMBDA
#endif

// Inlines every call inside a hot kernel, recursively. Lane-group code is built from many tiny
// functions (one per batch operation); once a translation unit instantiates many kernels, the
// compiler's unit-growth limits stop inlining them and batches go through memory (measured: 2.3x
// slower Q4_K search in a binary with all GGUF types). Flattening the kernel's entry avoids that.
// Sanitizer builds check correctness, not speed, and flattening instrumented code multiplies their
// compile time (minutes per translation unit): there it is off.
#if defined(__GNUC__) && !defined(__SANITIZE_ADDRESS__) && !defined(LOWBIT_NO_FLATTEN)
#define LOWBIT_FLATTEN __attribute__((flatten))
#else
#define LOWBIT_FLATTEN
#endif

// On a scalar specification: g++ 12.2 vectorizes mixed-sign int8 dot loops with VNNI at -O2 and
// loses a sign extension (a known miscompile on this toolchain). The references that define the
// integer kernels must not be exposed to that, so the vectorizer is off for them on g++.
#if defined(__GNUC__) && !defined(__clang__)
#define LOWBIT_NO_AUTOVECTORIZE __attribute__((optimize("no-tree-vectorize")))
#else
#define LOWBIT_NO_AUTOVECTORIZE
#endif

namespace lowbit {
inline constexpr int version_major = LOWBIT_VERSION_MAJOR;
inline constexpr int version_minor = LOWBIT_VERSION_MINOR;
inline constexpr int version_patch = LOWBIT_VERSION_PATCH;
}  // namespace lowbit
