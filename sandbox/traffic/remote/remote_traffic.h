// The traffic simulator as a client of any API server (a real control plane, or the sandbox reached over
// HTTP): watches it through operator/kube (WatchSource), generates the load its Services ask for over the
// pods their EndpointSlices list, and serves the same per-mesh metrics and ground truth at /metrics on a
// plain-HTTP listener for Prometheus. `aviary-sandbox --traffic-only --kubeconfig PATH` runs one.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "operator/core/result.h"
#include "operator/kube/cluster_config.h"
#include "sandbox/traffic/remote/watch_source.h"
#include "sandbox/traffic/traffic_simulator.h"

namespace aviary::kube {
class HttpKubeClient;
}

namespace aviary::sandbox::traffic {

class MetricsListener;

struct RemoteTrafficOptions {
  TrafficOptions traffic;
  WatchSourceOptions watch;
  std::string metricsListen = "127.0.0.1:0";  // address:port of /metrics (port 0: any free port)
  // How long start() waits for the first lists of Services, Pods, EndpointSlices and the served mesh types.
  std::chrono::milliseconds syncTimeout{30'000};
};

class RemoteTraffic {
 public:
  explicit RemoteTraffic(RemoteTrafficOptions options = {});
  ~RemoteTraffic();
  RemoteTraffic(const RemoteTraffic&) = delete;
  RemoteTraffic& operator=(const RemoteTraffic&) = delete;

  // Connects, waits for the first lists (so no request is generated from a half-known cluster), then
  // serves /metrics and runs the tick loop on a thread of its own. Errors: Config (a bad kubeconfig or
  // listen address), Timeout (the lists did not arrive in syncTimeout: the server is unreachable or
  // refuses us; the reflectors' log lines say why), or the listener's bind error.
  Status start(const kube::ClusterConfig& config);
  Status start(const std::string& kubeconfigPath);
  // Stops serving, generating and watching. Idempotent.
  void stop();

  // "127.0.0.1:PORT", the scrape target (valid after start()).
  std::string metricsTarget() const;
  std::string metricsUrl() const { return "http://" + metricsTarget() + "/metrics"; }
  // Valid after start().
  TrafficSimulator& simulator() { return *traffic_; }
  WatchSource& source() { return *source_; }

 private:
  RemoteTrafficOptions options_;
  std::unique_ptr<kube::HttpKubeClient> client_;
  std::unique_ptr<WatchSource> source_;
  std::unique_ptr<TrafficSimulator> traffic_;
  std::unique_ptr<MetricsListener> metrics_;
};

}  // namespace aviary::sandbox::traffic
