#include "sandbox/api/faults.h"

namespace aviary::sandbox {

Result<FaultRule> FaultRule::fromJson(const nlohmann::json& j) {
  if (!j.is_object()) return makeError(ErrorCode::BadRequest, "a fault must be a JSON object");
  FaultRule r;
  try {
    r.resource = j.value("resource", "");
    r.verb = j.value("verb", "");
    r.status = j.value("status", 0);
    r.retryAfter = j.contains("retryAfter")
                       ? (j["retryAfter"].is_string() ? j["retryAfter"].get<std::string>()
                                                      : std::to_string(j["retryAfter"].get<int>()))
                       : "";
    r.latency = std::chrono::milliseconds(j.value("latencyMs", 0));
    r.hang = j.value("hang", false);
    r.count = j.value("count", -1);
  } catch (const nlohmann::json::exception& e) {
    return makeError(ErrorCode::BadRequest, std::string("bad fault: ") + e.what());
  }
  return r;
}

void FaultInjector::add(FaultRule rule) {
  std::lock_guard lock(mutex_);
  rules_.push_back(std::move(rule));
}

void FaultInjector::clear() {
  std::lock_guard lock(mutex_);
  rules_.clear();
  expireWatches_ = 0;
  conflicts_ = 0;
  ++clearGeneration_;
}

long long FaultInjector::clearGeneration() const {
  std::lock_guard lock(mutex_);
  return clearGeneration_;
}

std::optional<FaultRule> FaultInjector::take(const std::string& resource, const std::string& verb) {
  std::lock_guard lock(mutex_);
  for (auto it = rules_.begin(); it != rules_.end(); ++it) {
    if ((!it->resource.empty() && it->resource != resource) || (!it->verb.empty() && it->verb != verb))
      continue;
    FaultRule rule = *it;
    if (it->count > 0 && --it->count == 0) rules_.erase(it);
    return rule;
  }
  return std::nullopt;
}

void FaultInjector::dropWatches() {
  std::lock_guard lock(mutex_);
  ++dropGeneration_;
}

long long FaultInjector::dropGeneration() const {
  std::lock_guard lock(mutex_);
  return dropGeneration_;
}

void FaultInjector::expireNextWatches(int n) {
  std::lock_guard lock(mutex_);
  expireWatches_ += n;
}

bool FaultInjector::takeExpiredWatch() {
  std::lock_guard lock(mutex_);
  if (expireWatches_ == 0) return false;
  --expireWatches_;
  return true;
}

void FaultInjector::conflictNextWrites(int n) {
  std::lock_guard lock(mutex_);
  conflicts_ += n;
}

bool FaultInjector::takeConflict() {
  std::lock_guard lock(mutex_);
  if (conflicts_ == 0) return false;
  --conflicts_;
  return true;
}

}  // namespace aviary::sandbox
