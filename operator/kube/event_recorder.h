// Records core/v1 Events on objects, as `kubectl describe` shows them. Repeats of the same
// (object, type, reason, message) are aggregated into one Event (count, lastTimestamp); each object
// has a token bucket (burst 25, one more every 5 minutes, as client-go) so a flapping canary cannot
// flood the API server. Writes happen on a background thread: record() never blocks a reconcile.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <list>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>

#include "operator/core/clock.h"
#include "operator/kube/kube_client.h"

namespace aviary::kube {

struct ObjectReference {
  std::string apiVersion, kind, ns, name, uid, resourceVersion, fieldPath;
  // From an object's apiVersion, kind and metadata.
  static ObjectReference fromObject(const Json& object);
};

enum class EventType { Normal, Warning };

struct EventRecorderOptions {
  std::string component = "aviary";
  std::string host;
  int burst = 25;
  std::chrono::seconds refillEvery{300};
  // Repeats are recognised among this many recent (object, type, reason, message), client-go's 4,096, or
  // kAggregatesPerObject per object with recent Events when that is more: with 10,000 Canaries a fixed
  // 4,096 forgot each "waiting" message before its repeat and posted a new Event every time.
  std::size_t aggregationCacheSize = 4096;
  std::size_t maxQueued = 1000;  // beyond this, new events are dropped (and counted)
};

class EventRecorder {
 public:
  EventRecorder(KubeClient& client, EventRecorderOptions options = {},
                const Clock& clock = SystemClock::instance());
  ~EventRecorder();

  // Queues an Event; returns at once. Thread-safe.
  void record(const ObjectReference& object, EventType type, const std::string& reason,
              const std::string& message);
  // Waits until every queued Event has been written (tests, shutdown). Thread-safe.
  void flush();
  void stop();

  // Events not written because of the per-object limit or a full queue.
  std::size_t dropped() const;
  // Objects with a rate-limit bucket (tests; call after flush()).
  std::size_t trackedObjects() const;

  static constexpr std::size_t kMaxEventMessageBytes = 1024;
  // Past this many buckets, full ones are forgotten before a new one is made.
  static constexpr std::size_t kBucketSweepSize = 1024;
  static constexpr std::size_t kAggregatesPerObject = 2;
  // Aggregates kept (tests; call after flush()).
  std::size_t aggregatesKept() const;

 private:
  struct Pending {
    ObjectReference object;
    EventType type;
    std::string reason, message;
    Clock::TimePoint at;
  };
  struct Aggregate {
    std::string eventName;
    int count = 0;
    Clock::TimePoint first;
    std::list<const std::string*>::iterator lru;
  };
  struct Bucket {
    double tokens;
    Clock::TimePoint last;
  };

  void run();
  void write(const Pending& p);
  bool allow(const std::string& objectKey, Clock::TimePoint now);
  void sweepBuckets(Clock::TimePoint now);

  KubeClient& client_;
  EventRecorderOptions options_;
  const Clock& clock_;
  mutable std::mutex mutex_;
  std::condition_variable wake_, idle_;
  std::deque<Pending> queue_;
  bool busy_ = false;
  bool stopping_ = false;
  std::size_t dropped_ = 0;
  // Owned by the writer thread.
  std::unordered_map<std::string, Aggregate> aggregates_;
  std::list<const std::string*> lru_;  // the keys in aggregates_ (node keys do not move), newest first
  std::unordered_map<std::string, Bucket> buckets_;
  Clock::TimePoint lastSweep_{};
  unsigned long long lastNameNanos_ = 0;
  std::thread thread_;
};

}  // namespace aviary::kube
