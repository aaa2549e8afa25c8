// A TrafficSimulator's /metrics over HTTP, one implementation for every host: the handler the sandbox
// mounts on its API server, and a plain-HTTP listener serving only /metrics — what Prometheus scrapes
// (it has no API token), beside the sandbox under TLS or beside a real cluster's traffic simulator.
#pragma once

#include <memory>
#include <string>

#include "operator/core/result.h"
#include "operator/http/http_server.h"
#include "sandbox/traffic/traffic_simulator.h"

namespace aviary::sandbox::traffic {

inline constexpr char kMetricsContentType[] = "text/plain; version=0.0.4; charset=utf-8";

// Answers with the simulator's metrics (Prometheus text format 0.0.4), whatever the path it is mounted on.
http::Handler metricsHandler(const TrafficSimulator& traffic);

// "127.0.0.1:9090" → bind address and port (0 = any free port). Errors: Invalid.
Result<http::ServerOptions> parseListenAddress(const std::string& listen);

class MetricsListener {
 public:
  // `traffic` must outlive the listener.
  MetricsListener(const TrafficSimulator& traffic, http::ServerOptions options);
  ~MetricsListener();

  // Binds and serves. Errors: the address cannot be bound.
  Status start();
  // Idempotent.
  void stop();
  // "127.0.0.1:PORT", what a scrape configuration names (valid after start()).
  std::string target() const;

 private:
  std::string bindAddress_;
  http::HttpServer server_;
};

}  // namespace aviary::sandbox::traffic
