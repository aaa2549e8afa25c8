// HTTP/1.1 to one API server over TCP or TLS (Beast + OpenSSL), with keep-alive connection reuse,
// a deadline on every operation, bearer-token auth and the client-side rate limit.
// Beast stays inside the .cpp; this header is cheap to include.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "operator/core/result.h"
#include "operator/kube/cluster_config.h"

namespace aviary::kube {

struct HttpRequest {
  std::string method = "GET";
  std::string target;  // path and query, e.g. "/api/v1/namespaces/x/pods?limit=500"
  std::string body;
  std::string contentType;
  std::string accept = "application/json";
  std::chrono::milliseconds timeout{0};  // 0: the config's requestTimeout
};

struct HttpResponse {
  int status = 0;
  std::string body;
  std::string contentType;
  std::string retryAfter;             // raw Retry-After header
  std::vector<std::string> warnings;  // Warning headers (e.g. unknown fields)
  // X-Kubernetes-PF-FlowSchema-UID: the FlowSchema API Priority and Fairness classified the request by;
  // empty when the server does not run it (client-go's flowcontrol.IsEnabled reads the same header).
  std::string flowSchemaUid;
};

// A response whose body is read as it arrives (watches). Not thread-safe except cancel().
class BodyStream {
 public:
  virtual ~BodyStream() = default;
  // Status and headers; for a non-2xx answer, body holds the whole (small) error body.
  virtual const HttpResponse& head() const = 0;
  // Appends the next decoded body bytes to `out`. Returns false at the end of the body.
  // Errors: Timeout when nothing arrives within idleTimeout, Cancelled after cancel(), Unavailable.
  virtual Result<bool> read(std::string& out, std::chrono::milliseconds idleTimeout) = 0;
  // Makes a blocked or later read() return Cancelled. Safe from any thread while the stream lives.
  virtual void cancel() = 0;
};

class HttpTransport {
 public:
  // Validates the server URL and TLS material (bad PEM, bad URL → Config error).
  static Result<std::unique_ptr<HttpTransport>> create(const ClusterConfig& config);
  ~HttpTransport();

  // One request, whole response. Thread-safe; concurrent calls use separate connections.
  Result<HttpResponse> roundTrip(const HttpRequest& request);
  // Sends the request and returns once the response headers arrived. Thread-safe.
  Result<std::unique_ptr<BodyStream>> openStream(const HttpRequest& request);

  const ClusterConfig& config() const;
  // Seconds requests have waited for the client-side rate limit (config().qps, burst) since creation.
  double throttledSeconds() const;

 private:
  struct Impl;
  explicit HttpTransport(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace aviary::kube
