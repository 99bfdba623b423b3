// lowbit-explore's workload from a GGUF file: its 2-D tensors (or the one named), decoded to float
// from F32 / F16 / BF16 or from any block type lowbit has a codec for. A GGUF file holds no
// activations, so each layer gets the built-in LLM-like ones (outlier channels) of its width.
// Tensors the schemes cannot take (empty, columns not a multiple of 256 - the k-quant block - or
// beyond the kernels' limit) or of a type lowbit cannot decode are left out and named in `skipped`.
// Names and the path enter the report through clean_text: a file's bytes reach the terminal and
// the reports. (Error messages are cleaned where they are printed, in tools::run_tool.)
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include <unistd.h>

#include "lowbit/core/half.hpp"
#include "lowbit/formats/gguf/file_reader.hpp"
#include "lowbit/formats/gguf/runtime_type.hpp"
#include "lowbit/gemm/packed_s8.hpp"
#include "../text.hpp"
#include "workload.hpp"

namespace lowbit::explore {

struct gguf_workload {
    workload wl;
    std::vector<std::string> skipped;  // "name: why"
};

namespace detail {

inline bool is_matrix(const gguf::tensor_info& t) {
    if (t.dims.size() < 2) return false;
    for (std::size_t i = 2; i < t.dims.size(); ++i)
        if (t.dims[i] != 1) return false;
    return true;
}

inline bool decodable(gguf::tensor_type type) {
    return type == gguf::tensor_type::f32 || type == gguf::tensor_type::f16 || type == gguf::tensor_type::bf16 || gguf::has_codec(type);
}

inline std::vector<float> decode(const gguf::reader& in, const gguf::tensor_info& t) {
    const std::int64_t rows = t.rows(), cols = t.cols();
    std::vector<float> out(static_cast<std::size_t>(rows * cols));
    const std::byte* src = in.data(t);
    if (t.type == gguf::tensor_type::f32) {
        std::memcpy(out.data(), src, out.size() * sizeof(float));
    } else if (t.type == gguf::tensor_type::f16 || t.type == gguf::tensor_type::bf16) {
        for (std::size_t i = 0; i < out.size(); ++i) {
            std::uint16_t h;
            std::memcpy(&h, src + 2 * i, 2);
            out[i] = t.type == gguf::tensor_type::f16 ? fp16_bits_to_float(h) : bf16_bits_to_float(h);
        }
    } else {
        gguf::dequantize_rows(t.type, src, static_cast<std::size_t>(t.bytes), rows, cols, out.data(), out.size());
    }
    for (float v : out)
        if (!std::isfinite(v)) lowbit::detail::fail("tensor ", t.name, " holds NaN or Inf");
    return out;
}

// Why lowbit-explore cannot take a tensor, or "" when it can.
inline std::string unusable(const gguf::tensor_info& t) {
    if (!is_matrix(t)) return "not 2-D";
    if (!decodable(t.type)) return std::string("type ") + gguf::name_of(t.type) + " cannot be decoded";
    if (t.elements() < 1) return "empty (no elements)";
    if (t.cols() % 256 != 0) return std::to_string(t.cols()) + " columns, not a multiple of 256 (the k-quant block)";
    if (t.cols() > gemm::max_k) return std::to_string(t.cols()) + " columns, more than the kernels take (" + std::to_string(gemm::max_k) + ")";
    return "";
}

// The most memory a run holds at once, in bytes: every layer's floats and activations, then for
// the largest layer its quantized copy (at most 8.5 bits a weight), the dequantized copy and the
// difference the output error is computed from, its outputs, and the timing's packed weights with
// their cold copies (options.cold_bytes and one more), beside the read probes.
inline std::uint64_t peak_bytes(const std::vector<const gguf::tensor_info*>& chosen, std::int64_t batch, std::uint64_t cold_bytes,
                                std::uint64_t probe_bytes) {
    std::uint64_t held = 0, largest = 0, largest_rows = 0;
    for (const gguf::tensor_info* t : chosen) {
        const auto n = static_cast<std::uint64_t>(t->rows()) * static_cast<std::uint64_t>(t->cols());
        held += 4 * n + 4 * static_cast<std::uint64_t>(batch) * static_cast<std::uint64_t>(t->cols());
        largest = std::max(largest, n);
        largest_rows = std::max(largest_rows, static_cast<std::uint64_t>(t->rows()));
    }
    const std::uint64_t packed = largest + largest / 8;
    return held + packed + 8 * largest + 8 * static_cast<std::uint64_t>(batch) * largest_rows + cold_bytes + 2 * packed + probe_bytes;
}

// Three quarters of the physical memory.
inline std::uint64_t memory_budget() {
    const long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGE_SIZE);
    return pages > 0 && page > 0 ? static_cast<std::uint64_t>(pages) / 4 * 3 * static_cast<std::uint64_t>(page) : std::uint64_t{8} << 30;
}

}  // namespace detail

// `cold_bytes` and `probe_bytes`: what the run's timing and read probes will take (peak_bytes).
inline gguf_workload load_gguf_workload(const std::string& path, const std::string& tensor, std::int64_t batch, std::uint64_t cold_bytes,
                                        std::uint64_t probe_bytes) {
    const gguf::reader in(path);
    gguf_workload g;
    std::vector<const gguf::tensor_info*> chosen;
    if (!tensor.empty()) {
        const gguf::tensor_info* t = in.find(tensor);
        if (t == nullptr) lowbit::detail::fail(path, ": no tensor named '", tensor, "'");
        const std::string why = detail::unusable(*t);
        if (!why.empty()) lowbit::detail::fail(path, ": tensor ", tensor, " cannot be taken: ", why);
        chosen.push_back(t);
    } else {
        for (const gguf::tensor_info& t : in.tensors()) {
            if (!detail::is_matrix(t)) continue;
            const std::string why = detail::unusable(t);
            if (why.empty()) chosen.push_back(&t);
            else g.skipped.push_back(tools::clean_text(t.name) + ": " + why);
        }
        if (chosen.empty())
            lowbit::detail::fail(path, ": no 2-D tensor that lowbit-explore can take (F32, F16, BF16 or a block type, 256 to ",
                                 gemm::max_k, " columns, a multiple of 256)");
    }
    const std::uint64_t peak = detail::peak_bytes(chosen, batch, cold_bytes, probe_bytes), budget = detail::memory_budget();
    if (peak > budget)
        lowbit::detail::fail(path, ": the chosen tensors need about ", peak >> 20, " MiB, more than three quarters of the memory (", budget >> 20,
                             " MiB); pick one with --tensor");
    g.wl.batch = batch;
    g.wl.source = tools::clean_text(path) + ": " + std::to_string(chosen.size()) + (chosen.size() == 1 ? " tensor" : " tensors") + ", built-in activations";
    for (const gguf::tensor_info* t : chosen) {
        layer l{tools::clean_text(t->name) + " " + std::to_string(t->rows()) + "x" + std::to_string(t->cols()) + " " + gguf::name_of(t->type), t->rows(), t->cols(),
                detail::decode(in, *t), {}};
        l.activations = llm_activations(batch, l.cols, 44);
        g.wl.layers.push_back(std::move(l));
    }
    return g;
}

}  // namespace lowbit::explore
