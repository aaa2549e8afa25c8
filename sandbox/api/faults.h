// Scripted faults for reliability tests (issue 3): per resource and verb, an error status (with
// Retry-After), added latency, a silent hang, dropped watch streams, 410 on the next watch, and
// Conflict on the next N writes. Set in-process or through POST /sandbox/faults; cleared by DELETE (or
// POST {"clear": true}).
#pragma once

#include <chrono>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "operator/core/result.h"

namespace aviary::sandbox {

struct FaultRule {
  std::string resource;  // plural, "" = any
  std::string verb;      // get|list|watch|create|update|patch|delete, "" = any
  int status = 0;        // answer with this HTTP status (0 = none)
  std::string retryAfter;
  std::chrono::milliseconds latency{0};
  bool hang = false;  // never answer (until the server stops or the faults are cleared)
  int count = -1;     // how many matching requests; -1 = until cleared

  static Result<FaultRule> fromJson(const nlohmann::json& j);
};

class FaultInjector {
 public:
  void add(FaultRule rule);
  void clear();
  // Counts clear() calls: a hanging request ends when it changes.
  long long clearGeneration() const;
  // The rule that applies to this request, consuming one use of it.
  std::optional<FaultRule> take(const std::string& resource, const std::string& verb);

  // Ends every open watch (abruptly: the connection is dropped).
  void dropWatches();
  long long dropGeneration() const;
  // The next `n` watches answer 410 Expired.
  void expireNextWatches(int n);
  bool takeExpiredWatch();
  // The next `n` writes (update/patch) answer 409 Conflict.
  void conflictNextWrites(int n);
  bool takeConflict();

 private:
  mutable std::mutex mutex_;
  std::vector<FaultRule> rules_;
  long long dropGeneration_ = 0;
  long long clearGeneration_ = 0;
  int expireWatches_ = 0;
  int conflicts_ = 0;
};

}  // namespace aviary::sandbox
