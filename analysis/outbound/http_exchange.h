// One HTTP request and its answer through cpprestsdk, bounded in time and size: the mechanism shared by the
// Prometheus client, the webhook client and the alert sender. Callers build the client and the request
// (cpprestsdk types, forward-declared here so that this header stays cheap); this file owns the deadline,
// the body cap and the wording of transport failures.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "operator/core/result.h"

namespace web::http {
class http_request;  // passed by value: cpprestsdk's request is a shared handle
namespace client {
class http_client;
}
}  // namespace web::http

namespace aviary::analysis {

struct HttpExchange {
  int status = 0;
  std::string body;        // at most the cap (plus what one read brought in)
  bool truncated = false;  // the answer was longer than the cap; reading stopped and the connection closed
  std::optional<std::chrono::seconds> retryAfter;  // a Retry-After header in seconds, when there was one
};

struct ExchangeLimits {
  std::chrono::milliseconds deadline{10'000};  // the whole exchange, however slowly the server answers
  std::size_t maxBodyBytes = 1024 * 1024;
  bool failOnLargeBody = true;  // false: keep the first maxBodyBytes and set `truncated`
};

// Sends `request`; `done` gets the answer once, on cpprestsdk's pool (or on the shared DeadlineTimer's thread
// at the deadline), and no thread waits meanwhile. `peer` names the other side in messages ("prometheus at
// http://p:9090"). Errors: Timeout ("<peer> did not answer within N ms", or cpprestsdk's own per-read
// timeout), Unavailable ("<peer> unreachable: <reason>", connection, DNS, TLS), Decode ("<peer> answered
// more than N bytes", only with failOnLargeBody). Any HTTP status is a value, not an error. Never throws.
// The client is kept alive until the exchange ends.
void exchangeAsync(std::shared_ptr<web::http::client::http_client> client, web::http::http_request request,
                   const ExchangeLimits& limits, const std::string& peer,
                   std::function<void(Result<HttpExchange>)> done);

// The same, waiting for the answer (for callers that are off the reconcile workers already).
Result<HttpExchange> exchangeOnce(std::shared_ptr<web::http::client::http_client> client,
                                  web::http::http_request request, const ExchangeLimits& limits,
                                  const std::string& peer);

}  // namespace aviary::analysis
