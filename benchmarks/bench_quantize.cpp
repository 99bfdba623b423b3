// Quantize / dequantize / fake-quantize throughput per scheme and arch tag, with memory baselines
// measured in the same binary.
//
//   quantize/<scheme>/<arch>/<elements>       float bytes read per second
//   fake_quantize/<scheme>/<arch>/<elements>  float bytes read per second
//   dequantize/<scheme>/<arch>/<elements>     float bytes written per second
//   memory/read/<elements>                    a streaming read (sum) of the same float bytes
//   memory/copy/<elements>                    memcpy of the same float bytes
// <arch> "reference" is the scalar specification; the others are the vector kernels of that tag.
// Sizes: 65,536 floats (L2-resident) and 64 Mi floats (DRAM). Matrices are (elements / 4096) x 4096.
#include <cstring>
#include <new>
#include <random>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include "lowbit/lowbit.hpp"
#include "read_probe.hpp"

using namespace lowbit;

namespace {

// 64-byte aligned float buffers, as engines allocate them (aligned outputs get streaming stores).
template <class T>
struct aligned_allocator {
    using value_type = T;
    aligned_allocator() = default;
    template <class U>
    aligned_allocator(const aligned_allocator<U>&) {}
    T* allocate(std::size_t n) { return static_cast<T*>(::operator new(n * sizeof(T), std::align_val_t{64})); }
    void deallocate(T* p, std::size_t) { ::operator delete(p, std::align_val_t{64}); }
    template <class U>
    bool operator==(const aligned_allocator<U>&) const { return true; }
    template <class U>
    bool operator!=(const aligned_allocator<U>&) const { return false; }
};
using buffer = std::vector<float, aligned_allocator<float>>;

constexpr index_t cols = 4096;
const std::vector<std::int64_t> sizes = {65536, 64 << 20};

const buffer& input(std::size_t n) {
    static buffer x;
    if (x.size() < n) {
        std::mt19937 gen(1);
        std::normal_distribution<float> d(0.0f, 0.02f);
        x.resize(n);
        for (auto& v : x) v = d(gen);
    }
    return x;
}

struct reference_tag {
    static constexpr const char* name = "reference";
};

template <class Scheme, class Tag>
void quantize_into(matrix_view<const float> x, quantized_tensor<Scheme>& q) {
    if constexpr (std::is_same_v<Tag, reference_tag>)
        reference::quantize<Scheme>(x, q);
    else
        quantize<Scheme, Tag>(x, q);
}

template <class Scheme, class Tag>
void bm_quantize(benchmark::State& state) {
    const auto n = static_cast<index_t>(state.range(0));
    const matrix_view<const float> x(input(static_cast<std::size_t>(n)).data(), n / cols, cols);
    quantized_tensor<Scheme> q(n / cols, cols);
    for (auto _ : state) {
        quantize_into<Scheme, Tag>(x, q);
        benchmark::DoNotOptimize(q.packed_codes().data());
        benchmark::ClobberMemory();
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * n * 4);
}

template <class Scheme, class Tag>
void bm_fake_quantize(benchmark::State& state) {
    const auto n = static_cast<index_t>(state.range(0));
    const matrix_view<const float> x(input(static_cast<std::size_t>(n)).data(), n / cols, cols);
    buffer out(static_cast<std::size_t>(n));
    for (auto _ : state) {
        if constexpr (std::is_same_v<Tag, reference_tag>)
            reference::fake_quantize<Scheme>(x, {out.data(), n / cols, cols});
        else
            fake_quantize<Scheme, Tag>(x, {out.data(), n / cols, cols});
        benchmark::DoNotOptimize(out.data());
        benchmark::ClobberMemory();
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * n * 4);
}

template <class Scheme, class Tag>
void bm_dequantize(benchmark::State& state) {
    const auto n = static_cast<index_t>(state.range(0));
    const auto q = reference::quantize<Scheme>({input(static_cast<std::size_t>(n)).data(), n / cols, cols});
    buffer out(static_cast<std::size_t>(n));
    for (auto _ : state) {
        if constexpr (std::is_same_v<Tag, reference_tag>)
            reference::dequantize(q, {out.data(), n / cols, cols});
        else
            dequantize<Tag>(q, {out.data(), n / cols, cols});
        benchmark::DoNotOptimize(out.data());
        benchmark::ClobberMemory();
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * n * 4);
}

void bm_read(benchmark::State& state) {
    const auto n = static_cast<std::size_t>(state.range(0));
    const float* x = input(n).data();
    for (auto _ : state) benchmark::DoNotOptimize(lowbit_bench::read_sum(x, static_cast<std::int64_t>(n)));
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * n * 4));
}

void bm_copy(benchmark::State& state) {
    const auto n = static_cast<std::size_t>(state.range(0));
    const float* x = input(n).data();
    buffer out(n);
    for (auto _ : state) {
        std::memcpy(out.data(), x, n * 4);
        benchmark::DoNotOptimize(out.data());
        benchmark::ClobberMemory();
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * n * 4));
}

template <class Scheme, class Tag>
void register_scheme(const std::string& scheme_name) {
    const std::string suffix = scheme_name + "/" + Tag::name;
    benchmark::RegisterBenchmark(("quantize/" + suffix).c_str(), bm_quantize<Scheme, Tag>)->Args({sizes[0]})->Args({sizes[1]});
    benchmark::RegisterBenchmark(("fake_quantize/" + suffix).c_str(), bm_fake_quantize<Scheme, Tag>)->Args({sizes[0]})->Args({sizes[1]});
    benchmark::RegisterBenchmark(("dequantize/" + suffix).c_str(), bm_dequantize<Scheme, Tag>)->Args({sizes[0]})->Args({sizes[1]});
}

template <class Scheme>
void register_all_tags(const std::string& scheme_name) {
    register_scheme<Scheme, reference_tag>(scheme_name);
#if XSIMD_WITH_SSE4_1
    register_scheme<Scheme, arch::sse4_1>(scheme_name);
#endif
#if XSIMD_WITH_AVX2
    register_scheme<Scheme, arch::avx2>(scheme_name);
#endif
#if XSIMD_WITH_AVX512BW
    register_scheme<Scheme, arch::avx512bw>(scheme_name);
#endif
}

}  // namespace

int main(int argc, char** argv) {
    for (auto n : sizes) {
        benchmark::RegisterBenchmark("memory/read", bm_read)->Arg(n);
        benchmark::RegisterBenchmark("memory/copy", bm_copy)->Arg(n);
    }
    register_all_tags<schemes::w8_per_channel>("int8_per_channel");
    register_all_tags<schemes::w4_g32_sym>("int4_g32_sym");
    register_all_tags<schemes::w4_g32_asym>("uint4_g32_affine");
    register_all_tags<scheme<int_bits<4>, per_group<32>, round_stochastic<1>>>("int4_g32_stochastic");
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
