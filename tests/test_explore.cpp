// lowbit-explore's figures and report writers (tools/explore/): the error figures against a direct
// double-precision computation, the timing summaries and roofs, and the writers' output shape.
// tests/check_explore_reports.py parses the real tool's Markdown, SVG (as XML) and JSON.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "explore/error_figures.hpp"
#include "explore/report.hpp"
#include "explore/svg_plots.hpp"
#include "text.hpp"
#include "explore/timing.hpp"
#include "explore/workload.hpp"

using namespace lowbit::explore;
using namespace lowbit::tools;

namespace {

struct direct_figures {
    double sqnr_db, max_abs, cosine, output_rel;
};

// The definitions of error_figures.hpp, written out in double loops.
direct_figures direct(const std::vector<const layer*>& layers, const std::vector<std::vector<float>>& backs, std::int64_t batch) {
    double s = 0, n = 0, d = 0, b2 = 0, mx = 0, yr = 0, ye = 0;
    for (std::size_t li = 0; li < layers.size(); ++li) {
        const layer& l = *layers[li];
        const std::vector<float>& back = backs[li];
        for (std::size_t i = 0; i < l.weights.size(); ++i) {
            const double a = l.weights[i], b = back[i];
            s += a * a;
            n += (a - b) * (a - b);
            d += a * b;
            b2 += b * b;
            mx = std::max(mx, std::abs(a - b));
        }
        for (std::int64_t m = 0; m < batch; ++m)
            for (std::int64_t r = 0; r < l.rows; ++r) {
                double y = 0, yq = 0;
                for (std::int64_t c = 0; c < l.cols; ++c) {
                    const double x = l.activations[static_cast<std::size_t>(m * l.cols + c)];
                    y += x * l.weights[static_cast<std::size_t>(r * l.cols + c)];
                    yq += x * back[static_cast<std::size_t>(r * l.cols + c)];
                }
                yr += y * y;
                ye += (yq - y) * (yq - y);
            }
    }
    return {10 * std::log10(s / n), mx, d / std::sqrt(s * b2), std::sqrt(ye / yr)};
}

// Weights rounded to a grid of `step`: an error source independent of lowbit's quantizers.
std::vector<float> on_grid(const std::vector<float>& w, float step) {
    std::vector<float> out(w.size());
    for (std::size_t i = 0; i < w.size(); ++i) out[i] = step * std::round(w[i] / step);
    return out;
}

layer small_layer(std::int64_t rows, std::int64_t cols, std::int64_t batch, unsigned seed) {
    layer l = llm_layer("small", rows, cols, seed);
    l.activations = llm_activations(batch, cols, seed + 1);
    return l;
}

}  // namespace

TEST_CASE("explore: the error figures of two layers agree with a direct double computation") {
    const std::int64_t batch = 5;
    const layer a = small_layer(37, 64, batch, 1), b = small_layer(11, 64, batch, 2);
    const std::vector<std::vector<float>> backs = {on_grid(a.weights, 0.01f), on_grid(b.weights, 0.03f)};
    error_sums sums;
    sums.add(a.weights.data(), backs[0].data(), a.rows, a.cols, a.activations.data(), batch);
    sums.add(b.weights.data(), backs[1].data(), b.rows, b.cols, b.activations.data(), batch);
    const error_figures f = sums.figures();
    const direct_figures e = direct({&a, &b}, backs, batch);
    CHECK(f.sqnr_db == Approx(e.sqnr_db).epsilon(1e-12));
    CHECK(f.max_abs == Approx(e.max_abs).epsilon(1e-12));
    CHECK(f.cosine == Approx(e.cosine).epsilon(1e-12));
    CHECK(f.output_rel == Approx(e.output_rel).epsilon(1e-4));  // the products run in float
    // Rounding to a grid of step h errs by at most h / 2.
    CHECK(f.max_abs <= 0.03 / 2 + 1e-7);
    CHECK(f.sqnr_db > 0);
    CHECK(f.output_rel > 0);
}

TEST_CASE("explore: exact weights have no error") {
    const layer a = small_layer(8, 32, 3, 5);
    error_sums sums;
    sums.add(a.weights.data(), a.weights.data(), a.rows, a.cols, a.activations.data(), 3);
    const error_figures f = sums.figures();
    CHECK(std::isinf(f.sqnr_db));
    CHECK(f.max_abs == 0);
    CHECK(f.cosine == Approx(1.0).epsilon(1e-12));
    CHECK(f.output_rel == 0);
}

