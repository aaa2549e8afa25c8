#include "operator/kube/rate_limiter.h"

#include <algorithm>
#include <thread>

namespace aviary::kube {

TokenBucket::TokenBucket(double qps, int burst)
    : qps_(qps), burst_(std::max(1, burst)), tokens_(std::max(1, burst)), last_(Clock::now()) {}

TokenBucket::Clock::duration TokenBucket::reserve(Clock::time_point now) {
  if (qps_ <= 0) return Clock::duration::zero();
  std::lock_guard lock(mutex_);
  if (now > last_) {
    double elapsed = std::chrono::duration<double>(now - last_).count();
    tokens_ = std::min(burst_, tokens_ + elapsed * qps_);
    last_ = now;
  }
  // Tokens may go negative: each waiter reserves its own future slot, so waiters are served in order.
  tokens_ -= 1;
  if (tokens_ >= 0) return Clock::duration::zero();
  return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(-tokens_ / qps_));
}

TokenBucket::Clock::duration TokenBucket::acquire() {
  auto wait = reserve(Clock::now());
  if (wait > Clock::duration::zero()) {
    throttledNs_.fetch_add(std::chrono::duration_cast<std::chrono::nanoseconds>(wait).count(),
                           std::memory_order_relaxed);
    std::this_thread::sleep_for(wait);
  }
  return wait;
}

}  // namespace aviary::kube
