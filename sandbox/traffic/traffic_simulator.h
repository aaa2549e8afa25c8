// The sandbox's live traffic: every tick (100 ms by default) it brings its view of the cluster up to date
// from its source (the sandbox's store, or a watch of a real API server: cluster_source.h),
// rebuilds the traffic plans of Services whose routing inputs changed, and generates each loaded Service's
// requests for the elapsed time, recording them in the series /metrics exposes. Routing changes therefore
// take effect within one tick. Thread-safe.
#pragma once

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "sandbox/traffic/cluster_view.h"
#include "sandbox/traffic/traffic_plan.h"

namespace aviary::sandbox::traffic {

struct TrafficOptions {
  std::chrono::milliseconds tick{100};
  uint64_t seed = 1;  // the same seed and request counts give the same outcomes
};

struct TrafficStats {
  std::size_t loadedServices = 0;
  std::size_t series = 0;
  uint64_t plansCompiled = 0;
  uint64_t requests = 0;
};

class TrafficSimulator {
 public:
  // The sandbox's store as the source; both must outlive the simulator.
  TrafficSimulator(const ObjectStore& store, const ResourceRegistry& registry, TrafficOptions options = {});
  // Any source (it must outlive the simulator).
  explicit TrafficSimulator(ClusterSource& source, TrafficOptions options = {});
  ~TrafficSimulator();

  // Runs step() every tick on a thread of its own.
  void start();
  void stop();

  // Syncs with the source and generates the load for `elapsed` of simulated time.
  void step(std::chrono::duration<double> elapsed);
  // Only the routing half of step() (benchmarks measure the two apart).
  void syncRouting();
  // The metrics in the Prometheus text format.
  std::string renderMetrics() const;
  TrafficStats stats() const;
  // Where a Service's traffic goes now ("VirtualService test/podinfo"); empty when it has no load.
  std::string routingSource(const std::string& ns, const std::string& service) const;

 private:
  void syncLocked();
  void run();

  std::unique_ptr<ClusterSource> ownedSource_;
  ClusterSource& source_;
  TrafficOptions options_;
  mutable std::mutex mutex_;
  ClusterView view_;
  SeriesRegistry series_;
  std::map<std::string, ServicePlan> plans_;                 // "ns/name"
  std::map<std::string, SessionClients> clients_;            // "ns/name" of Services with clients
  double clock_ = 0;                                         // simulated seconds, for cookie expiry
  std::map<std::string, std::set<std::string>> dependents_;  // namespace → plans built from it
  TrafficStats stats_;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

}  // namespace aviary::sandbox::traffic