TEST_CASE("explore: coarser grids give larger errors") {
    const layer a = small_layer(16, 128, 4, 9);
    double last_sqnr = std::numeric_limits<double>::infinity(), last_out = 0;
    for (float step : {0.001f, 0.01f, 0.05f}) {
        const std::vector<float> back = on_grid(a.weights, step);
        error_sums sums;
        sums.add(a.weights.data(), back.data(), a.rows, a.cols, a.activations.data(), 4);
        const error_figures f = sums.figures();
        CHECK(f.sqnr_db < last_sqnr);
        CHECK(f.output_rel > last_out);
        last_sqnr = f.sqnr_db;
        last_out = f.output_rel;
    }
}

TEST_CASE("explore: the default workload is deterministic and has outlier channels") {
    const workload w = default_workload(8), again = default_workload(8);
    REQUIRE(w.layers.size() == 2);
    CHECK(w.layers[0].rows == 512);
    CHECK(w.layers[1].rows == 1376);
    CHECK(w.batch == 64);
    for (std::size_t i = 0; i < w.layers.size(); ++i) {
        const layer& l = w.layers[i];
        CHECK(l.cols == 512);
        CHECK(l.weights == again.layers[i].weights);
        CHECK(l.activations.size() == static_cast<std::size_t>(w.batch * l.cols));
        // Mean |w| per input channel: the outliers stand 8x above the median channel.
        std::vector<double> col(static_cast<std::size_t>(l.cols), 0.0);
        for (std::size_t k = 0; k < l.weights.size(); ++k) col[k % col.size()] += std::abs(l.weights[k]);
        std::vector<double> sorted = col;
        std::sort(sorted.begin(), sorted.end());
        CHECK(sorted.back() > 5 * sorted[sorted.size() / 2]);
    }
    CHECK_THROWS_AS(default_workload(0), lowbit::error);
    CHECK_THROWS_AS(default_workload(3), lowbit::error);  // 11008 / 3 is not whole
    CHECK_THROWS_AS(default_workload(32), lowbit::error);
}

TEST_CASE("explore: outlier channels are distinct, however narrow the layer") {
    for (const std::int64_t cols : {std::int64_t{1}, std::int64_t{6}, std::int64_t{7}, std::int64_t{4096}}) {
        detail::deterministic_source src(3);
        const std::vector<float> gain = detail::channel_gains(src, cols, 8.0f);
        CHECK(std::count(gain.begin(), gain.end(), 8.0f) == std::min<std::int64_t>(6, cols));
        CHECK(std::count(gain.begin(), gain.end(), 1.0f) == cols - std::min<std::int64_t>(6, cols));
    }
    detail::deterministic_source src(1);
    CHECK_THROWS_AS(src.index(0), lowbit::error);
}

TEST_CASE("explore: the timed layer is the largest that fits the cache, else the smallest") {
    workload w;
    for (const auto& [rows, cols] : {std::pair<std::int64_t, std::int64_t>{32000, 4096}, {4096, 4096}, {1024, 4096}, {11008, 4096}})
        w.layers.push_back({"l", rows, cols, {}, {}});
    CHECK(choose_timed_layer(w, std::uint64_t{32} << 20) == 1);  // 16 MiB of int8 fits, 43 MiB does not
    CHECK(choose_timed_layer(w, std::uint64_t{64} << 20) == 3);
    CHECK(choose_timed_layer(w, std::uint64_t{8} << 20) == 2);   // only 4 MiB fits
    CHECK(choose_timed_layer(w, std::uint64_t{1} << 20) == 2);   // none fits: the smallest
    CHECK(choose_timed_layer(w, 0) == 2);                        // unknown cache
    CHECK(choose_timed_layer(w, std::uint64_t{1} << 40) == 0);   // everything fits: the largest
    CHECK_THROWS_AS(choose_timed_layer(workload{}, 1), lowbit::error);
}

TEST_CASE("explore: outside text becomes valid UTF-8 without control characters") {
    CHECK(clean_text("attn.q \xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80") == "attn.q \xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80");  // valid: kept
    CHECK(clean_text("a\nb\x1b[2Jc\x7f") == "a?b?[2Jc?");
    CHECK(clean_text("\xC2\x85") == "?");                                        // C1 control NEL
    const std::string bad = "\xEF\xBF\xBD";
    CHECK(clean_text("x\xFFy") == "x" + bad + "y");                                // never valid
    CHECK(clean_text("\xC0\x80") == bad + bad);                                   // overlong NUL
    CHECK(clean_text("\xED\xA0\x80") == bad + bad + bad);                        // a surrogate
    CHECK(clean_text("\xF4\x90\x80\x80") == bad + bad + bad + bad);             // above U+10FFFF
    CHECK(clean_text("ab\xE2\x82") == "ab" + bad + bad);                          // cut short
}

