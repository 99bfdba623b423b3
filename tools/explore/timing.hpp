// Wall-clock timing of lowbit-explore: every figure is the median of several runs, with the
// fastest and slowest beside it.
#pragma once

#include <algorithm>
#include <chrono>
#include <vector>

namespace lowbit::explore {

struct timing {
    double median = 0, min = 0, max = 0;  // seconds
    int runs = 0;
};

inline timing summarize(std::vector<double> seconds) {
    timing t;
    if (seconds.empty()) return t;
    std::sort(seconds.begin(), seconds.end());
    const std::size_t n = seconds.size();
    t.median = n % 2 == 1 ? seconds[n / 2] : 0.5 * (seconds[n / 2 - 1] + seconds[n / 2]);
    t.min = seconds.front();
    t.max = seconds.back();
    t.runs = static_cast<int>(n);
    return t;
}

// Times `runs` calls of f(i), i = 0 .. runs - 1, one by one.
template <class F>
timing time_runs(int runs, F&& f) {
    std::vector<double> seconds;
    for (int i = 0; i < runs; ++i) {
        const auto start = std::chrono::steady_clock::now();
        f(i);
        seconds.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    }
    return summarize(std::move(seconds));
}

// A rate (work per second) at the median time, and its spread: the rates at the slowest and
// fastest runs.
struct rate {
    double median = 0, low = 0, high = 0;
};

inline rate rate_of(double work, const timing& t) {
    if (t.runs == 0 || t.median <= 0) return {};
    return {work / t.median, work / t.max, work / t.min};
}

}  // namespace lowbit::explore
