// The whole sandbox in one object: the Kubernetes API server with its Deployment simulator, the live
// traffic simulator behind /metrics, an optional plain-HTTP metrics listener (needed with TLS, since
// Prometheus scrapes without the token), and optionally a real Prometheus scraping it.
#pragma once

#include <memory>
#include <string>

#include "sandbox/api/api_server.h"
#include "sandbox/prometheus/prometheus_server.h"
#include "sandbox/traffic/metrics_endpoint.h"
#include "sandbox/traffic/traffic_simulator.h"

namespace aviary::sandbox {

struct SandboxOptions {
  ApiServerOptions api;
  traffic::TrafficOptions traffic;
  // "address:port" for a plain-HTTP /metrics listener; empty = none unless needed (TLS + Prometheus).
  std::string metricsListen;
  bool prometheus = false;  // start a real Prometheus scraping /metrics every second
};

class Sandbox {
 public:
  // Throws std::invalid_argument when metricsListen is not address:port (a start-up error).
  explicit Sandbox(SandboxOptions options = {});
  ~Sandbox();

  Status start();
  void stop();

  ApiServer& api() { return *api_; }
  traffic::TrafficSimulator& traffic() { return *traffic_; }
  PrometheusServer* prometheus() { return prometheus_.get(); }
  // Where a scraper reaches /metrics over plain HTTP ("127.0.0.1:PORT"); empty with TLS and no listener.
  std::string metricsTarget() const;
  std::string prometheusUrl() const { return prometheus_ ? prometheus_->url() : ""; }

 private:
  SandboxOptions options_;
  std::unique_ptr<ApiServer> api_;
  std::unique_ptr<traffic::TrafficSimulator> traffic_;
  std::unique_ptr<traffic::MetricsListener> metricsServer_;
  std::unique_ptr<PrometheusServer> prometheus_;
};

}  // namespace aviary::sandbox
