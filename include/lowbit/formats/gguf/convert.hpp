// lowbit/formats/gguf/convert.hpp - quantize the weights of a GGUF file into a new GGUF file.
//
//     gguf::convert_options opt;
//     opt.type = gguf::tensor_type::q4_K;
//     opt.threads = 2;
//     const auto report = gguf::convert_file("model-f16.gguf", "model-q4_K.gguf", opt);
//
// Which tensor becomes what:
// - F32, F16 or BF16 with two or more dimensions, whose rows are whole blocks of the type: quantized
//   (rows = the product of the dimensions after the first), with the imatrix entry of the same name
//   when one is given and the type has an importance-weighted quantizer;
// - F32, F16 or BF16 with one dimension or none (norms, biases): F32;
// - anything else (already quantized, integer, empty, rows that are not whole blocks): copied
//   unchanged, the report says why.
// The quantized bytes are exactly quantize_rows' (so ggml's) for the F32 values of the input: F16
// and BF16 widen to F32 exactly. All metadata is kept in order; general.quantization_version is set
// to 2 and general.file_type to llama.cpp's file type for the output type. The output is written
// atomically (file_writer.hpp); the input is never modified, and an output path that names the
// input is an error. The type must be one llama.cpp runs as weights (not q8_1 or q8_K).
//
// The imatrix file is a GGUF file in one of two forms (find_importance): lowbit's, a 1-D F32 tensor
// per weight, named like it, one non-negative importance per column; or llama-imatrix's
// `<name>.in_sum2` / `<name>.counts` pairs. An imatrix that names none of the quantized tensors is
// an error (a misspelt or foreign file would otherwise be ignored silently).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <functional>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "lowbit/core/error.hpp"
#include "lowbit/core/half.hpp"
#include "lowbit/formats/gguf/file_reader.hpp"
#include "lowbit/formats/gguf/file_writer.hpp"
#include "lowbit/formats/gguf/runtime_type.hpp"
#include "lowbit/quant/error_stats.hpp"

