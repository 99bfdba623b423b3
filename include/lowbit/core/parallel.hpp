// lowbit/core/parallel.hpp - split a range of independent work items over threads, on lowbit's
// thread pool or on the caller's own.
//
// parallel_for(n, parallelism, fn) calls fn(begin, end) on contiguous chunks that cover [0, n)
// exactly once. Chunks differ in size by at most one item, so results never depend on the number
// of threads as long as fn's items are independent. The first exception thrown by any chunk is
// rethrown once every chunk has finished.
//
// `parallelism` is either a thread count (threads are started for the call and joined at its end:
// fine for offline work such as converting a model) or an `executor`, a pool that lives as long as
// the engine (an inference step cannot afford to start threads). `thread_pool` is lowbit's; an
// engine with its own pool implements `executor`'s two functions and passes that instead:
//
//     struct my_executor final : lowbit::executor {
//         int concurrency() const noexcept override { return my_pool.size(); }
//         void run(int tasks, lowbit::task_ref task) override { my_pool.run_all(tasks, task); }
//     };
#pragma once

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <mutex>
#include <thread>
#include <type_traits>
#include <vector>

#include "lowbit/core/error.hpp"

namespace lowbit {

// A non-owning reference to a callable void(int): what an executor runs, copied freely.
class task_ref {
public:
    template <class F, class = std::enable_if_t<!std::is_same_v<std::decay_t<F>, task_ref>>>
    task_ref(F& f) noexcept  // NOLINT(google-explicit-constructor): references are the point
        : object_(static_cast<void*>(&f)), call_([](void* o, int i) { (*static_cast<F*>(o))(i); }) {}
    void operator()(int i) const { call_(object_, i); }

private:
    void* object_;
    void (*call_)(void*, int);
};

// What lowbit needs from a pool: run(tasks, task) calls task(i) for every i in [0, tasks) exactly
// once, on up to concurrency() threads (the calling one may take part), and returns when all
// calls have returned. The tasks lowbit passes never throw (parallel_for catches and rethrows).
class executor {
public:
    virtual ~executor() = default;
    virtual int concurrency() const noexcept = 0;
    virtual void run(int tasks, task_ref task) = 0;
};

// lowbit's pool: `threads - 1` workers and the caller. Between calls a worker spins for a short
// while (about 50 us) before it sleeps, so that the calls of an inference step, often 100 us
// apart, find it awake: waking a sleeping thread costs 10-50 us, as much as a decoding GEMV.
// A call from inside a task (nested parallelism) runs its tasks on the calling thread.
class thread_pool final : public executor {
public:
    explicit thread_pool(int threads) : threads_(threads) {
        if (threads < 1) detail::fail("thread_pool: threads = ", threads, " must be at least 1");
        workers_.reserve(static_cast<std::size_t>(threads - 1));
        try {
            for (int t = 1; t < threads; ++t) workers_.emplace_back([this] { work(); });
        } catch (...) {  // the system refused a thread: stop the ones started, then report
            stop();
            throw;
        }
    }
    thread_pool(const thread_pool&) = delete;
    thread_pool& operator=(const thread_pool&) = delete;
    ~thread_pool() override { stop(); }

    int concurrency() const noexcept override { return threads_; }

    void run(int tasks, task_ref task) override {
        if (tasks <= 0) return;
        if (inside_task() || workers_.empty() || tasks == 1) {
            for (int i = 0; i < tasks; ++i) task(i);
            return;
        }
        const std::lock_guard<std::mutex> one_call_at_a_time(run_mutex_);
        job_ = &task;
        tasks_ = tasks;
        next_.store(0, std::memory_order_relaxed);
        busy_.store(static_cast<int>(workers_.size()), std::memory_order_relaxed);
        {
            const std::lock_guard<std::mutex> lock(mutex_);  // a sleeping worker cannot miss the new generation
            generation_.fetch_add(1, std::memory_order_release);
        }
        wake_.notify_all();
        take_tasks();
        if (!spin_until([this] { return busy_.load(std::memory_order_acquire) == 0; })) {
            std::unique_lock<std::mutex> lock(mutex_);
            done_.wait(lock, [this] { return busy_.load(std::memory_order_acquire) == 0; });
        }
        job_ = nullptr;
    }

private:
    static bool& inside_task() {
        thread_local bool inside = false;
        return inside;
    }

