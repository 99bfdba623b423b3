// parallel_for over thread counts, lowbit's thread_pool and a caller's executor: every item once,
// exceptions rethrown after all chunks finish, nested calls, many calls on one pool.
#include <catch2/catch.hpp>

#include <atomic>
#include <cstdint>
#include <stdexcept>
#include <thread>
#include <vector>

#include "lowbit/core/parallel.hpp"

namespace {

// A caller's executor that runs tasks in reverse order on the calling thread and counts calls.
struct reverse_executor final : lowbit::executor {
    int calls = 0;
    int concurrency() const noexcept override { return 3; }
    void run(int tasks, lowbit::task_ref task) override {
        ++calls;
        for (int i = tasks - 1; i >= 0; --i) task(i);
    }
};

void check_covers(std::int64_t n, lowbit::parallelism how) {
    std::vector<std::atomic<int>> seen(static_cast<std::size_t>(n));
    lowbit::parallel_for(n, how, [&](std::int64_t b, std::int64_t e) {
        for (std::int64_t i = b; i < e; ++i) seen[static_cast<std::size_t>(i)]++;
    });
    bool once = true;
    for (auto& s : seen) once = once && s.load() == 1;
    CHECK(once);
}

}  // namespace

TEST_CASE("parallel_for covers every item once, for thread counts, a pool and a caller's executor", "[parallel]") {
    lowbit::thread_pool pool(3);
    reverse_executor mine;
    for (std::int64_t n : {0, 1, 2, 3, 7, 1000}) {
        INFO("n = " << n);
        check_covers(n, 1);
        check_covers(n, 4);
        check_covers(n, pool);
        check_covers(n, mine);
    }
    CHECK(mine.calls == 4);  // n = 3, 7, 1000 split into 3 chunks, n = 2 into 2; n <= 1 runs inline
    CHECK(pool.concurrency() == 3);
}

TEST_CASE("the pool uses its threads, survives many calls and rethrows the first failure", "[parallel]") {
    lowbit::thread_pool pool(2);
    std::atomic<int> total{0};
    for (int call = 0; call < 2000; ++call)
        lowbit::parallel_for(10, pool, [&](std::int64_t b, std::int64_t e) { total += static_cast<int>(e - b); });
    CHECK(total.load() == 20000);

    std::vector<std::thread::id> ids(2);
    std::atomic<int> arrived{0};
    lowbit::parallel_for(2, pool, [&](std::int64_t b, std::int64_t) {
        ids[static_cast<std::size_t>(b)] = std::this_thread::get_id();
        ++arrived;
        while (arrived.load() < 2) std::this_thread::yield();  // both chunks run at once, or this never ends
    });
    CHECK(ids[0] != ids[1]);

    std::atomic<int> finished{0};
    CHECK_THROWS_WITH(lowbit::parallel_for(6, pool,
                                           [&](std::int64_t b, std::int64_t) {
                                               if (b == 0) throw std::runtime_error("chunk 0 failed");
                                               ++finished;
                                           }),
                      "chunk 0 failed");
    CHECK(finished.load() == 1);  // the other chunk still ran to the end
    std::atomic<int> nested{0};
    lowbit::parallel_for(2, pool, [&](std::int64_t, std::int64_t) {
        lowbit::parallel_for(4, pool, [&](std::int64_t b, std::int64_t e) { nested += static_cast<int>(e - b); });
    });
    CHECK(nested.load() == 8);
}

TEST_CASE("bad thread counts are errors", "[parallel]") {
    CHECK_THROWS_WITH(lowbit::thread_pool(0), Catch::Contains("threads = 0 must be at least 1"));
    CHECK_THROWS_WITH(lowbit::parallel_for(5, -2, [](std::int64_t, std::int64_t) {}), Catch::Contains("threads = -2 must be at least 1"));
}
