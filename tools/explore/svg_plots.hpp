// lowbit-explore's SVG: two plots side by side, written by hand (no plotting dependency).
//   left   roofline: operational intensity (operations per weight byte, log) against GOP/s (log);
//          the roofs measured on this machine (L3 and DRAM bandwidth, the int8 dot and f32 FMA
//          peaks) and one point per kernel measurement, numbered by scheme (the list beside it):
//          filled = hot, hollow = cold, colour = M;
//   right  output error (log) against bits per weight, one point per scheme; hollow: no kernel.
#pragma once

#include <algorithm>
#include <cmath>
#include <string>
#include <utility>
#include <vector>

#include "report.hpp"
#include "../text.hpp"

namespace lowbit::explore {

// A coordinate or size in the SVG: one decimal.
inline std::string px_text(double v) { return format("%.1f", v); }

// One plot's frame: data ranges (log10 where asked) mapped to a pixel box, with a clip path of
// that box (`id`) for what must not draw outside it.
class plot_frame {
public:
    plot_frame(std::string id, double left, double top, double width, double height, double x0, double x1, bool log_x, double y0, double y1, bool log_y)
        : id_(std::move(id)), left_(left), top_(top), width_(width), height_(height), log_x_(log_x), log_y_(log_y),
          x0_(axis(x0, log_x)), x1_(axis(x1, log_x)), y0_(axis(y0, log_y)), y1_(axis(y1, log_y)) {}

    double px(double x) const { return left_ + width_ * (axis(x, log_x_) - x0_) / (x1_ - x0_); }
    double py(double y) const { return top_ + height_ * (1.0 - (axis(y, log_y_) - y0_) / (y1_ - y0_)); }
    bool inside(double x, double y) const {
        const double a = axis(x, log_x_), b = axis(y, log_y_);
        return a >= x0_ && a <= x1_ && b >= y0_ && b <= y1_;
    }
    // The attribute that clips an element to the box.
    std::string clip() const { return " clip-path=\"url(#" + id_ + ")\""; }

