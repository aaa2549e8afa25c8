#include "operator/kube/backoff.h"

#include <algorithm>
#include <cmath>

namespace aviary::kube {

JitteredBackoff::JitteredBackoff(std::chrono::milliseconds initial, std::chrono::milliseconds max,
                                 double factor, double jitter, unsigned seed)
    : initial_(initial), max_(max), factor_(factor), jitter_(jitter), rng_(seed) {}

std::chrono::milliseconds JitteredBackoff::next() {
  double base = static_cast<double>(initial_.count()) * std::pow(factor_, attempt_);
  base = std::min(base, static_cast<double>(max_.count()));
  if (base < static_cast<double>(max_.count())) ++attempt_;
  std::uniform_real_distribution<double> spread(1.0 - jitter_, 1.0 + jitter_);
  double delay = std::min(base * spread(rng_), static_cast<double>(max_.count()));
  return std::chrono::milliseconds(static_cast<long long>(delay));
}

std::chrono::milliseconds ItemExponentialBackoff::when(const std::string& key) {
  std::lock_guard lock(mutex_);
  int n = failures_[key]++;
  // 2^n overflows long before n reaches 63; the cap applies well before that.
  if (n >= 40) return max_;
  long double delay = static_cast<long double>(base_.count()) * std::pow(2.0L, n);
  if (delay > static_cast<long double>(max_.count())) return max_;
  return std::chrono::milliseconds(static_cast<long long>(delay));
}

void ItemExponentialBackoff::forget(const std::string& key) {
  std::lock_guard lock(mutex_);
  failures_.erase(key);
}

int ItemExponentialBackoff::failures(const std::string& key) const {
  std::lock_guard lock(mutex_);
  auto it = failures_.find(key);
  return it == failures_.end() ? 0 : it->second;
}

}  // namespace aviary::kube
