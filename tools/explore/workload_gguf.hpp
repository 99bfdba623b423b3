// lowbit-explore's workload from a GGUF file: its 2-D tensors (or the one named), decoded to float
// from F32 / F16 / BF16 or from any block type lowbit has a codec for. A GGUF file holds no
// activations, so each layer gets the built-in LLM-like ones (outlier channels) of its width.
// Tensors the schemes cannot take (columns not a multiple of 256, the k-quant block) or of a type
// lowbit cannot decode are left out and named in `skipped`.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include <unistd.h>

#include "lowbit/core/half.hpp"
#include "lowbit/formats/gguf/file_reader.hpp"
#include "lowbit/formats/gguf/runtime_type.hpp"
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

// Half of the physical memory: the decoded floats of every layer are held at once.
inline std::uint64_t memory_budget() {
    const long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGE_SIZE);
    return pages > 0 && page > 0 ? static_cast<std::uint64_t>(pages) * static_cast<std::uint64_t>(page) / 2 : std::uint64_t{8} << 30;
}

}  // namespace detail

inline gguf_workload load_gguf_workload(const std::string& path, const std::string& tensor, std::int64_t batch) {
    const gguf::reader in(path);
    gguf_workload g;
    std::vector<const gguf::tensor_info*> chosen;
    if (!tensor.empty()) {
        const gguf::tensor_info* t = in.find(tensor);
        if (t == nullptr) lowbit::detail::fail(path, ": no tensor named '", tensor, "'");
        if (!detail::is_matrix(*t)) lowbit::detail::fail(path, ": tensor ", tensor, " is not 2-D");
        if (!detail::decodable(t->type)) lowbit::detail::fail(path, ": tensor ", tensor, " has type ", gguf::name_of(t->type), ", which lowbit cannot decode");
        if (t->cols() % 256 != 0) lowbit::detail::fail(path, ": tensor ", tensor, " has ", t->cols(), " columns, not a multiple of 256 (the k-quant block)");
        chosen.push_back(t);
    } else {
        for (const gguf::tensor_info& t : in.tensors()) {
            if (!detail::is_matrix(t)) continue;
            if (!detail::decodable(t.type)) g.skipped.push_back(t.name + ": type " + gguf::name_of(t.type) + " cannot be decoded");
            else if (t.cols() % 256 != 0) g.skipped.push_back(t.name + ": " + std::to_string(t.cols()) + " columns, not a multiple of 256");
            else chosen.push_back(&t);
        }
        if (chosen.empty()) lowbit::detail::fail(path, ": no 2-D tensor that lowbit-explore can take (F32, F16, BF16 or a block type, columns a multiple of 256)");
    }
    std::uint64_t floats = 0;
    for (const gguf::tensor_info* t : chosen) floats += static_cast<std::uint64_t>(t->elements());
    if (floats * sizeof(float) > detail::memory_budget())
        lowbit::detail::fail(path, ": the chosen tensors take ", floats * sizeof(float) >> 20, " MiB as floats, more than half the memory; pick one with --tensor");
    g.wl.batch = batch;
    g.wl.source = path + ": " + std::to_string(chosen.size()) + (chosen.size() == 1 ? " tensor" : " tensors") + ", built-in activations";
    for (const gguf::tensor_info* t : chosen) {
        layer l{t->name + " " + std::to_string(t->rows()) + "x" + std::to_string(t->cols()) + " " + gguf::name_of(t->type), t->rows(), t->cols(), detail::decode(in, *t), {}};
        l.activations = llm_activations(batch, l.cols, 44);
        g.wl.layers.push_back(std::move(l));
    }
    return g;
}

}  // namespace lowbit::explore