    // The box and its clip path, ticks (decades on log axes, `linear_step` on linear ones) and
    // axis titles.
    void draw(std::string& svg, const std::string& title, const std::string& x_title, const std::string& y_title, double linear_step = 1) const {
        const std::string box = "x=\"" + px_text(left_) + "\" y=\"" + px_text(top_) + "\" width=\"" + px_text(width_) + "\" height=\"" + px_text(height_) + "\"";
        svg += "<clipPath id=\"" + id_ + "\"><rect " + box + "/></clipPath>\n";
        svg += "<rect " + box + " fill=\"none\" stroke=\"#444\"/>\n";
        svg += "<text x=\"" + px_text(left_ + width_ / 2) + "\" y=\"" + px_text(top_ - 12) + "\" font-size=\"15\" text-anchor=\"middle\" font-weight=\"bold\">" +
               tools::xml_text(title) + "</text>\n";
        svg += "<text x=\"" + px_text(left_ + width_ / 2) + "\" y=\"" + px_text(top_ + height_ + 36) + "\" font-size=\"12\" text-anchor=\"middle\">" +
               tools::xml_text(x_title) + "</text>\n";
        const std::string yx = px_text(left_ - 46), yy = px_text(top_ + height_ / 2);
        svg += "<text x=\"" + yx + "\" y=\"" + yy + "\" font-size=\"12\" text-anchor=\"middle\" transform=\"rotate(-90 " + yx + " " + yy + ")\">" +
               tools::xml_text(y_title) + "</text>\n";
        for (double a = std::ceil(x0_ - 1e-9); a <= x1_ + 1e-9; a += log_x_ ? 1 : linear_step) {
            const double x = log_x_ ? std::pow(10.0, a) : a + 0.0;  // + 0.0: no "-0"
            const std::string p = px_text(px(x));
            svg += "<line x1=\"" + p + "\" y1=\"" + px_text(top_) + "\" x2=\"" + p + "\" y2=\"" + px_text(top_ + height_) + "\" stroke=\"#ddd\"/><text x=\"" + p +
                   "\" y=\"" + px_text(top_ + height_ + 16) + "\" font-size=\"11\" text-anchor=\"middle\">" + format("%g", x) + "</text>\n";
        }
        for (double b = std::ceil(y0_ - 1e-9); b <= y1_ + 1e-9; b += 1) {
            const double y = log_y_ ? std::pow(10.0, b) : b;
            const double p = py(y);
            svg += "<line x1=\"" + px_text(left_) + "\" y1=\"" + px_text(p) + "\" x2=\"" + px_text(left_ + width_) + "\" y2=\"" + px_text(p) +
                   "\" stroke=\"#ddd\"/><text x=\"" + px_text(left_ - 6) + "\" y=\"" + px_text(p + 4) + "\" font-size=\"11\" text-anchor=\"end\">" +
                   format("%g", y) + "</text>\n";
        }
    }

private:
    static double axis(double v, bool log) { return log ? std::log10(v) : v; }
    std::string id_;
    double left_, top_, width_, height_;
    bool log_x_, log_y_;
    double x0_, x1_, y0_, y1_;
};

namespace detail {

inline void svg_point(std::string& svg, const plot_frame& f, double x, double y, const char* colour, bool filled, const std::string& label) {
    if (!f.inside(x, y)) return;
    const std::string c = colour;
    svg += "<circle cx=\"" + px_text(f.px(x)) + "\" cy=\"" + px_text(f.py(y)) + "\" r=\"4\" fill=\"" + (filled ? c : "white") + "\" stroke=\"" + c +
           "\" stroke-width=\"1.5\"/><text x=\"" + px_text(f.px(x) + 6) + "\" y=\"" + px_text(f.py(y) + 3) + "\" font-size=\"9\" fill=\"" + c + "\">" +
           tools::xml_text(label) + "</text>\n";
}

// A roof: y = min(bandwidth x, peak) across the plot, or a flat peak (bandwidth 0), clipped to the
// frame (a peak above the plot's range would otherwise draw across the title).
inline void svg_roof(std::string& svg, const plot_frame& f, double x0, double x1, double bandwidth, double peak, const char* colour, const char* dash,
                     const std::string& label, bool label_left = false) {
    std::string points;
    const int steps = 200;
    for (int i = 0; i <= steps; ++i) {
        const double x = x0 * std::pow(x1 / x0, static_cast<double>(i) / steps);
        const double y = bandwidth > 0 ? std::min(bandwidth * x, peak > 0 ? peak : bandwidth * x) : peak;
        points += px_text(f.px(x)) + "," + px_text(f.py(y)) + " ";
    }
    svg += "<polyline points=\"" + points + "\" fill=\"none\" stroke=\"" + colour + "\" stroke-width=\"1.5\" stroke-dasharray=\"" + dash + "\"" + f.clip() + "/>\n";
    // Bandwidth roofs are named where they reach 40 % of the peak, flat ones a decade and a bit in:
    // away from the GEMV points (low intensity) and the GEMM ones (high).
    const double lx = bandwidth > 0 ? (peak > 0 ? 0.4 * peak / bandwidth : x0 * 1.3) : x0 * 12, ly = bandwidth > 0 ? bandwidth * lx : peak;
    if (!f.inside(lx, ly)) return;
    svg += "<text x=\"" + px_text(f.px(lx) + (label_left ? -6 : 6)) + "\" y=\"" + px_text(f.py(ly) - (bandwidth > 0 ? 0 : 6)) + "\" font-size=\"11\" fill=\"" +
           colour + "\" text-anchor=\"" + (label_left ? "end" : "start") + "\">" + tools::xml_text(label) + "</text>\n";
}

}  // namespace detail

inline std::string svg_plots(const report& r) {
    const machine& m = r.host;
    std::string svg = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"1280\" height=\"560\" viewBox=\"0 0 1280 560\" font-family=\"sans-serif\">\n"
                      "<rect width=\"1280\" height=\"560\" fill=\"white\"/>\n";
    // Roofline: ranges from the points and the roofs.
    double x_lo = 1e9, x_hi = 0, y_lo = 1, y_hi = std::max({m.int8_gops.median, m.f32_gflops.median, 1.0});
    for (const scheme_report& s : r.schemes)
        for (const throughput* t : {&s.kernel.gemv_hot, &s.kernel.gemv_cold, &s.kernel.gemm_hot, &s.kernel.gemm_cold})
            if (t->measured) {
                x_lo = std::min(x_lo, t->ops / t->weight_bytes);
                x_hi = std::max(x_hi, t->ops / t->weight_bytes);
                y_lo = std::min(y_lo, t->gops.median);
                y_hi = std::max(y_hi, t->gops.median);
            }
    if (x_hi <= 0) x_lo = 1, x_hi = 100;
    x_lo = std::pow(10.0, std::floor(std::log10(x_lo / 1.5)));
    x_hi = std::pow(10.0, std::ceil(std::log10(x_hi * 1.5)));
    y_lo = std::pow(10.0, std::floor(std::log10(std::max(y_lo, 1e-6))));
    y_hi = std::pow(10.0, std::ceil(std::log10(y_hi * 1.5)));
    const plot_frame roof("roofline", 80, 50, 490, 440, x_lo, x_hi, true, y_lo, y_hi, true);
    roof.draw(svg, "Roofline: " + m.cpu + " (one thread)", "operations per weight byte", "GOP/s");
    if (m.l3_gbps.median > 0) detail::svg_roof(svg, roof, x_lo, x_hi, m.l3_gbps.median, m.int8_gops.median, "#2a7", "6,3", format("L3 %.0f GB/s", m.l3_gbps.median), true);
    if (m.dram_gbps.median > 0) detail::svg_roof(svg, roof, x_lo, x_hi, m.dram_gbps.median, m.int8_gops.median, "#a52", "6,3", format("DRAM %.0f GB/s", m.dram_gbps.median));
    if (m.int8_gops.median > 0) detail::svg_roof(svg, roof, x_lo, x_hi, 0, m.int8_gops.median, "#333", "2,0", "int8 dot peak");
    if (m.f32_gflops.median > 0) detail::svg_roof(svg, roof, x_lo, x_hi, 0, m.f32_gflops.median, "#888", "2,3", "f32 FMA peak");
    // The roofline's points carry the scheme's number (names would cover each other); the list of
    // numbers stands between the plots.
    for (std::size_t i = 0; i < r.schemes.size(); ++i) {
        const scheme_report& s = r.schemes[i];
        const kernel_figures& k = s.kernel;
        const std::string number = std::to_string(i + 1);
        const auto point = [&](const throughput& t, const char* colour, bool hot) {
            if (t.measured) detail::svg_point(svg, roof, t.ops / t.weight_bytes, t.gops.median, colour, hot, number);
        };
        point(k.gemv_hot, "#15c", true);
        point(k.gemv_cold, "#15c", false);
        point(k.gemm_hot, "#c31", true);
        point(k.gemm_cold, "#c31", false);
    }
    svg += "<text x=\"330\" y=\"445\" font-size=\"11\" fill=\"#15c\">blue: GEMV (M = 1)</text>\n";
    svg += "<text x=\"330\" y=\"460\" font-size=\"11\" fill=\"#c31\">red: GEMM (M = " + std::to_string(r.batch) + ")</text>\n";
    svg += "<text x=\"330\" y=\"475\" font-size=\"11\">filled: hot; hollow: cold (from DRAM)</text>\n";
    for (std::size_t i = 0; i < r.schemes.size(); ++i)
        svg += "<text x=\"588\" y=\"" + std::to_string(70 + 16 * i) + "\" font-size=\"11\">" + std::to_string(i + 1) + " " + tools::xml_text(r.schemes[i].name) +
               (r.schemes[i].kernel.exists ? "" : " *") + "</text>\n";
    svg += "<text x=\"588\" y=\"" + std::to_string(70 + 16 * r.schemes.size() + 8) + "\" font-size=\"11\">* no kernel yet</text>\n";

    // Error against size.
    double e_lo = 1, e_hi = 1e-9, b_hi = 1;
    for (const scheme_report& s : r.schemes)
        if (s.error.output_rel > 0) {
            e_lo = std::min(e_lo, s.error.output_rel);
            e_hi = std::max(e_hi, s.error.output_rel);
            b_hi = std::max(b_hi, s.bits_per_weight);
        }
    e_lo = std::pow(10.0, std::floor(std::log10(e_lo)));
    e_hi = std::pow(10.0, std::ceil(std::log10(std::max(e_hi, e_lo * 10))));
    const plot_frame err("error", 840, 50, 410, 440, 0, std::ceil(b_hi + 1.5), false, e_lo, e_hi, true);
    err.draw(svg, "Output error against size", "bits per weight (scales and zero points included)", "relative output error ||XW'-XW|| / ||XW||");
    for (const scheme_report& s : r.schemes)
        if (s.error.output_rel > 0) detail::svg_point(svg, err, s.bits_per_weight, s.error.output_rel, s.family == "gguf" ? "#a52" : "#15c", s.kernel.exists, s.name);
    svg += "<text x=\"850\" y=\"450\" font-size=\"11\" fill=\"#15c\">blue: lowbit schemes</text>\n";
    svg += "<text x=\"850\" y=\"465\" font-size=\"11\" fill=\"#a52\">brown: GGUF types</text>\n";
    svg += "<text x=\"850\" y=\"480\" font-size=\"11\">hollow: no integer kernel yet</text>\n";
    svg += "</svg>\n";
    return svg;
}

}  // namespace lowbit::explore
