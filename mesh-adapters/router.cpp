#include "mesh-adapters/router.h"

#include <set>

namespace aviary::mesh {

Error waitingFor(const std::string& what) {
  Error e{ErrorCode::Unavailable, "waiting for " + what};
  e.retryAfter = kWaitPoll;
  return e;
}

bool isWaiting(const Error& e) {
  return e.code == ErrorCode::Unavailable && e.retryAfter == kWaitPoll &&
         e.message.rfind("waiting for ", 0) == 0;
}

Status withContext(const Status& st, const std::string& what) {
  if (st || isWaiting(st.error())) return st;
  Error e = st.error();
  e.message = what + ": " + e.message;
  return e;
}

bool RouteSettleClock::settled(const std::string& canaryKey, bool removedNow) {
  std::lock_guard lock(mutex_);
  const auto now = std::chrono::steady_clock::now();
  if (removedNow) removedAt_[canaryKey] = now;
  auto removed = removedAt_.find(canaryKey);
  return removed == removedAt_.end() || now >= removed->second + settle_;
}

void RouteSettleClock::forget(const std::string& canaryKey) {
  std::lock_guard lock(mutex_);
  removedAt_.erase(canaryKey);
}

void RouterRegistry::add(ProviderDescriptor descriptor) {
  std::string name = descriptor.name;
  descriptors_[name] = std::move(descriptor);
}

const ProviderDescriptor* RouterRegistry::find(const std::string& provider) const {
  auto it = descriptors_.find(provider);
  return it == descriptors_.end() ? nullptr : &it->second;
}

Result<std::unique_ptr<Router>> RouterRegistry::create(const std::string& provider,
                                                       RouterContext& context) const {
  const ProviderDescriptor* d = find(provider);
  if (!d) {
    std::string known;
    for (const auto& p : providers()) known += (known.empty() ? "" : ", ") + p;
    return Error{ErrorCode::Invalid, "unknown provider \"" + provider + "\" (known: " + known + ")"};
  }
  return d->factory(context);
}

std::vector<std::string> RouterRegistry::providers() const {
  std::vector<std::string> out;
  for (const auto& [name, _] : descriptors_) out.push_back(name);
  return out;
}

std::map<std::string, api::RouterCapabilities> RouterRegistry::capabilities() const {
  std::map<std::string, api::RouterCapabilities> out;
  for (const auto& [name, d] : descriptors_) out[name] = d.capabilities;
  return out;
}

std::vector<kube::ResourceType> RouterRegistry::ownedTypes() const {
  std::vector<kube::ResourceType> out;
  std::set<std::string> seen;
  for (const auto& [_, d] : descriptors_) {
    for (const auto& type : d.ownedTypes) {
      if (seen.insert(type.qualifiedName() + "/" + type.version).second) out.push_back(type);
    }
  }
  return out;
}

}  // namespace aviary::mesh
