// Client-side token bucket (client-go's QPS/burst), so a burst of reconciles cannot flood the API server.
#pragma once

#include <atomic>
#include <chrono>
#include <mutex>

namespace aviary::kube {

class TokenBucket {
 public:
  using Clock = std::chrono::steady_clock;
  // qps <= 0 disables limiting.
  TokenBucket(double qps, int burst);

  // Takes one token, sleeping until one is available, and returns how long it slept. Thread-safe.
  Clock::duration acquire();
  // Total time callers of acquire() have slept, in seconds: the client-side throttling the operator reports
  // (client-go logs the same waits as "Waited for ... due to client-side throttling").
  double throttledSeconds() const { return throttledNs_.load(std::memory_order_relaxed) / 1e9; }
  // Takes one token at `now` and returns how long the caller must wait before using it
  // (zero when a token was available). The pure step behind acquire(), for tests.
  Clock::duration reserve(Clock::time_point now);

 private:
  const double qps_;
  const double burst_;
  std::mutex mutex_;
  double tokens_;
  Clock::time_point last_;
  std::atomic<long long> throttledNs_{0};
};

}  // namespace aviary::kube