    // Spins until done() or for about 50 us; returns done().
    template <class Done>
    static bool spin_until(Done&& done) {
        for (int i = 0; i < (1 << 12); ++i) {
            if (done()) return true;
#if defined(__x86_64__) || defined(__i386__)
            __builtin_ia32_pause();
#else
            std::this_thread::yield();
#endif
        }
        return done();
    }

    void take_tasks() {
        inside_task() = true;
        for (int i = next_.fetch_add(1, std::memory_order_relaxed); i < tasks_; i = next_.fetch_add(1, std::memory_order_relaxed)) (*job_)(i);
        inside_task() = false;
    }

    void work() {
        std::uint64_t seen = 0;
        for (;;) {
            const auto changed = [&] { return generation_.load(std::memory_order_acquire) != seen || stopping_.load(std::memory_order_acquire); };
            if (!spin_until(changed)) {
                std::unique_lock<std::mutex> lock(mutex_);
                wake_.wait(lock, changed);
            }
            if (stopping_.load(std::memory_order_acquire)) return;
            seen = generation_.load(std::memory_order_acquire);
            take_tasks();
            if (busy_.fetch_sub(1, std::memory_order_acq_rel) == 1) {
                const std::lock_guard<std::mutex> lock(mutex_);
                done_.notify_one();
            }
        }
    }

    void stop() noexcept {
        {
            const std::lock_guard<std::mutex> lock(mutex_);
            stopping_.store(true, std::memory_order_release);
        }
        wake_.notify_all();
        for (auto& worker : workers_) worker.join();
        workers_.clear();
    }

    int threads_;
    std::vector<std::thread> workers_;
    std::mutex run_mutex_, mutex_;
    std::condition_variable wake_, done_;
    const task_ref* job_ = nullptr;   // written before generation_ is released, read after it is acquired
    int tasks_ = 0;
    std::atomic<int> next_{0}, busy_{0};
    std::atomic<std::uint64_t> generation_{0};
    std::atomic<bool> stopping_{false};
};

// How a call may run in parallel: a thread count, or an executor the caller keeps.
class parallelism {
public:
    parallelism(int threads) : threads_(threads) {  // NOLINT(google-explicit-constructor)
        if (threads < 1) detail::fail("threads = ", threads, " must be at least 1");
    }
    parallelism(executor& pool) noexcept : pool_(&pool), threads_(std::max(1, pool.concurrency())) {}  // NOLINT(google-explicit-constructor)

    int threads() const noexcept { return threads_; }
    executor* pool() const noexcept { return pool_; }

private:
    executor* pool_ = nullptr;
    int threads_ = 1;
};

template <class F>
void parallel_for(std::int64_t n, parallelism how, F&& fn) {
    if (n <= 0) return;
    const auto workers = static_cast<int>(std::min<std::int64_t>(how.threads(), n));
    if (workers == 1) {
        fn(std::int64_t{0}, n);
        return;
    }
    const auto chunk_begin = [&](std::int64_t t) { return t * (n / workers) + std::min(t, n % workers); };
    std::exception_ptr failure;
    std::mutex failure_mutex;
    auto chunk = [&](int t) {
        try {
            fn(chunk_begin(t), chunk_begin(t + 1));
        } catch (...) {
            const std::lock_guard<std::mutex> lock(failure_mutex);
            if (!failure) failure = std::current_exception();
        }
    };
    if (how.pool() != nullptr) {
        how.pool()->run(workers, chunk);
    } else {
        thread_pool pool(workers);  // threads for this call only
        pool.run(workers, chunk);
    }
    if (failure) std::rethrow_exception(failure);
}

}  // namespace lowbit
