// lowbit-explore's reports: the tables (aligned text for stdout, Markdown), JSON for scripts, and
// an SVG with the roofline and error-vs-size plots. All from one `report`.
//
// Roofline: a kernel at operational intensity I = operations per weight byte (2 M K N / packed
// weight bytes; activations and outputs are left out, they are small beside the weights up to
// M = 64) can reach at most min(int8 dot peak, I x bandwidth), with the L3 read probe as the
// bandwidth of hot runs and the DRAM probe for cold ones, each measured again just before the
// kernel's runs; "roof" is the measured GOP/s over that.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "figures.hpp"
#include "machine.hpp"
#include "../text.hpp"

namespace lowbit::explore {

struct report {
    std::string workload;  // one line: what the weights and activations are
    std::string timed_layer;
    std::int64_t batch = 0;
    machine host;
    std::vector<scheme_report> schemes;
};

// One number in a printf format that takes a double.
inline std::string format(const char* fmt, double v) {
    char buf[64];
    std::snprintf(buf, sizeof buf, fmt, v);
    return buf;
}

// The roof a measurement is held against, in GOP/s (0: no peak measured on this build).
inline double roof_gops(const machine& m, const throughput& t, bool hot) {
    if (!t.measured || t.weight_bytes <= 0) return 0;
    const double bandwidth = t.bandwidth_gbps > 0 ? t.bandwidth_gbps : hot ? m.l3_gbps.median : m.dram_gbps.median;
    const double memory_roof = t.ops / t.weight_bytes * bandwidth;
    return m.int8_gops.median > 0 ? std::min(memory_roof, m.int8_gops.median) : memory_roof;
}

struct table {
    std::vector<std::string> header;
    std::vector<std::vector<std::string>> rows;
};

inline table size_error_table(const report& r) {
    table t{{"scheme", "bits/w", "MiB", "vs f32", "vs f16", "SQNR dB", "max |err|", "cosine", "output err", "quantize GB/s"}, {}};
    for (const scheme_report& s : r.schemes) {
        const double f32_bytes = 4.0 * static_cast<double>(s.weights);
        t.rows.push_back({s.name, format("%.3f", s.bits_per_weight), format("%.1f", static_cast<double>(s.bytes) / (1024.0 * 1024.0)),
                          format("%.2fx", f32_bytes / static_cast<double>(s.bytes)), format("%.2fx", f32_bytes / 2 / static_cast<double>(s.bytes)),
                          format("%.2f", s.error.sqnr_db), format("%.5f", s.error.max_abs), format("%.6f", s.error.cosine),
                          format("%.2e", s.error.output_rel),
                          format("%.2f", s.quantize_gbps.median) + " (" + format("%.2f", s.quantize_gbps.low) + "-" + format("%.2f", s.quantize_gbps.high) + ")"});
    }
    return t;
}

inline std::string throughput_cell(const machine& m, const throughput& t, bool hot) {
    if (!t.measured) return "-";
    const double roof = roof_gops(m, t, hot);
    std::string s = format("%.1f", t.gops.median) + " (" + format("%.1f", t.gops.low) + "-" + format("%.1f", t.gops.high) + ")";
    if (roof > 0) s += " " + format("%.0f%%", 100.0 * t.gops.median / roof);
    return s;
}

inline table kernel_table(const report& r) {
    const std::string b = std::to_string(r.batch);
    table t{{"scheme", "kernel", "packed MiB", "GEMV hot", "GEMV cold", "GEMM M=" + b + " hot", "GEMM M=" + b + " cold"}, {}};
    for (const scheme_report& s : r.schemes) {
        const kernel_figures& k = s.kernel;
        const std::string packed = k.gemv_hot.measured ? format("%.1f", k.gemv_hot.weight_bytes / (1024.0 * 1024.0)) : "-";
        t.rows.push_back({s.name, k.name, packed, throughput_cell(r.host, k.gemv_hot, true), throughput_cell(r.host, k.gemv_cold, false),
                          throughput_cell(r.host, k.gemm_hot, true), throughput_cell(r.host, k.gemm_cold, false)});
    }
    return t;
}

inline std::string l3_cache_text(const machine& m) { return m.l3_cache_bytes > 0 ? std::to_string(m.l3_cache_bytes >> 20) + " MiB" : "unknown"; }

inline std::vector<std::pair<std::string, std::string>> machine_lines(const machine& m) {
    const auto probe = [](const rate& r, const char* unit) {
        return format("%.1f ", r.median) + unit + " (" + format("%.1f", r.low) + "-" + format("%.1f", r.high) + ")";
    };
    return {{"CPU", m.cpu},
            {"features", m.features},
            {"kernels compiled for", m.arch_tag},
            {"int8 dot peak", m.int8_instruction.empty() ? "not measured (no probe for this build)" : probe(m.int8_gops, "GOP/s") + ", " + m.int8_instruction},
            {"f32 FMA peak", m.f32_instruction.empty() ? "not measured (no probe for this build)" : probe(m.f32_gflops, "GFLOP/s") + ", " + m.f32_instruction},
            {"DRAM read", probe(m.dram_gbps, "GB/s") + ", " + std::to_string(m.dram_probe_mib) + " MiB"},
            {"L3 read", probe(m.l3_gbps, "GB/s") + ", " + std::to_string(m.l3_probe_mib) + " MiB"},
            {"L3 cache", l3_cache_text(m)}};
}

// ---- aligned text and Markdown

inline void write_text_table(std::FILE* f, const table& t) {
    std::vector<std::size_t> width(t.header.size());
    for (std::size_t c = 0; c < width.size(); ++c) {
        width[c] = t.header[c].size();
        for (const auto& row : t.rows) width[c] = std::max(width[c], row[c].size());
    }
    const auto line = [&](const std::vector<std::string>& cells) {
        for (std::size_t c = 0; c < cells.size(); ++c)
            std::fprintf(f, c == 0 ? "%-*s" : "  %*s", static_cast<int>(width[c]), cells[c].c_str());
        std::fputc('\n', f);
    };
    line(t.header);
    for (const auto& row : t.rows) line(row);
}

inline std::string notes_text(const report& r) {
    return "Timings: median (slowest-fastest run) of one thread; GOP/s = 2 M K N per second; the percentage is of the roof:\n"
           "min(int8 dot peak, operations per weight byte x bandwidth), L3 read for hot runs, DRAM read for cold ones,\n"
           "each probe read again just before the kernel's runs.\n"
           "hot: the same packed weights every call, from cache where they fit in it (L3: " + l3_cache_text(r.host) + "); cold: a new copy\n"
           "every call, from DRAM. packed MiB: the weights one call reads, scales included.\n"
           "-: not measured (no integer kernel yet, or a layer too small to time from DRAM).\n"
           "output err: ||X W'^T - X W^T||_F / ||X W^T||_F with float activations, over every layer.\n";
}

inline void write_text(std::FILE* f, const report& r) {
    std::fprintf(f, "lowbit-explore: %s\n\n", r.workload.c_str());
    for (const auto& [k, v] : machine_lines(r.host)) std::fprintf(f, "  %-22s %s\n", k.c_str(), v.c_str());
    std::fprintf(f, "\nSize and error (every layer)\n\n");
    write_text_table(f, size_error_table(r));
    std::fprintf(f, "\nKernels (layer %s, one thread, GOP/s)\n\n", r.timed_layer.c_str());
    write_text_table(f, kernel_table(r));
    std::fprintf(f, "\n%s", notes_text(r).c_str());
}

inline void write_markdown_table(std::FILE* f, const table& t) {
    const auto line = [&](const std::vector<std::string>& cells) {
        std::fputc('|', f);
        for (const auto& c : cells) std::fprintf(f, " %s |", tools::markdown_text(c).c_str());
        std::fputc('\n', f);
    };
    line(t.header);
    std::fputc('|', f);
    for (std::size_t c = 0; c < t.header.size(); ++c) std::fputs(c == 0 ? "---|" : "---:|", f);
    std::fputc('\n', f);
    for (const auto& row : t.rows) line(row);
}

inline void write_markdown(std::FILE* f, const report& r) {
    std::fprintf(f, "# lowbit-explore\n\n%s\n\n## Machine\n\n", tools::markdown_text(r.workload).c_str());
    write_markdown_table(f, {{"", ""}, [&] {
                                 std::vector<std::vector<std::string>> rows;
                                 for (const auto& [k, v] : machine_lines(r.host)) rows.push_back({k, v});
                                 return rows;
                             }()});
    std::fprintf(f, "\n## Size and error (every layer)\n\n");
    write_markdown_table(f, size_error_table(r));
    std::fprintf(f, "\n## Kernels (layer %s, one thread, GOP/s)\n\n", tools::markdown_text(r.timed_layer).c_str());
    write_markdown_table(f, kernel_table(r));
    std::fprintf(f, "\n%s", tools::markdown_text(notes_text(r)).c_str());
}

// ---- JSON

// A finite number, or null (JSON has no infinity: the SQNR of an exact scheme).
inline std::string json_number(double v) { return std::isfinite(v) ? format("%.9g", v) : "null"; }

inline std::string json_rate(const rate& r) {
    return "{\"median\": " + json_number(r.median) + ", \"low\": " + json_number(r.low) + ", \"high\": " + json_number(r.high) + "}";
}

inline std::string json_throughput(const machine& m, const throughput& t, bool hot) {
    if (!t.measured) return "null";
    return "{\"gops\": " + json_rate(t.gops) + ", \"ops_per_call\": " + json_number(t.ops) + ", \"weight_bytes\": " + json_number(t.weight_bytes) +
           ", \"bandwidth_gbps\": " + json_number(t.bandwidth_gbps) + ", \"roof_gops\": " + json_number(roof_gops(m, t, hot)) + "}";
}

inline void write_json(std::FILE* f, const report& r) {
    const machine& m = r.host;
    std::fprintf(f, "{\n  \"workload\": %s,\n  \"timed_layer\": %s,\n  \"batch\": %lld,\n", tools::json_string(r.workload).c_str(), tools::json_string(r.timed_layer).c_str(),
                 static_cast<long long>(r.batch));
    std::fprintf(f, "  \"machine\": {\"cpu\": %s, \"features\": %s, \"arch_tag\": %s, \"int8_instruction\": %s, \"int8_gops\": %s, ",
                 tools::json_string(m.cpu).c_str(), tools::json_string(m.features).c_str(), tools::json_string(m.arch_tag).c_str(), tools::json_string(m.int8_instruction).c_str(),
                 json_rate(m.int8_gops).c_str());
    std::fprintf(f, "\"f32_instruction\": %s, \"f32_gflops\": %s, \"dram_read_gbps\": %s, \"l3_read_gbps\": %s, \"l3_cache_bytes\": %llu},\n  \"schemes\": [\n",
                 tools::json_string(m.f32_instruction).c_str(), json_rate(m.f32_gflops).c_str(), json_rate(m.dram_gbps).c_str(), json_rate(m.l3_gbps).c_str(),
                 static_cast<unsigned long long>(m.l3_cache_bytes));
    for (std::size_t i = 0; i < r.schemes.size(); ++i) {
        const scheme_report& s = r.schemes[i];
        const kernel_figures& k = s.kernel;
        std::fprintf(f, "    {\"name\": %s, \"family\": %s, \"bits_per_weight\": %s, \"bytes\": %llu, \"weights\": %llu,\n", tools::json_string(s.name).c_str(),
                     tools::json_string(s.family).c_str(), json_number(s.bits_per_weight).c_str(), static_cast<unsigned long long>(s.bytes),
                     static_cast<unsigned long long>(s.weights));
        std::fprintf(f, "     \"sqnr_db\": %s, \"max_abs_error\": %s, \"cosine\": %s, \"output_rel_error\": %s, \"quantize_gbps\": %s,\n",
                     json_number(s.error.sqnr_db).c_str(), json_number(s.error.max_abs).c_str(), json_number(s.error.cosine).c_str(),
                     json_number(s.error.output_rel).c_str(), json_rate(s.quantize_gbps).c_str());
        std::fprintf(f, "     \"kernel\": {\"name\": %s, \"exists\": %s, \"gemv_hot\": %s, \"gemv_cold\": %s, \"gemm_hot\": %s, \"gemm_cold\": %s}}%s\n",
                     tools::json_string(k.name).c_str(), k.exists ? "true" : "false", json_throughput(m, k.gemv_hot, true).c_str(),
                     json_throughput(m, k.gemv_cold, false).c_str(), json_throughput(m, k.gemm_hot, true).c_str(),
                     json_throughput(m, k.gemm_cold, false).c_str(), i + 1 < r.schemes.size() ? "," : "");
    }
    std::fprintf(f, "  ]\n}\n");
}

}  // namespace lowbit::explore