TEST_CASE("explore: Markdown, XML and JSON escaping") {
    CHECK(markdown_text("a|b") == "a\\|b");
    CHECK(markdown_text("a\\|b") == "a\\\\\\|b");  // the backslash cannot swallow the escape
    CHECK(markdown_text("*x_<y>`") == "\\*x\\_\\<y\\>\\`");
    CHECK(xml_text("<a & \"b\">\x01\t") == "&lt;a &amp; &quot;b&quot;&gt;\t");
    CHECK(json_string("q\"\\\n") == "\"q\\\"\\\\\\u000a\"");
}


TEST_CASE("explore: timing summaries and rates") {
    const timing odd = summarize({3.0, 1.0, 2.0});
    CHECK(odd.median == 2.0);
    CHECK(odd.min == 1.0);
    CHECK(odd.max == 3.0);
    CHECK(odd.runs == 3);
    CHECK(summarize({4.0, 1.0, 2.0, 3.0}).median == 2.5);
    CHECK(summarize({}).runs == 0);
    const rate r = rate_of(6.0, odd);
    CHECK(r.median == 3.0);
    CHECK(r.low == 2.0);
    CHECK(r.high == 6.0);
    CHECK(rate_of(1.0, summarize({})).median == 0);
}

namespace {

report synthetic_report() {
    report r;
    r.workload = "a test workload with <angle> & \"quotes\" | pipes \\| and a backslash";
    r.timed_layer = "attn | 64x64";
    r.batch = 8;
    r.host.cpu = "Test <CPU> & \"Co\" | 1";
    r.host.arch_tag = "scalar";
    r.host.int8_instruction = "VPDPBUSD zmm";
    r.host.int8_gops = {1000, 900, 1100};
    r.host.f32_instruction = "VFMADD231PS zmm";
    r.host.f32_gflops = {250, 240, 260};
    r.host.dram_gbps = {40, 38, 42};
    r.host.l3_gbps = {100, 90, 110};
    scheme_report with;
    with.name = "int4 g32 sym <a|b>";
    with.family = "lowbit";
    with.bits_per_weight = 5;
    with.bytes = 2560;
    with.weights = 4096;
    with.error = {17.0, 0.1, 0.99, 0.15};
    with.quantize_gbps = {20, 19, 21};
    with.kernel.name = "linear_a8 scalar";
    with.kernel.exists = true;
    const double ops = 2.0 * 64 * 64;
    with.kernel.gemv_hot = {{50, 45, 55}, 2560, ops, true};
    with.kernel.gemv_cold = {{30, 25, 35}, 2560, ops, true};
    with.kernel.gemm_hot = {{400, 380, 420}, 2560, ops * 8, true};
    with.kernel.gemm_cold = {{390, 370, 410}, 2560, ops * 8, true};
    scheme_report without = with;
    without.name = "int2 g64 affine";
    without.error.sqnr_db = std::numeric_limits<double>::infinity();  // JSON writes null
    without.kernel = {"no kernel yet", false, {}, {}, {}, {}};
    r.schemes = {with, without};
    return r;
}

std::string written(void (*writer)(std::FILE*, const report&), const report& r) {
    std::FILE* f = std::tmpfile();
    REQUIRE(f != nullptr);
    writer(f, r);
    std::rewind(f);
    std::string s;
    for (int c = std::fgetc(f); c != EOF; c = std::fgetc(f)) s += static_cast<char>(c);
    std::fclose(f);
    return s;
}

std::vector<std::string> lines_of(const std::string& s) {
    std::vector<std::string> out;
    std::size_t start = 0;
    for (std::size_t i = 0; i <= s.size(); ++i)
        if (i == s.size() || s[i] == '\n') {
            out.push_back(s.substr(start, i - start));
            start = i + 1;
        }
    return out;
}

// Unescaped '|' in a Markdown table line (a backslash escapes the character after it): its cell
// count plus one.
std::size_t pipes(const std::string& line) {
    std::size_t n = 0;
    for (std::size_t i = 0; i < line.size(); ++i) {
        if (line[i] == '\\') ++i;
        else if (line[i] == '|') ++n;
    }
    return n;
}

}  // namespace

TEST_CASE("explore: the roof is the lower of the memory roof and the int8 peak") {
    const report r = synthetic_report();
    const throughput& gemv = r.schemes[0].kernel.gemv_cold;
    // 8192 ops over 2560 bytes at 40 GB/s: 128 GOP/s, under the 1000 GOP/s peak.
    CHECK(roof_gops(r.host, gemv, false) == Approx(8192.0 / 2560 * 40));
    CHECK(roof_gops(r.host, gemv, true) == Approx(8192.0 / 2560 * 100));
    throughput dense = gemv;
    dense.ops *= 1000;
    CHECK(roof_gops(r.host, dense, true) == 1000);
    CHECK(roof_gops(r.host, throughput{}, true) == 0);
    throughput beside = gemv;  // a probe measured beside the kernel replaces the machine's
    beside.bandwidth_gbps = 20;
    CHECK(roof_gops(r.host, beside, false) == Approx(8192.0 / 2560 * 20));
}

