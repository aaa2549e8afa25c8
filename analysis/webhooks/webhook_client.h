// Calls one Flagger webhook (pre-rollout, rollout, confirm-*, post-rollout, rollback, event): POSTs the
// CanaryWebhookPayload and says whether the receiver accepted it. Flagger's rules: a default timeout of
// 10 s per attempt, `retries` further attempts on connection failures, 429 and 5xx (not 501), disableTLS
// skips certificate verification, and only 200, 201 and 202 pass. The URL comes from a tenant's Canary,
// so it must pass the operator's egress allow-list first (HttpPoster). No cpprestsdk types here.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "analysis/outbound/http_poster.h"
#include "analysis/webhooks/webhook_payload.h"

namespace aviary::analysis {

struct WebhookCall {
  std::string name;  // the webhook's name in the Canary, for messages
  std::string url;
  std::chrono::milliseconds timeout{10'000};  // per attempt
  int retries = 0;                            // at most kMaxPostRetries are made
  bool disableTls = false;
  WebhookPayload payload;
};

struct WebhookResult {
  bool passed = false;
  bool refused = false;  // nothing was sent: the URL is not http(s) or the allow-list refuses its host
  int status = 0;        // the last answer's HTTP status; 0 when there was none
  int attempts = 0;
  // Why it did not pass (empty when it did): the status and at most 512 bytes of the body, quoted and
  // escaped, or the transport failure. Names the webhook and its host, never the rest of its URL.
  std::string message;
};

// Flagger's rule: a status above 202 fails (so do 1xx and 204–299).
bool webhookStatusPasses(int status);

class WebhookClient {
 public:
  explicit WebhookClient(std::shared_ptr<HttpPoster> poster);

  // Blocks until the call has passed or failed, retries and backoff included. Never throws.
  WebhookResult call(const WebhookCall& call) const;
  // The same on the poster's workers; `done` runs once on a worker thread (or at once on this thread
  // when the poster refuses more work). Never throws.
  void callAsync(WebhookCall call, std::function<void(WebhookResult)> done) const;

 private:
  PostRequest request(const WebhookCall& call) const;
  std::shared_ptr<HttpPoster> poster_;
};

// The result of a POST made for `call` (exposed for the alert sender and tests).
WebhookResult webhookResult(const std::string& peer, const Result<PostOutcome>& outcome);

}  // namespace aviary::analysis
