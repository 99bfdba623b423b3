// lowbit_runtime_dispatch: one binary, kernels for several CPUs, the best one chosen at start-up.
//
// Prints what this CPU supports and which tag was chosen, then runs every kernel the CPU can run
// and checks that they produce the same bytes (lowbit's contract across tags).
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <vector>

#include <lowbit/arch/dispatch.hpp>

#include "kernels.hpp"

int main() {
    using namespace lowbit;
    const arch::cpu_features& f = arch::cpu();
    std::printf("cpu: sse4.1 %d, avx2 %d, fma %d, f16c %d, avx512f %d, avx512bw %d, avx512vl %d, avx512-vnni %d, avx-vnni %d\n",
                f.sse4_1, f.avx2, f.fma, f.f16c, f.avx512f, f.avx512bw, f.avx512vl, f.avx512_vnni, f.avx_vnni);

    const auto entries = {arch::entry<arch::avx512bw>(&quantize_avx512bw), arch::entry<arch::avx2>(&quantize_avx2),
                          arch::entry<arch::scalar>(&quantize_scalar)};
    const auto chosen = arch::select<quantize_fn>(entries);
    std::printf("chosen: %s\n", chosen.tag);

    const index_t rows = 256, cols = 4096;
    std::vector<float> w(static_cast<std::size_t>(rows * cols));
    for (std::size_t i = 0; i < w.size(); ++i) w[i] = 0.02f * std::sin(0.001f * static_cast<float>(i * i % 100003));
    quantized_tensor<weight_scheme> best(rows, cols);
    chosen.fn({w.data(), rows, cols}, best);

    int failures = 0;
    for (const auto& e : entries) {
        if (!e.supported(f)) {
            std::printf("%-9s not supported here\n", e.tag);
            continue;
        }
        quantized_tensor<weight_scheme> q(rows, cols);
        e.fn({w.data(), rows, cols}, q);
        const bool same = q.packed_codes() == best.packed_codes() &&
                          std::equal(q.stored_scales().begin(), q.stored_scales().end(), best.stored_scales().begin(),
                                     [](fp16 a, fp16 b) { return a.bits == b.bits; });
        std::printf("%-9s %s\n", e.tag, same ? "same bytes as the chosen kernel" : "DIFFERENT BYTES");
        failures += same ? 0 : 1;
    }
    return failures == 0 ? 0 : 1;
}
