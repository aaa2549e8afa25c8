// Any Kubernetes API server as a ClusterSource: list-then-watch (operator/kube's Reflector) of Services and
// Pods, and of EndpointSlices and each mesh resource when the server serves their type. A type that is not
// served (a CRD not installed) is not an error: it is probed again every discoveryInterval, watched from
// when it appears, and forgotten (Unserved) when it goes. Reflector threads queue changes; the traffic
// simulator's thread takes them. Thread-safe.
#pragma once

#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "operator/kube/kube_client.h"
#include "sandbox/traffic/cluster_source.h"

namespace aviary::sandbox::traffic {

struct WatchSourceOptions {
  std::string ns;  // "" = every namespace
  // How often the optional types are probed (a list of one item: 404 means not served).
  std::chrono::milliseconds discoveryInterval{2000};
};

class WatchSource final : public ClusterSource {
 public:
  // `client` must outlive the source.
  explicit WatchSource(kube::KubeClient& client, WatchSourceOptions options = {});
  ~WatchSource() override;
  WatchSource(const WatchSource&) = delete;
  WatchSource& operator=(const WatchSource&) = delete;

  // Starts the Service and Pod watches, probes the optional types once (watching the served ones) and
  // then keeps probing them on a thread of its own.
  void start();
  // Ends every watch and the probing. Idempotent.
  void stop();
  // True once every feed being watched delivered its first list (false after `timeout`).
  bool waitForSync(std::chrono::milliseconds timeout);
  // The feeds being watched now.
  std::vector<FeedId> watchedFeeds() const;

  PodModel podModel() const override { return PodModel::PodsAndEndpointSlices; }
  std::vector<ClusterChange> takeChanges() override;

 private:
  class Feed;
  void startFeed(FeedId id);
  void stopFeed(FeedId id);
  // Starts the optional feeds whose types are served now and stops those whose types went away.
  void probeOptionalTypes(bool first);
  // nullopt when the probe itself failed (the server is unreachable): nothing changes then.
  std::optional<bool> served(FeedId id);
  void push(std::vector<ClusterChange>&& changes);

  kube::KubeClient& client_;
  WatchSourceOptions options_;

  std::mutex queueMutex_;
  std::vector<ClusterChange> queue_;

  mutable std::mutex feedsMutex_;  // guards feeds_ (started and stopped by start() and the prober)
  std::map<FeedId, std::unique_ptr<Feed>> feeds_;

  std::mutex probeMutex_;
  std::condition_variable probeWake_;
  bool stopping_ = false;
  std::thread prober_;
};

}  // namespace aviary::sandbox::traffic
