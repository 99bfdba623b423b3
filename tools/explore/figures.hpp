// What lowbit-explore reports of each scheme: plain data, filled by schemes.hpp, read by the
// report writers (report.hpp, svg_plots.hpp).
#pragma once

#include <cstdint>
#include <string>

#include "error_figures.hpp"
#include "timing.hpp"

namespace lowbit::explore {

// One kernel measurement: GOP/s (2 M K N per call) at the median run, with the spread.
struct throughput {
    rate gops;
    double weight_bytes = 0;  // the packed weights one call reads
    double ops = 0;           // per call
    bool measured = false;
    double bandwidth_gbps = 0;  // the read probe (L3 hot, DRAM cold) measured just before; 0: none
};

struct kernel_figures {
    std::string name;  // the entry point and arch tag, or why there is none
    bool exists = false;
    throughput gemv_hot, gemv_cold, gemm_hot, gemm_cold;
};

struct scheme_report {
    std::string name, family;  // family: "lowbit" (a scheme type) or "gguf" (a ggml block type)
    double bits_per_weight = 0;
    std::uint64_t bytes = 0;   // every layer, scales and zero points included
    std::uint64_t weights = 0;
    error_figures error;
    rate quantize_gbps;        // float bytes of the timed layer per second
    kernel_figures kernel;
};

}  // namespace lowbit::explore
