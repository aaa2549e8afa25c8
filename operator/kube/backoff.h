// Backoff policies: jittered exponential backoff for watch reconnects, and per-key exponential
// backoff for the work queue's addRateLimited.
#pragma once

#include <chrono>
#include <map>
#include <mutex>
#include <random>
#include <string>

namespace aviary::kube {

// initial, then ×factor per failure up to max, each delay scaled by a random factor in [1-jitter, 1+jitter].
class JitteredBackoff {
 public:
  JitteredBackoff(std::chrono::milliseconds initial = std::chrono::milliseconds(800),
                  std::chrono::milliseconds max = std::chrono::seconds(30), double factor = 2.0,
                  double jitter = 0.2, unsigned seed = std::random_device{}());
  std::chrono::milliseconds next();
  void reset() { attempt_ = 0; }

 private:
  std::chrono::milliseconds initial_, max_;
  double factor_, jitter_;
  int attempt_ = 0;
  std::mt19937 rng_;
};

// base × 2^failures(key), capped at max. Thread-safe.
class ItemExponentialBackoff {
 public:
  ItemExponentialBackoff(std::chrono::milliseconds base = std::chrono::milliseconds(5),
                         std::chrono::milliseconds max = std::chrono::seconds(1000))
      : base_(base), max_(max) {}
  // The delay for this failure of `key`; counts the failure.
  std::chrono::milliseconds when(const std::string& key);
  void forget(const std::string& key);
  int failures(const std::string& key) const;

 private:
  std::chrono::milliseconds base_, max_;
  mutable std::mutex mutex_;
  std::map<std::string, int> failures_;
};

}  // namespace aviary::kube
