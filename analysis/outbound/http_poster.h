// POSTs JSON to URLs that tenants supplied (Canary webhooks, alert providers): the egress allow-list first,
// then go-retryablehttp's retry rules as Flagger uses them, every attempt bounded in time and every answer
// in size. post() blocks its caller; postAsync() runs on a small pool of workers so that a reconcile never
// waits on a chat service. cpprestsdk stays inside the .cpp.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "operator/core/egress_policy.h"
#include "operator/core/result.h"

namespace aviary::analysis {

// Flagger passes a webhook's `retries` to go-retryablehttp unbounded; a tenant's number is capped here.
inline constexpr int kMaxPostRetries = 10;

struct PostRequest {
  std::string url;
  std::string body;                                  // JSON, sent as application/json
  std::string bearerToken;                           // Authorization: Bearer …; never in messages
  std::string proxy;                                 // http(s)://host:port; empty: direct
  bool insecureSkipTlsVerify = false;                // Flagger's disableTLS
  std::chrono::milliseconds attemptTimeout{10'000};  // each attempt as a whole, as Go's http.Client.Timeout
  int retries = 0;                                   // further attempts after a retryable failure
  std::string peer = "receiver";  // how messages name the other side; never the URL's secrets
};

struct PostOutcome {
  int status = 0;          // the last attempt's HTTP status
  std::string body;        // at most HttpPosterOptions::maxResponseBytes of its body
  bool truncated = false;  // the body was longer
  int attempts = 0;
};

struct HttpPosterOptions {
  EgressAllowList allowed;  // hosts the operator may contact (empty: none)
  std::size_t workers = 4;  // postAsync concurrency
  std::size_t maxQueued = 1024;
  std::size_t maxResponseBytes = 64 * 1024;
  // go-retryablehttp's DefaultBackoff: min·2^attempt, at most max; Retry-After (429, 503) when given,
  // at most max.
  std::chrono::milliseconds retryWaitMin{1000}, retryWaitMax{30'000};
};

// An answer worth another attempt under go-retryablehttp's default policy: 429, and 5xx other than 501.
// Connection failures and timeouts are retried too; other statuses are final.
bool isRetryableStatus(int status);

class HttpPoster {
 public:
  explicit HttpPoster(HttpPosterOptions options);
  ~HttpPoster();  // shutdown()
  HttpPoster(const HttpPoster&) = delete;
  HttpPoster& operator=(const HttpPoster&) = delete;

  // POSTs `request`, retrying as described above. Any HTTP status is an outcome, not an error. Errors:
  // Invalid (not an http(s) URL or proxy), Forbidden (a host the allow-list refuses; nothing is sent),
  // Timeout or Unavailable (the last attempt got no answer), Cancelled (shutdown() during a backoff
  // wait). Never throws. Thread-safe.
  Result<PostOutcome> post(const PostRequest& request);

  // post() on a worker; `done` runs on that worker, once, and should not block for long. When the queue
  // is full or the poster is shutting down, `done` runs at once on the caller's thread with Unavailable or
  // Cancelled. Thread-safe.
  void postAsync(PostRequest request, std::function<void(Result<PostOutcome>)> done);

  // Stops accepting, interrupts backoff waits, completes queued requests with Cancelled and joins the
  // workers; an attempt in flight ends by its timeout. Idempotent.
  void shutdown();

  // nullopt when the operator may POST to `url` (an http(s) URL whose host the allow-list admits); else
  // why not, naming only the host.
  std::optional<std::string> urlProblem(const std::string& url) const;

  const HttpPosterOptions& options() const { return options_; }

 private:
  struct Pool;
  HttpPosterOptions options_;
  std::unique_ptr<Pool> pool_;
};

}  // namespace aviary::analysis
