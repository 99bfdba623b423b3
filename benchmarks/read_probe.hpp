// benchmarks/read_probe.hpp - the memory-bandwidth baseline every benchmark binary reports.
//
// Sums n floats with eight independent vector accumulators: a scalar sum is bound by the add
// latency (~22 GB/s here), well below what the memory system delivers (~35 GB/s from DRAM on one
// core), so only a vector sum measures the memory.
#pragma once

#include <cstdint>

#include <xsimd/xsimd.hpp>

namespace lowbit_bench {

inline float read_sum(const float* x, std::int64_t n) {
    using batch = xsimd::batch<float>;
    constexpr auto w = static_cast<std::int64_t>(batch::size);
    batch acc[8] = {};
    std::int64_t i = 0;
    for (; i + 8 * w <= n; i += 8 * w)
        for (int a = 0; a < 8; ++a) acc[a] += batch::load_unaligned(x + i + a * w);
    for (int a = 1; a < 8; ++a) acc[0] += acc[a];
    float sum = xsimd::hadd(acc[0]);
    for (; i < n; ++i) sum += x[i];
    return sum;
}

}  // namespace lowbit_bench
