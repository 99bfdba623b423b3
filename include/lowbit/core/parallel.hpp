// lowbit/core/parallel.hpp - split a range of independent work items over threads.
//
// parallel_for(n, threads, fn) calls fn(begin, end) on contiguous chunks that cover [0, n) exactly
// once, on up to `threads` threads (the calling thread takes the first chunk). Chunks differ in size
// by at most one item, so results never depend on the thread count as long as fn's items are
// independent. The first exception thrown by any chunk is rethrown after all threads have joined.
#pragma once

#include <algorithm>
#include <cstdint>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

#include "lowbit/core/error.hpp"

namespace lowbit {

template <class F>
void parallel_for(std::int64_t n, int threads, F&& fn) {
    if (threads < 1) detail::fail("parallel_for: threads = ", threads, " must be at least 1");
    if (n <= 0) return;
    const auto workers = static_cast<std::int64_t>(std::min<std::int64_t>(threads, n));
    if (workers == 1) {
        fn(std::int64_t{0}, n);
        return;
    }
    const auto chunk_begin = [&](std::int64_t t) { return t * (n / workers) + std::min(t, n % workers); };
    std::exception_ptr failure;
    std::mutex failure_mutex;
    const auto run = [&](std::int64_t t) {
        try {
            fn(chunk_begin(t), chunk_begin(t + 1));
        } catch (...) {
            const std::lock_guard<std::mutex> lock(failure_mutex);
            if (!failure) failure = std::current_exception();
        }
    };
    std::vector<std::thread> pool;
    pool.reserve(static_cast<std::size_t>(workers - 1));
    try {
        for (std::int64_t t = 1; t < workers; ++t) pool.emplace_back(run, t);
    } catch (...) {  // the system refused a thread: finish the ones running, then report
        for (auto& thread : pool) thread.join();
        throw;
    }
    run(0);
    for (auto& thread : pool) thread.join();
    if (failure) std::rethrow_exception(failure);
}

}  // namespace lowbit