namespace lowbit::gguf {

struct convert_options {
    tensor_type type = tensor_type::q4_K;
    std::string imatrix;  // path of an imatrix file, or empty
    int threads = 1;
    // Called before each tensor that has bytes is written, (index, count, name), and at the end,
    // (count, count, "").
    std::function<void(std::size_t, std::size_t, const std::string&)> progress;
};

struct tensor_report {
    std::string name;
    std::vector<std::int64_t> dims;
    tensor_type input = tensor_type::f32;
    tensor_type output = tensor_type::f32;
    std::uint64_t input_bytes = 0;
    std::uint64_t output_bytes = 0;
    bool quantized = false;
    bool imatrix = false;
    double sqnr_db = std::numeric_limits<double>::quiet_NaN();  // quantized tensors only; +inf if exact
    std::string note;                                           // why a tensor was kept as it was
};

inline bool is_float_type(tensor_type t) { return t == tensor_type::f32 || t == tensor_type::f16 || t == tensor_type::bf16; }

// `n` elements of an F32, F16 or BF16 tensor as floats (exact); `src` need not be aligned.
inline void to_f32(const std::byte* src, tensor_type type, std::int64_t n, float* dst) {
    const auto count = static_cast<std::size_t>(n);
    if (type == tensor_type::f32) {
        std::memcpy(dst, src, count * sizeof(float));
        return;
    }
    if (!is_float_type(type)) lowbit::detail::fail("gguf to_f32: ", name_of(type), " is not f32, f16 or bf16");
    for (std::size_t i = 0; i < count; ++i) {
        std::uint16_t bits;
        std::memcpy(&bits, src + 2 * i, 2);
        dst[i] = type == tensor_type::f16 ? fp16_bits_to_float(bits) : bf16_bits_to_float(bits);
    }
}

// llama.cpp's llama_ftype for a file whose weights are all of `type`, or 0 when it has none.
inline std::uint32_t llama_file_type(tensor_type type) {
    switch (type) {
        case tensor_type::q4_0: return 2;
        case tensor_type::q4_1: return 3;
        case tensor_type::q8_0: return 7;
        case tensor_type::q5_0: return 8;
        case tensor_type::q5_1: return 9;
        case tensor_type::q2_K: return 10;
        case tensor_type::q3_K: return 11;  // Q3_K_S: every weight Q3_K
        case tensor_type::q4_K: return 14;  // Q4_K_S
        case tensor_type::q5_K: return 16;  // Q5_K_S
        case tensor_type::q6_K: return 18;
        case tensor_type::iq4_nl: return 25;
        case tensor_type::iq4_xs: return 30;
        case tensor_type::tq1_0: return 36;
        case tensor_type::tq2_0: return 37;
        default: return 0;
    }
}

// The importance weights of one weight tensor: `matrices` vectors of its `cols` columns, one per
// 2-D matrix of a 3-D tensor (mixture-of-experts weights) or one shared by all (matrices == 1).
struct tensor_importance {
    std::int64_t matrices = 0;  // 0: none
    std::vector<float> values;
};

namespace detail {

inline std::vector<float> f32_values(const reader& r, const tensor_info& t) {
    if (t.type != tensor_type::f32) lowbit::detail::fail("gguf imatrix: '", t.name, "' is ", name_of(t.type), ", not f32");
    std::vector<float> v(static_cast<std::size_t>(t.elements()));
    if (!v.empty()) std::memcpy(v.data(), r.data(t), v.size() * sizeof(float));  // the mapping may be unaligned for floats
    return v;
}

}  // namespace detail

// Looks up weight `t` in an imatrix file: lowbit's form (a 1-D f32 tensor of the weight's name,
// one value per column) or llama-imatrix's (`<name>.in_sum2`, f32 [cols, n] sums of squared
// activations, and `<name>.counts`, f32 [1, n]; the importance is sum / count, or 1 for a
// matrix that saw no input, as llama.cpp computes it; n is 1 or the number of matrices).
inline tensor_importance find_importance(const reader& imatrix, const tensor_info& t) {
    tensor_importance out;
    const std::int64_t cols = t.cols(), matrices = t.dims.size() > 2 ? t.elements() / (cols * t.dims[1]) : 1;
    if (const tensor_info* w = imatrix.find(t.name)) {
        if (w->dims.size() != 1 || w->cols() != cols)
            lowbit::detail::fail("gguf imatrix: '", t.name, "' holds ", w->elements(), " values in ", w->dims.size(), " dimensions; the weight has ", cols,
                                 " columns");
        out.values = detail::f32_values(imatrix, *w);
        out.matrices = 1;
        return out;
    }
    const tensor_info* sums = imatrix.find(t.name + ".in_sum2");
    const tensor_info* counts = imatrix.find(t.name + ".counts");
    if (sums == nullptr && counts == nullptr) return out;
    if (sums == nullptr || counts == nullptr) lowbit::detail::fail("gguf imatrix: '", t.name, "' has only one of .in_sum2 and .counts");
    const std::int64_t n = sums->cols() == cols ? sums->rows() : -1;
    if (n != 1 && n != matrices)
        lowbit::detail::fail("gguf imatrix: '", sums->name, "' has ", sums->cols(), " x ", sums->rows(), " values; the weight has ", cols, " columns and ",
                             matrices, " matrices");
    if (counts->elements() != n) lowbit::detail::fail("gguf imatrix: '", counts->name, "' has ", counts->elements(), " values, not ", n);
    const std::vector<float> s = detail::f32_values(imatrix, *sums), c = detail::f32_values(imatrix, *counts);
    out.values.resize(s.size());
    for (std::size_t m = 0; m < c.size(); ++m)
        for (std::size_t i = 0; i < static_cast<std::size_t>(cols); ++i) {
            const std::size_t k = m * static_cast<std::size_t>(cols) + i;
            out.values[k] = c[m] > 0.f ? s[k] / c[m] : 1.f;
        }
    out.matrices = n;
    return out;
}

// Whether ggml and llama.cpp can run a file whose weights are `type` (llama.cpp names a file type
// for it): Q8_1 and Q8_K are activation formats, kept for the raw mode.
inline bool is_weight_type(tensor_type type) { return llama_file_type(type) != 0; }

inline std::vector<tensor_report> convert_file(const std::string& in_path, const std::string& out_path, const convert_options& opt) {
    if (!has_codec(opt.type) || !is_weight_type(opt.type))
        lowbit::detail::fail("gguf convert: ", name_of(opt.type), " is not a weight type llama.cpp runs (q4_0, q4_1, q5_0, q5_1, q8_0, q2_K, q3_K, q4_K, q5_K, ",
                             "q6_K, iq4_nl, iq4_xs, tq1_0, tq2_0)");
    if (opt.threads < 1) lowbit::detail::fail("gguf convert: threads = ", opt.threads, " must be at least 1");
    const reader in(in_path);
    if (in.file().same_file(out_path)) lowbit::detail::fail("gguf convert: the output '", out_path, "' is the input file");
    std::unique_ptr<reader> imatrix;
    if (!opt.imatrix.empty()) imatrix = std::make_unique<reader>(opt.imatrix);
    const int block = traits_of(opt.type).block_size;

    metadata meta = in.meta();
    meta.set("general.quantization_version", value(std::uint32_t{2}));
    meta.set("general.file_type", value(llama_file_type(opt.type)));

    const std::size_t count = in.tensors().size();
    std::vector<tensor_report> report;
    std::vector<tensor_importance> importance(count);
    bool any_quantized = false, any_importance = false;
    for (std::size_t i = 0; i < count; ++i) {
        const tensor_info& t = in.tensors()[i];
        tensor_report r;
        r.name = t.name;
        r.dims = t.dims;
        r.input = t.type;
        r.input_bytes = t.bytes;
        const bool floats = is_float_type(t.type);
        if (floats && t.dims.size() >= 2 && t.cols() % block == 0 && t.elements() != 0) {
            r.output = opt.type;
            r.quantized = true;
        } else if (floats && t.dims.size() <= 1) {
            r.output = tensor_type::f32;
        } else {
            r.output = t.type;
            r.note = !floats ? std::string("kept: already ") + name_of(t.type)
                   : t.elements() == 0 ? std::string("kept: empty")
                                        : "kept: " + std::to_string(t.cols()) + " columns are not whole " + name_of(opt.type) + " blocks";
        }
        if (r.quantized && imatrix && has_importance(opt.type)) {
            importance[i] = find_importance(*imatrix, t);
            r.imatrix = importance[i].matrices != 0;
        }
        any_quantized = any_quantized || r.quantized;
        any_importance = any_importance || r.imatrix;
        r.output_bytes = tensor_bytes(r.output, t.dims, t.name);
        report.push_back(r);
    }
    if (imatrix && has_importance(opt.type) && any_quantized && !any_importance)
        lowbit::detail::fail("gguf convert: the imatrix '", opt.imatrix, "' names none of the tensors to quantize");

    std::vector<tensor_source> sources;
    std::vector<float> x, y;  // one tensor as floats, and its round trip
    for (std::size_t i = 0; i < count; ++i) {
        const tensor_info& t = in.tensors()[i];
        sources.push_back({t.name, t.dims, report[i].output, [&, i](std::byte* dst, std::size_t bytes) {
                               const tensor_info& ti = in.tensors()[i];
                               tensor_report& rep = report[i];
                               if (opt.progress) opt.progress(i, count, ti.name);
                               const std::byte* src = in.data(ti);
                               if (rep.output == ti.type) {
                                   std::memcpy(dst, src, bytes);
                                   return;
                               }
                               const auto n = static_cast<std::size_t>(ti.elements());
                               x.resize(n);
                               to_f32(src, ti.type, ti.elements(), x.data());
                               if (!rep.quantized) {
                                   std::memcpy(dst, x.data(), bytes);
                                   return;
                               }
                               // One call per matrix when each has its own importance.
                               const tensor_importance& w = importance[i];
                               const std::int64_t parts = w.matrices > 1 ? w.matrices : 1, cols = ti.cols(), rows = ti.rows() / parts;
                               const std::size_t part_bytes = bytes / static_cast<std::size_t>(parts);
                               for (std::int64_t m = 0; m < parts; ++m) {
                                   const float* qw = w.matrices == 0 ? nullptr : w.values.data() + (w.matrices > 1 ? m * cols : 0);
                                   try {
                                       quantize_rows(rep.output, x.data() + m * rows * cols, rows, cols, dst + static_cast<std::size_t>(m) * part_bytes, part_bytes,
                                                     qw, opt.threads);
                                   } catch (const error& e) {
                                       lowbit::detail::fail("tensor '", ti.name, "': ", e.what());
                                   }
                               }
                               y.resize(n);
                               dequantize_rows(rep.output, dst, bytes, ti.rows(), cols, y.data(), n, opt.threads);
                               rep.sqnr_db = compare({x.data(), ti.rows(), cols}, {y.data(), ti.rows(), cols}).sqnr_db;
                           }});
    }
    write_file(out_path, meta, sources);
    if (opt.progress) opt.progress(count, count, "");
    return report;
}

}  // namespace lowbit::gguf
