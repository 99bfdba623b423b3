// lowbit-explore: which scheme should I ship on this CPU? Size, error and kernel speed of every
// common scheme on an LLM-shaped layer set (or a GGUF file's tensors), against the roofs measured
// on this machine. See tools/explore/*.hpp for what each figure means.
#include <cstdio>
#include <string>

#include "cli.hpp"
#include "explore/machine.hpp"
#include "explore/report.hpp"
#include "explore/schemes.hpp"
#include "explore/svg_plots.hpp"
#include "explore/workload.hpp"
#include "explore/workload_gguf.hpp"

namespace {

using namespace lowbit;

const char* const usage =
    "usage: lowbit-explore [--gguf FILE [--tensor NAME]] [--markdown FILE] [--svg FILE] [--json FILE] [--small]\n"
    "\n"
    "Quantizes a layer set under every common scheme and GGUF type and prints, per scheme, the size,\n"
    "the error and the speed of its integer kernels, beside the peaks measured on this machine.\n"
    "\n"
    "  (no arguments)   built-in LLM-shaped layers: 4096x4096 and 11008x4096, heavy-tailed weights\n"
    "                   with outlier input channels, 64 activation rows with outlier channels\n"
    "  --gguf FILE      the 2-D tensors of a GGUF file instead (F32, F16, BF16 or quantized)\n"
    "  --tensor NAME    only this tensor of the GGUF file\n"
    "  --markdown FILE  the same tables as Markdown\n"
    "  --svg FILE       a roofline plot and an error-against-size plot\n"
    "  --json FILE      everything, for scripts\n"
    "  --small          fewer runs and smaller probes, and the built-in layers at 1/8 size (a quick\n"
    "                   look, tests)\n"
    "\n"
    "Results go to stdout, progress to stderr. Every timing is the median of several runs on one thread.\n";

void write_file(const std::string& path, const char* what, const explore::report& r, void (*writer)(std::FILE*, const explore::report&)) {
    std::FILE* f = std::fopen(path.c_str(), "w");
    if (f == nullptr) detail::fail("cannot write the ", what, " to ", path);
    writer(f, r);
    const bool failed = std::ferror(f) != 0;
    if (std::fclose(f) != 0 || failed) detail::fail("cannot write the ", what, " to ", path);
}

void write_svg(std::FILE* f, const explore::report& r) { std::fputs(explore::svg_plots(r).c_str(), f); }

}  // namespace

int main(int argc, char** argv) {
    return tools::run_tool("lowbit-explore", usage, argc, argv, [&](tools::arguments& args) {
        const std::string gguf_path = args.option("--gguf"), tensor = args.option("--tensor");
        const std::string markdown = args.option("--markdown"), svg = args.option("--svg"), json = args.option("--json");
        const bool small = args.flag("--small");
        args.positionals(0);
        if (!tensor.empty() && gguf_path.empty()) tools::usage_fail("--tensor needs --gguf");

        const tools::progress progress;
        explore::run_options opt;
        if (small) opt = {3, 3, 1, std::size_t{64} << 20};
        const std::size_t dram_probe_mib = small ? 128 : 512;
        explore::workload wl;
        std::vector<std::string> skipped;
        if (gguf_path.empty()) {
            wl = explore::default_workload(small ? 8 : 1);
        } else {
            auto g = explore::load_gguf_workload(gguf_path, tensor, 64, opt.cold_bytes, (dram_probe_mib + explore::read_probes::l3_mib) << 20);
            wl = std::move(g.wl);
            skipped = std::move(g.skipped);
        }
        for (const std::string& s : skipped) std::fprintf(stderr, "lowbit-explore: left out %s\n", s.c_str());

        explore::report r;
        progress(0, 1, "probing the machine");
        explore::read_probes probes(dram_probe_mib);
        r.host = explore::probe_machine(probes);
        wl.timed = explore::choose_timed_layer(wl, r.host.l3_cache_bytes);
        r.batch = wl.batch;
        r.timed_layer = wl.layers[wl.timed].name;
        r.workload = wl.source + " (";
        for (std::size_t i = 0; i < wl.layers.size() && i < 4; ++i) r.workload += (i ? ", " : "") + wl.layers[i].name;
        if (wl.layers.size() > 4) r.workload += ", ... " + std::to_string(wl.layers.size()) + " in all";
        r.workload += "), " + std::to_string(wl.batch) + " activation rows";
        if (!skipped.empty()) r.workload += "; " + std::to_string(skipped.size()) + " tensors left out";
        r.schemes = explore::evaluate_all(wl, opt, probes, [&](std::size_t i, std::size_t n, const std::string& name) { progress(i, n, name); });

        explore::write_text(stdout, r);
        if (std::fflush(stdout) != 0 || std::ferror(stdout) != 0) detail::fail("cannot write the table to stdout");
        if (!markdown.empty()) write_file(markdown, "Markdown", r, explore::write_markdown);
        if (!json.empty()) write_file(json, "JSON", r, explore::write_json);
        if (!svg.empty()) write_file(svg, "SVG", r, write_svg);
        return 0;
    });
}
