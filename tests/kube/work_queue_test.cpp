#include "operator/kube/work_queue.h"

#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <thread>
#include <vector>

namespace aviary::kube {
namespace {

using namespace std::chrono_literals;

TEST(WorkQueue, DeduplicatesWaitingKeysAndKeepsFifoOrder) {
  WorkQueue q;
  q.add("a");
  q.add("b");
  q.add("a");
  q.add("c");
  EXPECT_EQ(q.length(), 3u);
  EXPECT_EQ(*q.get(), "a");
  EXPECT_EQ(*q.get(), "b");
  EXPECT_EQ(*q.get(), "c");
}

TEST(WorkQueue, ReAddDuringProcessingRunsAgainAfterDone) {
  WorkQueue q;
  q.add("a");
  auto key = q.get();
  ASSERT_EQ(*key, "a");
  q.add("a");  // changed while being reconciled
  q.add("a");
  EXPECT_EQ(q.length(), 0u) << "must not be handed to a second worker while processing";
  q.done("a");
  EXPECT_EQ(q.length(), 1u);
  EXPECT_EQ(*q.get(), "a");
  q.done("a");
  EXPECT_EQ(q.length(), 0u);
}

TEST(WorkQueue, AddAfterOnlyMovesEarlier) {
  WorkQueue q;
  q.addAfter("a", 10s);
  q.addAfter("a", 50ms);  // earlier: wins
  q.addAfter("a", 20s);   // later: ignored
  EXPECT_EQ(q.delayedCount(), 1u);
  auto start = std::chrono::steady_clock::now();
  auto key = q.get();
  auto waited = std::chrono::steady_clock::now() - start;
  ASSERT_EQ(*key, "a");
  EXPECT_GE(waited, 45ms);
  EXPECT_LT(waited, 5s);
  EXPECT_EQ(q.delayedCount(), 0u);
}

// The wait is measured from when a key became ready: its add, or its delay's due time (not the call to
// addAfter), so a key handed out on time waited ~0 however long its delay was.
TEST(WorkQueue, WaitObserverMeasuresFromWhenTheKeyBecameReady) {
  WorkQueue q;
  std::vector<WorkQueue::Clock::duration> waits;
  q.setWaitObserver([&](auto waited) { waits.push_back(waited); });
  q.add("late");
  std::this_thread::sleep_for(60ms);
  ASSERT_EQ(*q.get(), "late");
  q.addAfter("due", 80ms);
  ASSERT_EQ(*q.get(), "due");
  ASSERT_EQ(waits.size(), 2u);
  EXPECT_GE(waits[0], 55ms) << "a key added and picked 60 ms later waited 60 ms";
  EXPECT_LT(waits[1], 40ms) << "a delayed key picked when due did not wait for a worker";
}

TEST(WorkQueue, DelayedKeyAlreadyQueuedIsNotDuplicated) {
  WorkQueue q;
  q.add("a");
  q.addAfter("a", 10ms);
  std::this_thread::sleep_for(30ms);
  EXPECT_EQ(*q.get(), "a");
  EXPECT_EQ(q.length(), 0u);
}

TEST(WorkQueue, RateLimitedBacksOffExponentiallyUntilForget) {
  WorkQueue q(10ms, 1s);
  q.addRateLimited("a");
  q.addRateLimited("a");
  q.addRateLimited("a");
  EXPECT_EQ(q.numRequeues("a"), 3);
  q.forget("a");
  EXPECT_EQ(q.numRequeues("a"), 0);
}

TEST(WorkQueue, ShutDownDrainsThenReturnsNullopt) {
  WorkQueue q;
  q.add("a");
  q.addAfter("later", 10s);
  q.shutDown();
  q.add("ignored");
  EXPECT_TRUE(q.shuttingDown());
  EXPECT_EQ(*q.get(), "a");
  EXPECT_FALSE(q.get().has_value());
}

TEST(WorkQueue, ShutDownWakesBlockedWorkers) {
  WorkQueue q;
  std::atomic<int> exited{0};
  std::vector<std::thread> workers;
  for (int i = 0; i < 4; ++i) {
    workers.emplace_back([&] {
      while (auto k = q.get()) q.done(*k);
      ++exited;
    });
  }
  std::this_thread::sleep_for(50ms);
  q.shutDown();
  for (auto& w : workers) w.join();
  EXPECT_EQ(exited, 4);
}

// Many producers and workers: no key is ever processed by two workers at once, and every key that
// was added after its last processing started gets processed again.
TEST(WorkQueue, NeverProcessesAKeyConcurrently) {
  WorkQueue q;
  constexpr int kKeys = 20;
  std::mutex m;
  std::map<std::string, int> inFlight;
  std::atomic<int> violations{0}, processed{0};
  std::vector<std::thread> workers;
  for (int i = 0; i < 6; ++i) {
    workers.emplace_back([&] {
      while (auto key = q.get()) {
        {
          std::lock_guard l(m);
          if (++inFlight[*key] > 1) ++violations;
        }
        std::this_thread::sleep_for(50us);
        {
          std::lock_guard l(m);
          --inFlight[*key];
        }
        ++processed;
        q.done(*key);
      }
    });
  }
  std::vector<std::thread> producers;
  for (int p = 0; p < 3; ++p) {
    producers.emplace_back([&, p] {
      for (int i = 0; i < 2000; ++i) q.add("k" + std::to_string((i * 7 + p) % kKeys));
    });
  }
  for (auto& t : producers) t.join();
  // Wait until everything added has been handled.
  auto deadline = std::chrono::steady_clock::now() + 10s;
  while (q.length() > 0 && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(1ms);
  std::this_thread::sleep_for(20ms);
  q.shutDown();
  for (auto& t : workers) t.join();
  EXPECT_EQ(violations, 0);
  EXPECT_GE(processed, kKeys);
  EXPECT_LE(processed, 6000);  // deduplication: far fewer runs than adds is allowed, more is not
}

}  // namespace
}  // namespace aviary::kube
