// benchmarks/ratio_report.hpp - the console report plus, at the end, the ratios a benchmark binary
// promises (a kernel against a peer, a roof or itself on more threads), from the runs of this very
// process: the median of the repetitions when there are several, else the single run.
#pragma once

#include <cstdio>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include <benchmark/benchmark.h>
#include <unistd.h>

namespace lowbit_bench {

struct ratio {
    std::string label;
    std::string numerator, numerator_counter;      // benchmark name and counter
    std::string denominator, denominator_counter;  // empty name: an absolute figure
    double denominator_scale = 1;                  // the denominator counter is multiplied by it
    double target = 0;                             // at least; 0: reported only
};

class ratio_reporter : public benchmark::ConsoleReporter {
public:
    // Colours on a terminal only, counters after the times: what the default console report does.
    explicit ratio_reporter(std::vector<ratio> ratios)
        : benchmark::ConsoleReporter(isatty(fileno(stdout)) != 0 ? OO_Color : OO_None), ratios_(std::move(ratios)) {}

    void ReportRuns(const std::vector<Run>& runs) override {
        benchmark::ConsoleReporter::ReportRuns(runs);
        for (const Run& run : runs) {
            if (run.error_occurred) continue;
            if (run.run_type == Run::RT_Aggregate && run.aggregate_name != "median") continue;
            auto& counters = values_[run.run_name.function_name];  // medians come after their runs and replace them
            for (const auto& [name, counter] : run.counters) counters[name] = counter.value;
        }
    }

    void Finalize() override {
        benchmark::ConsoleReporter::Finalize();
        std::printf("\nratios (medians of this run):\n");
        for (const ratio& r : ratios_) {
            const double* num = find(r.numerator, r.numerator_counter);
            const double* den = r.denominator.empty() ? nullptr : find(r.denominator, r.denominator_counter);
            if (num == nullptr || (!r.denominator.empty() && den == nullptr)) continue;  // not run (filtered out or not built)
            const double value = den != nullptr ? *num / (*den * r.denominator_scale) : *num;
            if (r.target > 0) std::printf("  %-72s %9.3f  (target >= %g: %s)\n", r.label.c_str(), value, r.target, value >= r.target ? "met" : "MISSED");
            else std::printf("  %-72s %9.3f\n", r.label.c_str(), value);
        }
    }

private:
    const double* find(const std::string& name, const std::string& counter) const {
        const auto b = values_.find(name);
        if (b == values_.end()) return nullptr;
        const auto c = b->second.find(counter);
        return c == b->second.end() ? nullptr : &c->second;
    }

    std::vector<ratio> ratios_;
    std::map<std::string, std::map<std::string, double>> values_;
};

// main's body once the benchmarks are registered: run them, then print `ratios`.
inline int run_benchmarks(int argc, char** argv, std::vector<ratio> ratios) {
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
    ratio_reporter reporter(std::move(ratios));
    benchmark::RunSpecifiedBenchmarks(&reporter);
    benchmark::Shutdown();
    return 0;
}

}  // namespace lowbit_bench
