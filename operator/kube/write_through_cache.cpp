#include "operator/kube/write_through_cache.h"

namespace aviary::kube {

WriteThroughCache::WriteThroughCache(KubeClient& inner, std::vector<ResourceType> cachedTypes,
                                     std::chrono::milliseconds ttl, const Clock& clock)
    : inner_(inner), types_(std::move(cachedTypes)), ttl_(ttl), clock_(clock) {}

bool WriteThroughCache::cached(const ResourceType& type) const {
  for (const auto& t : types_) {
    if (t.group == type.group && t.plural == type.plural) return true;
  }
  return false;
}

std::string WriteThroughCache::key(const ResourceType& type, const std::string& ns,
                                   const std::string& name) const {
  return type.group + "/" + type.plural + "/" + ns + "/" + name;
}

Result<Json> WriteThroughCache::remember(const ResourceType& type, const std::string& ns,
                                         const std::string& name, Result<Json> answer) {
  if (!cached(type)) return answer;
  std::lock_guard lock(mutex_);
  const std::string k = key(type, ns, name);
  auto seen = seen_.find(k);
  const bool stale = seen != seen_.end() && answer &&
                     answer->value("/metadata/resourceVersion"_json_pointer, std::string()) != seen->second;
  if (seen != seen_.end()) seen_.erase(seen);
  if (answer && !stale && answer->is_object() && answer->contains("metadata")) {
    entries_[k] = {*answer, clock_.now()};
  } else {
    entries_.erase(key(type, ns, name));  // a conflict or any failure: the next read asks the server
  }
  return answer;
}

Result<Json> WriteThroughCache::get(const ResourceType& type, const std::string& ns, const std::string& name,
                                    const std::string& subresource) {
  if (!subresource.empty() || !cached(type)) return inner_.get(type, ns, name, subresource);
  {
    std::lock_guard lock(mutex_);
    auto it = entries_.find(key(type, ns, name));
    if (it != entries_.end() && clock_.now() - it->second.at < ttl_) {
      ++hits_;
      return it->second.object;
    }
    ++misses_;
  }
  return remember(type, ns, name, inner_.get(type, ns, name));
}

Result<Json> WriteThroughCache::list(const ResourceType& type, const std::string& ns,
                                     const ListOptions& options) {
  return inner_.list(type, ns, options);
}

Result<Json> WriteThroughCache::create(const ResourceType& type, const std::string& ns, const Json& object) {
  std::string name = object.value("/metadata/name"_json_pointer, std::string());
  return remember(type, ns, name, inner_.create(type, ns, object));
}

Result<Json> WriteThroughCache::update(const ResourceType& type, const std::string& ns, const Json& object,
                                       const std::string& subresource) {
  std::string name = object.value("/metadata/name"_json_pointer, std::string());
  auto answer = inner_.update(type, ns, object, subresource);
  if (!subresource.empty()) {
    std::lock_guard lock(mutex_);
    entries_.erase(key(type, ns, name));
    return answer;
  }
  return remember(type, ns, name, std::move(answer));
}

Result<Json> WriteThroughCache::patch(const ResourceType& type, const std::string& ns,
                                      const std::string& name, PatchType patchType, const Json& patch,
                                      const std::string& subresource, const std::string& fieldManager) {
  auto answer = inner_.patch(type, ns, name, patchType, patch, subresource, fieldManager);
  if (!subresource.empty()) {
    std::lock_guard lock(mutex_);
    entries_.erase(key(type, ns, name));
    return answer;
  }
  return remember(type, ns, name, std::move(answer));
}

Result<Json> WriteThroughCache::remove(const ResourceType& type, const std::string& ns,
                                       const std::string& name, const DeleteOptions& options) {
  {
    std::lock_guard lock(mutex_);
    entries_.erase(key(type, ns, name));
  }
  return inner_.remove(type, ns, name, options);
}

Result<std::unique_ptr<WatchStream>> WriteThroughCache::watch(const ResourceType& type, const std::string& ns,
                                                              const WatchOptions& options) {
  return inner_.watch(type, ns, options);
}

bool WriteThroughCache::forgetIfChanged(const ResourceType& type, const std::string& ns,
                                        const std::string& name, const std::string& resourceVersion) {
  if (!cached(type)) return false;
  std::lock_guard lock(mutex_);
  const std::string k = key(type, ns, name);
  auto it = entries_.find(k);
  if (it != entries_.end() && !resourceVersion.empty() &&
      it->second.object.value("/metadata/resourceVersion"_json_pointer, std::string()) == resourceVersion) {
    return false;  // the echo of what Aviary wrote or read
  }
  if (it != entries_.end()) entries_.erase(it);
  if (resourceVersion.empty()) {
    seen_.erase(k);
  } else {
    seen_[k] = resourceVersion;
  }
  return true;
}

uint64_t WriteThroughCache::hits() const {
  std::lock_guard lock(mutex_);
  return hits_;
}

uint64_t WriteThroughCache::misses() const {
  std::lock_guard lock(mutex_);
  return misses_;
}

}  // namespace aviary::kube
