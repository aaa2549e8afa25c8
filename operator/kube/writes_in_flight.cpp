#include "operator/kube/writes_in_flight.h"

#include <algorithm>

namespace aviary::kube {

bool SeenDuringWrite::othersChanged(const std::string& made) const {
  return std::any_of(versions.begin(), versions.end(),
                     [&](const std::string& v) { return v.empty() || v != made; });
}

bool SeenDuringWrite::includes(const std::string& version) const {
  return std::find(versions.begin(), versions.end(), version) != versions.end();
}

WritesInFlight::Write::Write(WritesInFlight& owner, std::string key) : owner_(&owner), key_(std::move(key)) {
  std::lock_guard lock(owner_->mutex_);
  ++owner_->writing_[key_].writers;
}

WritesInFlight::Write::~Write() {
  if (!ended_) end();
}

SeenDuringWrite WritesInFlight::Write::end() {
  ended_ = true;
  std::lock_guard lock(owner_->mutex_);
  auto it = owner_->writing_.find(key_);
  if (it == owner_->writing_.end()) return {};
  SeenDuringWrite seen = it->second.seen;  // every writer of the key judges what was seen while it wrote
  if (--it->second.writers == 0) owner_->writing_.erase(it);
  return seen;
}

bool WritesInFlight::hold(const std::string& key, const std::string& version) {
  std::lock_guard lock(mutex_);
  auto it = writing_.find(key);
  if (it == writing_.end()) return false;
  it->second.seen.versions.push_back(version);
  return true;
}

}  // namespace aviary::kube
