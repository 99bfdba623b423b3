// lowbit_scheme_report: quantize an LLM-shaped weight matrix under common schemes and print what
// each costs in size and error.
//
//   lowbit_scheme_report [rows] [cols]      (default 1024 x 4096)
//
// The weights are deterministic and shaped like a transformer projection: a Gaussian bulk with
// heavy tails (Student-t, 4 degrees of freedom) and a few input channels (columns) whose weights
// are 8x larger, the outlier channels that make per-tensor schemes fail.
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "lowbit/lowbit.hpp"

using namespace lowbit;

namespace {

std::vector<float> llm_like_weights(index_t rows, index_t cols) {
    std::mt19937 gen(42);
    std::student_t_distribution<float> heavy(4.0f);
    std::uniform_int_distribution<index_t> pick_col(0, cols - 1);
    std::vector<float> outlier(static_cast<std::size_t>(cols), 1.0f);
    for (int k = 0; k < 6; ++k) outlier[static_cast<std::size_t>(pick_col(gen))] = 8.0f;
    std::vector<float> w(static_cast<std::size_t>(rows * cols));
    for (index_t r = 0; r < rows; ++r)
        for (index_t c = 0; c < cols; ++c)
            w[static_cast<std::size_t>(r * cols + c)] = 0.02f * heavy(gen) * outlier[static_cast<std::size_t>(c)];
    return w;
}

template <class Scheme>
void report(const char* name, const std::vector<float>& w, index_t rows, index_t cols) {
    const matrix_view<const float> x(w.data(), rows, cols);
    const auto q = quantize<Scheme>(x);
    const auto back = dequantize(q);
    const auto e = compare(x, {back.data(), rows, cols});
    const double mib = static_cast<double>(q.storage_bytes()) / (1024.0 * 1024.0);
    const double f16_bytes = 2.0 * static_cast<double>(rows * cols);
    std::printf("%-30s %8.3f %10.2f %8.2fx %9.2f %12.5f %10.6f\n", name, q.bits_per_weight(), mib,
                f16_bytes / static_cast<double>(q.storage_bytes()), e.sqnr_db, e.max_abs, e.cosine);
}

}  // namespace

int main(int argc, char** argv) {
    const index_t rows = argc > 1 ? std::atol(argv[1]) : 1024;
    const index_t cols = argc > 2 ? std::atol(argv[2]) : 4096;
    if (rows <= 0 || cols <= 0 || cols % 128 != 0) {
        std::fprintf(stderr, "usage: %s [rows] [cols]  (cols a multiple of 128)\n", argv[0]);
        return 2;
    }
    try {
        const auto w = llm_like_weights(rows, cols);
        std::printf("lowbit %d.%d.%d: %ld x %ld weights (heavy tails, 6 outlier input channels)\n\n", version_major,
                    version_minor, version_patch, static_cast<long>(rows), static_cast<long>(cols));
        std::printf("%-30s %8s %10s %9s %9s %12s %10s\n", "scheme", "bits/w", "MiB", "vs f16", "SQNR dB", "max |err|",
                    "cosine");
        report<scheme<int_bits<8>, per_tensor>>("int8 per-tensor", w, rows, cols);
        report<schemes::w8_per_channel>("int8 per-channel", w, rows, cols);
        report<scheme<int_bits<8>, per_channel<0>, scale_bf16>>("int8 per-channel, bf16 scale", w, rows, cols);
        report<scheme<int_bits<6>, per_group<32>, scale_f16>>("int6 g32 sym, f16 scale", w, rows, cols);
        report<schemes::w4_g32_sym>("int4 g32 sym", w, rows, cols);
        report<scheme<int_bits<4>, per_group<32>, scale_f16>>("int4 g32 sym, f16 scale", w, rows, cols);
        report<scheme<uint_bits<4>, affine, per_group<32>, scale_f16>>("uint4 g32 affine, f16 scale", w, rows, cols);
        report<schemes::w4_g128_sym>("int4 g128 sym", w, rows, cols);
        report<schemes::w4_g128_asym>("uint4 g128 affine", w, rows, cols);
        report<scheme<int_bits<4>, per_group<128>, range_clip<9, 10>>>("int4 g128 sym, clip 0.9", w, rows, cols);
        report<schemes::w3_g128_asym>("uint3 g128 affine", w, rows, cols);
        report<schemes::w2_g64_asym>("uint2 g64 affine", w, rows, cols);
    } catch (const lowbit::error& e) {
        std::fprintf(stderr, "error: %s\n", e.what());
        return 1;
    }
    return 0;
}
