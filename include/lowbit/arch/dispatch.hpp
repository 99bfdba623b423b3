// lowbit/arch/dispatch.hpp - pick, at run time, the function compiled for the best tag this CPU runs.
//
// An engine that ships one binary to many CPUs builds one translation unit per tag, each with its
// tag's flags (no flags for scalar, -march=x86-64-v3 for avx2, -march=x86-64-v4 for avx512bw),
// each instantiating lowbit's kernels for its own tag only, and lists the results best first:
//
//   const auto quantize_fn = lowbit::arch::select<quantize_fn_t>({
//       lowbit::arch::entry<lowbit::arch::avx512bw>(quantize_avx512),
//       lowbit::arch::entry<lowbit::arch::avx2>(quantize_avx2),
//       lowbit::arch::entry<lowbit::arch::scalar>(quantize_scalar)});
//
// Nothing is global: the choice is a value the caller keeps. examples/runtime_dispatch shows it.
// Caution: inline functions that do not take a tag (the standard library's, the reference's
// helpers) are compiled in every such unit; the linker keeps one copy, normally from the first
// object it sees, so link the baseline (scalar) unit first (see the example's CMakeLists.txt).
#pragma once

#include <initializer_list>

#include "lowbit/arch/cpu_features.hpp"
#include "lowbit/core/error.hpp"

namespace lowbit::arch {

template <class Fn>
struct dispatch_entry {
    const char* tag;
    bool (*supported)(const cpu_features&);
    Fn fn;
};

template <class Tag, class Fn>
dispatch_entry<Fn> entry(Fn fn) {
    return {Tag::name, &supports<Tag>, fn};
}

template <class Fn>
struct selection {
    const char* tag;
    Fn fn;
};

// The first entry whose tag this CPU (or `features`) supports.
template <class Fn>
selection<Fn> select(std::initializer_list<dispatch_entry<Fn>> entries, const cpu_features& features = cpu()) {
    for (const auto& e : entries)
        if (e.supported(features)) return {e.tag, e.fn};
    lowbit::detail::fail("arch::select: none of the ", entries.size(), " entries runs on this CPU; add a scalar entry");
}

}  // namespace lowbit::arch
