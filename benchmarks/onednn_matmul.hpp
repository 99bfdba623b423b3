// benchmarks/onednn_matmul.hpp - oneDNN's int8 matmul, the peer in bench_gemm (built only when
// CMake finds oneDNN, Debian's libdnnl-dev, 2.x API).
//
// C[M x N] = A[M x K] (u8) * W^T, W given N x K (s8) as engines store it; oneDNN chooses its
// weight layout (format_tag::any) and the weights are reordered into it once, before timing, so
// the timed loop runs the matmul primitive alone. Output s32, or f32 with fixed per-channel output
// scales (fixed, not runtime, scales: with runtime scales 2.6 falls back to a slower kernel).
// Threads: Debian's oneDNN runs on GNU OpenMP; omp_set_num_threads is called before the
// primitive is created.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <unordered_map>
#include <vector>

#include <omp.h>
#include <oneapi/dnnl/dnnl.hpp>

namespace lowbit_bench {

class onednn_matmul {
public:
    // `copies` distinct copies of the reordered weights (more than the caches hold for cold runs).
    onednn_matmul(std::int64_t m, std::int64_t k, std::int64_t n, const std::int8_t* w, const std::uint8_t* a, bool f32_out, const float* scales,
                  std::size_t copies, int threads)
        : engine_(dnnl::engine::kind::cpu, 0), stream_(engine_) {
        using dt = dnnl::memory::data_type;
        using tag = dnnl::memory::format_tag;
        omp_set_num_threads(threads);
        const dnnl::memory::desc a_md({m, k}, dt::u8, tag::ab), w_any({k, n}, dt::s8, tag::any), w_user_md({k, n}, dt::s8, tag::ba);
        const dnnl::memory::desc c_md({m, n}, f32_out ? dt::f32 : dt::s32, tag::ab);
        dnnl::primitive_attr attr;
        if (f32_out) attr.set_output_scales(1 << 1, std::vector<float>(scales, scales + n));
        const dnnl::matmul::primitive_desc pd(dnnl::matmul::desc(a_md, w_any, c_md), attr, engine_);
        implementation_ = pd.impl_info_str();
        a_ = dnnl::memory(a_md, engine_);
        std::memcpy(a_.get_data_handle(), a, static_cast<std::size_t>(m * k));
        c_ = dnnl::memory(c_md, engine_);
        dnnl::memory user(w_user_md, engine_, const_cast<std::int8_t*>(w));
        for (std::size_t i = 0; i < copies; ++i) {
            weights_.emplace_back(pd.weights_desc(), engine_);
            if (i == 0) dnnl::reorder(user, weights_[0]).execute(stream_, user, weights_[0]);
            else std::memcpy(weights_[i].get_data_handle(), weights_[0].get_data_handle(), pd.weights_desc().get_size());
        }
        stream_.wait();
        weight_bytes_ = pd.weights_desc().get_size();
        matmul_ = dnnl::matmul(pd);
    }

    void run(std::size_t copy) {
        matmul_.execute(stream_, {{DNNL_ARG_SRC, a_}, {DNNL_ARG_WEIGHTS, weights_[copy]}, {DNNL_ARG_DST, c_}});
        stream_.wait();
    }
    const void* output() const { return c_.get_data_handle(); }
    const std::string& implementation() const { return implementation_; }
    std::size_t weight_bytes() const { return weight_bytes_; }

private:
    dnnl::engine engine_;
    dnnl::stream stream_;
    dnnl::memory a_, c_;
    std::vector<dnnl::memory> weights_;
    dnnl::matmul matmul_;
    std::string implementation_;
    std::size_t weight_bytes_ = 0;
};

}  // namespace lowbit_bench
