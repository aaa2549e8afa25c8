// The operator's own HTTP endpoints (DESIGN: operator/server): /metrics in the Prometheus text format from
// a metrics::Registry, /healthz (the process answers) and /readyz (a readiness callback: the leader once
// its informers synced, or a standby). Everything else is 404.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "operator/core/metrics_registry.h"
#include "operator/core/result.h"

namespace aviary::http {
class HttpServer;
}

namespace aviary::server {

struct ListenAddress {
  std::string host = "0.0.0.0";
  uint16_t port = 8080;  // 0: any free port
};

// "HOST:PORT" or ":PORT" (all interfaces). Errors: Config, naming what is wrong.
Result<ListenAddress> parseListenAddress(const std::string& text);

class OperatorServer {
 public:
  // `ready` returns whether /readyz is 200, and the text of its answer.
  using Readiness = std::function<std::pair<bool, std::string>()>;
  OperatorServer(ListenAddress address, const metrics::Registry& registry, Readiness ready);
  ~OperatorServer();

  Status start();
  void stop();
  uint16_t port() const;    // the bound port, once started
  std::string url() const;  // "http://HOST:PORT"

 private:
  ListenAddress address_;
  std::unique_ptr<http::HttpServer> server_;
};

}  // namespace aviary::server
