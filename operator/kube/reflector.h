// The list-then-watch loop behind an informer: lists (paged), watches from the list's resourceVersion,
// follows bookmarks, re-watches from the last version on a normal close, relists on 410 Gone, and backs
// off with jitter (0.8 s growing to 30 s) on other errors. Runs on its own thread.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "operator/kube/backoff.h"
#include "operator/kube/kube_client.h"

namespace aviary::kube {

// Receives what the reflector learns. Called on the reflector's thread only.
class ReflectorSink {
 public:
  virtual ~ReflectorSink() = default;
  // A full list: the sink's contents become exactly these items.
  virtual void replace(std::vector<Json>&& items, const std::string& resourceVersion) = 0;
  // One ADDED/MODIFIED/DELETED event.
  virtual void apply(WatchEvent&& event) = 0;
};

struct ReflectorOptions {
  ResourceType type;
  std::string ns;  // "" = all namespaces
  std::string labelSelector;
  std::string fieldSelector;
  int pageSize = 500;
  // Watches ask the server to close after a random time in [min, 2×min), like client-go, so that
  // reconnects of many informers spread out.
  std::chrono::seconds minWatchTimeout{300};
  std::chrono::milliseconds initialBackoff{800};
  std::chrono::milliseconds maxBackoff{30'000};
};

class Reflector {
 public:
  Reflector(KubeClient& client, ReflectorOptions options, ReflectorSink& sink);
  ~Reflector();

  void start();
  // Cancels the open watch and joins the thread. Idempotent.
  void stop();
  // True once the first list has been delivered to the sink.
  bool hasSynced() const { return synced_; }
  // Blocks until synced or the timeout passes.
  bool waitForSync(std::chrono::milliseconds timeout);
  std::string lastResourceVersion() const;

  // Counters for tests and metrics.
  int listCount() const { return lists_; }
  int watchCount() const { return watches_; }

 private:
  void run();
  Result<std::string> listAndReplace();
  // Watches until the stream ends or fails; returns what to do next.
  enum class Next { Rewatch, Relist, Backoff, Stop };
  Next watchOnce(const std::string& fromVersion);
  void setVersion(const std::string& v);
  // Sleeps for `d` unless stop() is called meanwhile; false when stopping.
  bool sleepFor(std::chrono::milliseconds d);

  KubeClient& client_;
  ReflectorOptions options_;
  ReflectorSink& sink_;
  JitteredBackoff backoff_;
  std::thread thread_;
  std::atomic<bool> stopping_{false};
  std::atomic<bool> synced_{false};
  std::atomic<int> lists_{0}, watches_{0};

  mutable std::mutex mutex_;
  std::condition_variable changed_;
  WatchStream* current_ = nullptr;  // guarded by mutex_, for stop() to cancel
  std::string lastVersion_;
  std::mt19937 rng_;
};

}  // namespace aviary::kube
