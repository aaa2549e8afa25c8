// The controller's rate-limited work queue (client-go semantics):
// - a key waiting twice is queued once; FIFO, so every key gets its turn;
// - a key is never handed to two workers at once; an add while it is processing runs it again after done();
// - addAfter() only ever moves a key earlier; addRateLimited() backs off per key until forget();
// - shutDown() stops new adds; workers drain what is queued, then get() returns nullopt.
// The wait observer sees, for every key handed out, how long it waited after becoming ready (after its
// addAfter() delay was due): client-go's workqueue_queue_duration_seconds, i.e. the queue's share of a
// step's lateness.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <queue>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "operator/kube/backoff.h"

namespace aviary::kube {

class WorkQueue {
 public:
  using Clock = std::chrono::steady_clock;

  // Per-key backoff for addRateLimited: base × 2^failures, capped at maxBackoff.
  explicit WorkQueue(std::chrono::milliseconds baseBackoff = std::chrono::milliseconds(5),
                     std::chrono::milliseconds maxBackoff = std::chrono::seconds(1000));
  ~WorkQueue();

  void add(const std::string& key);
  void addAfter(const std::string& key, std::chrono::milliseconds delay);
  void addRateLimited(const std::string& key);
  // Clears the key's failure count (after a successful reconcile).
  void forget(const std::string& key);
  int numRequeues(const std::string& key) const { return backoff_.failures(key); }

  // Blocks for the next key; nullopt once shut down and drained.
  std::optional<std::string> get();
  // Marks a key from get() as finished.
  void done(const std::string& key);

  // Called by get() (outside the queue's lock) with each handed-out key's wait since it became ready.
  // Set before the first get(); not thread-safe against get().
  void setWaitObserver(std::function<void(Clock::duration)> observer) { waitObserver_ = std::move(observer); }

  void shutDown();
  bool shuttingDown() const;
  // Keys ready now (not counting delayed or processing ones).
  std::size_t length() const;
  // Keys waiting for a delay to pass.
  std::size_t delayedCount() const;

 private:
  // `readySince`: when the key became ready to run (now, or the due time of its delay).
  void addLocked(const std::string& key, Clock::time_point readySince);
  void promoteDueLocked(Clock::time_point now);

  ItemExponentialBackoff backoff_;
  mutable std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<std::pair<std::string, Clock::time_point>> queue_;  // key, ready since
  std::function<void(Clock::duration)> waitObserver_;
  std::unordered_set<std::string> dirty_;       // waiting in queue_ (or to be re-queued after done)
  std::unordered_set<std::string> processing_;  // handed out, not done yet
  // Delays: the earliest due time per key, and a heap with stale entries skipped lazily.
  std::unordered_map<std::string, Clock::time_point> due_;
  using Timed = std::pair<Clock::time_point, std::string>;
  std::priority_queue<Timed, std::vector<Timed>, std::greater<>> timers_;
  bool shuttingDown_ = false;
};

}  // namespace aviary::kube