TEST_CASE("explore: the Markdown test counts a table's cells as Markdown does") {
    CHECK(pipes("| a | b |") == 3);
    CHECK(pipes("| a \\| b |") == 2);      // an escaped pipe
    CHECK(pipes("| a \\\\| b |") == 3);    // an escaped backslash, then a pipe
    CHECK(pipes("") == 0);
}

TEST_CASE("explore: Markdown tables have a header, a rule and rows of the same width") {
    const report r = synthetic_report();
    const std::vector<std::string> lines = lines_of(written(write_markdown, r));
    int tables = 0;
    for (std::size_t i = 0; i + 1 < lines.size(); ++i) {
        if (lines[i].empty() || lines[i][0] != '|' || (i > 0 && !lines[i - 1].empty() && lines[i - 1][0] == '|')) continue;
        ++tables;  // a table starts: header, then the rule, then rows until a blank line
        const std::size_t width = pipes(lines[i]);
        REQUIRE(lines[i + 1].find("---") != std::string::npos);
        CHECK(pipes(lines[i + 1]) == width);
        std::size_t rows = 0;
        for (std::size_t j = i + 2; j < lines.size() && !lines[j].empty() && lines[j][0] == '|'; ++j, ++rows) CHECK(pipes(lines[j]) == width);
        CHECK(rows >= 2);
    }
    CHECK(tables == 3);  // machine, size and error, kernels
    const std::string md = written(write_markdown, r);
    CHECK(md.find("Test \\<CPU\\> \\& \"Co\" \\| 1") != std::string::npos);
    CHECK(md.find("\\| pipes \\\\\\| and a backslash") != std::string::npos);
}

TEST_CASE("explore: JSON is balanced, quoted and has no infinity") {
    const std::string json = written(write_json, synthetic_report());
    int depth = 0, max_depth = 0;
    bool in_string = false;
    for (std::size_t i = 0; i < json.size(); ++i) {
        const char c = json[i];
        if (in_string) {
            if (c == '\\') ++i;
            else if (c == '"') in_string = false;
            else CHECK(static_cast<unsigned char>(c) >= 0x20);
            continue;
        }
        if (c == '"') in_string = true;
        else if (c == '{' || c == '[') max_depth = std::max(max_depth, ++depth);
        else if (c == '}' || c == ']') CHECK(--depth >= 0);
    }
    CHECK(!in_string);
    CHECK(depth == 0);
    CHECK(max_depth >= 4);
    CHECK(json.find("inf") == std::string::npos);
    CHECK(json.find("\"sqnr_db\": null") != std::string::npos);
    CHECK(json.find("\\\"quotes\\\"") != std::string::npos);
    CHECK(json.find("\"gemv_hot\": null") != std::string::npos);  // the scheme without a kernel
}

TEST_CASE("explore: the SVG's elements nest and its text is escaped") {
    const std::string svg = svg_plots(synthetic_report());
    CHECK(svg.rfind("<?xml", 0) == 0);
    std::vector<std::string> open;
    std::size_t i = svg.find("?>") + 2, circles = 0;
    while ((i = svg.find('<', i)) != std::string::npos) {
        const std::size_t end = svg.find('>', i);
        REQUIRE(end != std::string::npos);
        const std::string tag = svg.substr(i + 1, end - i - 1);
        CHECK(tag.find('<') == std::string::npos);
        if (tag[0] == '/') {
            REQUIRE(!open.empty());
            CHECK(open.back() == tag.substr(1));
            open.pop_back();
        } else if (tag.back() != '/') {
            open.push_back(tag.substr(0, tag.find(' ')));
        }
        if (tag.rfind("circle", 0) == 0) ++circles;
        i = end + 1;
    }
    CHECK(open.empty());
    CHECK(circles == 4 + 2);  // four kernel points of one scheme, two error points
    CHECK(svg.find("Test &lt;CPU&gt; &amp; &quot;Co&quot; | 1") != std::string::npos);
    CHECK(svg.find("int4 g32 sym &lt;a|b&gt;") != std::string::npos);
    CHECK(svg.find("<CPU>") == std::string::npos);
    // The roofs are clipped to the roofline's frame.
    CHECK(svg.find("<clipPath id=\"roofline\">") != std::string::npos);
    CHECK(svg.find("stroke-dasharray=\"2,0\" clip-path=\"url(#roofline)\"") != std::string::npos);
}

TEST_CASE("explore: a long CPU name reaches the SVG whole") {
    report r = synthetic_report();
    r.host.cpu = std::string(2000, 'x') + " end";
    CHECK(svg_plots(r).find(r.host.cpu) != std::string::npos);
}
