// Posts alerts to their providers (Slack, Teams, Discord, Rocket.Chat, Google Chat, any webhook) through
// the shared HttpPoster: off the reconcile's thread, with retries and backoff, never throwing. A failure
// is logged (naming the provider, never its address or token) and counted for the controller's metrics.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>

#include "analysis/alerts/alert_payloads.h"
#include "analysis/outbound/http_poster.h"

namespace aviary::analysis {

struct AlertSenderOptions {
  std::chrono::milliseconds timeout{5000};  // per attempt (Flagger's notifier uses 5 s)
  int retries = 2;                          // on connection failures, 429 and 5xx
};

struct AlertSenderCounters {
  std::uint64_t sent = 0;    // accepted by the service (2xx)
  std::uint64_t failed = 0;  // refused, unreachable, timed out, or answered outside 2xx
};

class AlertSender {
 public:
  AlertSender(std::shared_ptr<HttpPoster> poster, AlertSenderOptions options = {});

  // Sends `message` to `target` on the poster's workers and returns at once. `done` (optional) runs once
  // with the outcome: ok, or the error that was logged and counted. Never throws.
  void send(const AlertTarget& target, const AlertMessage& message, std::function<void(Status)> done = {});
  // The same, blocking until the last attempt is over.
  Status sendNow(const AlertTarget& target, const AlertMessage& message);

  // Thread-safe; counts sends that finish after this sender is gone too (they share the tally).
  AlertSenderCounters counters() const { return {tally_->sent.load(), tally_->failed.load()}; }

  struct Tally {
    std::atomic<std::uint64_t> sent{0}, failed{0};
  };

 private:
  PostRequest request(const AlertTarget& target, const AlertMessage& message) const;

  std::shared_ptr<HttpPoster> poster_;
  AlertSenderOptions options_;
  std::shared_ptr<Tally> tally_ = std::make_shared<Tally>();
};

}  // namespace aviary::analysis
