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
// - anything else (already quantized, integer, rows that are not whole blocks): copied unchanged,
//   the report says why.
// The quantized bytes are exactly quantize_rows' (so ggml's) for the F32 values of the input: F16
// and BF16 widen to F32 exactly. All metadata is kept in order; general.quantization_version is set
// to 2 and general.file_type to llama.cpp's file type for the output type (removed when llama.cpp
// has none). The output is written atomically (file_writer.hpp); the input is never modified, and
// an output path that names the input is an error.
//
// The imatrix file is a GGUF file of one-dimensional F32 tensors, each named like the weight it
// belongs to and holding one non-negative importance per column of that weight.
#pragma once

#include <cmath>
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

namespace lowbit::gguf {

struct convert_options {
    tensor_type type = tensor_type::q4_K;
    std::string imatrix;  // path of an imatrix file, or empty
    int threads = 1;
    // Called before each tensor is written: (index, count, name).
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

// 10 log10(sum x^2 / sum (x - y)^2) in double; +inf when y == x.
inline double sqnr_db(const float* x, const float* y, std::size_t n) {
    double signal = 0, noise = 0;
    for (std::size_t i = 0; i < n; ++i) {
        const double d = static_cast<double>(x[i]) - static_cast<double>(y[i]);
        signal += static_cast<double>(x[i]) * static_cast<double>(x[i]);
        noise += d * d;
    }
    if (noise == 0) return std::numeric_limits<double>::infinity();
    return 10 * std::log10(signal / noise);
}

inline std::vector<tensor_report> convert_file(const std::string& in_path, const std::string& out_path, const convert_options& opt) {
    if (!has_codec(opt.type)) lowbit::detail::fail("gguf convert: lowbit cannot quantize to ", name_of(opt.type));
    if (opt.threads < 1) lowbit::detail::fail("gguf convert: threads = ", opt.threads, " must be at least 1");
    const reader in(in_path);
    if (in.file().same_file(out_path)) lowbit::detail::fail("gguf convert: the output '", out_path, "' is the input file");
    std::unique_ptr<reader> imatrix;
    if (!opt.imatrix.empty()) imatrix = std::make_unique<reader>(opt.imatrix);
    const int block = traits_of(opt.type).block_size;

    metadata meta = in.meta();
    meta.set("general.quantization_version", value(std::uint32_t{2}));
    if (const std::uint32_t ft = llama_file_type(opt.type)) meta.set("general.file_type", value(ft));
    else meta.erase("general.file_type");

    std::vector<tensor_report> report;
    std::vector<tensor_source> sources;
    std::vector<float> x, y;  // one tensor as floats, and its round trip
    const std::size_t count = in.tensors().size();
    for (std::size_t i = 0; i < count; ++i) {
        const tensor_info& t = in.tensors()[i];
        tensor_report r;
        r.name = t.name;
        r.dims = t.dims;
        r.input = t.type;
        r.input_bytes = t.bytes;
        const bool floats = is_float_type(t.type);
        if (floats && t.dims.size() >= 2 && t.cols() % block == 0) {
            r.output = opt.type;
            r.quantized = true;
        } else if (floats && t.dims.size() <= 1) {
            r.output = tensor_type::f32;
        } else {
            r.output = t.type;
            r.note = !floats ? std::string("kept: already ") + name_of(t.type)
                             : "kept: " + std::to_string(t.cols()) + " columns are not whole " + name_of(opt.type) + " blocks";
        }
        const float* importance = nullptr;
        if (r.quantized && imatrix && has_importance(opt.type)) {
            if (const tensor_info* w = imatrix->find(t.name)) {
                if (w->type != tensor_type::f32 || w->dims.size() != 1 || w->cols() != t.cols())
                    lowbit::detail::fail("gguf convert: imatrix entry '", t.name, "' must be ", t.cols(), " f32 values (one per column), it is ",
                                         name_of(w->type), " with ", w->elements(), " elements");
                importance = reinterpret_cast<const float*>(imatrix->data(*w));
                r.imatrix = true;
            }
        }
        r.output_bytes = tensor_bytes(r.output, t.dims, t.name);
        report.push_back(r);
        sources.push_back({t.name, t.dims, r.output, [&, i, importance](std::byte* dst, std::size_t bytes) {
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
                               // The imatrix mapping may be unaligned for floats: copy it.
                               std::vector<float> qw;
                               if (importance != nullptr) {
                                   qw.resize(static_cast<std::size_t>(ti.cols()));
                                   std::memcpy(qw.data(), importance, qw.size() * sizeof(float));
                               }
                               try {
                                   quantize_rows(rep.output, x.data(), ti.rows(), ti.cols(), dst, bytes, qw.empty() ? nullptr : qw.data(), opt.threads);
                               } catch (const error& e) {
                                   lowbit::detail::fail("tensor '", ti.name, "': ", e.what());
                               }
                               y.resize(n);
                               dequantize_rows(rep.output, dst, bytes, ti.rows(), ti.cols(), y.data(), n, opt.threads);
                               rep.sqnr_db = sqnr_db(x.data(), y.data(), n);
                           }});
    }
    write_file(out_path, meta, sources);
    if (opt.progress) opt.progress(count, count, "");
    return report;
}

}  // namespace lowbit::gguf
