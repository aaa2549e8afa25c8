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

std::shared_ptr<const PackedJson> WriteThroughCache::pack(Json& object) {
  // managedFields (Server-Side Apply's bookkeeping, on every object the real API server returns; often
  // larger than the rest of a Service) is dropped from the object and its copy: nothing in Aviary reads
  // it, and a PUT built from the copy that omits it leaves the server's unchanged (API reference, "Field
  // management": only an explicit list replaces it).
  if (auto metadata = object.find("metadata"); metadata != object.end() && metadata->is_object())
    metadata->erase("managedFields");
  return std::make_shared<const PackedJson>(object);
}

void WriteThroughCache::keep(const std::string& k, Json& object, const std::string& version,
                             std::uint64_t delivery) {
  Entry& e = entries_[k];
  e.packed = pack(object);
  if (version != e.resourceVersion) e.synced = 0;  // what was synced was another version
  e.resourceVersion = version;
  e.at = clock_.now();
  e.delivery = delivery;
}

std::uint64_t WriteThroughCache::deliveryCount() const {
  std::lock_guard lock(mutex_);
  return deliveries_;
}

Result<Json> WriteThroughCache::remember(const ResourceType& type, const std::string& ns,
                                         const std::string& name, Result<Json> answer, std::uint64_t asked) {
  if (!cached(type)) return answer;
  std::lock_guard lock(mutex_);
  const std::string k = key(type, ns, name);
  auto seen = seen_.find(k);
  auto entry = entries_.find(k);
  const std::string version = answer ? resourceVersionOf(*answer) : std::string();
  const bool stale = answer && ((seen != seen_.end() && version != seen->second) ||
                                (entry != entries_.end() && entry->second.delivery > asked &&
                                 version != entry->second.resourceVersion));
  if (seen != seen_.end()) seen_.erase(seen);
  if (answer && !stale && answer->is_object() && answer->contains("metadata")) {
    keep(k, *answer, version, 0);
  } else {
    entries_.erase(k);  // a conflict or any failure: the next read asks the server
  }
  return answer;
}

bool WriteThroughCache::withFresh(const ResourceType& type, const std::string& ns, const std::string& name,
                                  const std::function<void(Entry&)>& use) {
  const std::string k = key(type, ns, name);
  std::string expiredVersion;
  {
    std::lock_guard lock(mutex_);
    auto it = entries_.find(k);
    if (it != entries_.end() && clock_.now() - it->second.at < ttl_) {
      use(it->second);
      return true;
    }
    if (it != entries_.end() && watched_) expiredVersion = it->second.resourceVersion;
  }
  if (expiredVersion.empty()) return false;
  // Asked outside the lock: the watch's store has its own, and its handlers call forgetIfChanged.
  auto current = watched_(type, ns, name);
  std::lock_guard lock(mutex_);
  auto it = entries_.find(k);
  if (!current || *current != expiredVersion || it == entries_.end() ||
      it->second.resourceVersion != expiredVersion)
    return false;
  it->second.at = clock_.now();
  use(it->second);
  return true;
}

Result<Json> WriteThroughCache::get(const ResourceType& type, const std::string& ns, const std::string& name,
                                    const std::string& subresource) {
  if (!subresource.empty() || !cached(type)) return inner_.get(type, ns, name, subresource);
  std::shared_ptr<const PackedJson> packed;  // a hit, decoded outside the lock
  if (withFresh(type, ns, name, [&](Entry& e) {
        ++hits_;
        packed = e.packed;
      }))
    return packed->unpack();
  std::uint64_t asked = 0;
  {
    std::lock_guard lock(mutex_);
    ++misses_;
    asked = deliveries_;
  }
  return remember(type, ns, name, inner_.get(type, ns, name), asked);
}

bool WriteThroughCache::synced(const ResourceType& type, const std::string& ns, const std::string& name,
                               std::uint64_t digest) {
  if (!cached(type) || digest == 0) return false;
  bool same = false;
  withFresh(type, ns, name, [&](Entry& e) { same = e.synced == digest; });
  return same;
}

void WriteThroughCache::markSynced(const ResourceType& type, const std::string& ns, const std::string& name,
                                   const std::string& resourceVersion, std::uint64_t digest) {
  if (!cached(type) || resourceVersion.empty()) return;
  std::lock_guard lock(mutex_);
  auto it = entries_.find(key(type, ns, name));
  if (it != entries_.end() && it->second.resourceVersion == resourceVersion) it->second.synced = digest;
}

void WriteThroughCache::setWatchedVersions(WatchedVersion watched) {
  std::lock_guard lock(mutex_);
  watched_ = std::move(watched);
}

void WriteThroughCache::setWatchCovers(WatchCovers covers) {
  std::lock_guard lock(mutex_);
  covers_ = std::move(covers);
}

bool WriteThroughCache::probablyAbsent(const ResourceType& type, const std::string& ns,
                                       const std::string& name) {
  if (!cached(type)) return false;
  {
    std::lock_guard lock(mutex_);
    if (!watched_ || !covers_ || entries_.count(key(type, ns, name))) return false;
  }
  // Asked outside the lock, as withFresh does: the watch's store has its own.
  return covers_(type) && !watched_(type, ns, name);
}

Result<Json> WriteThroughCache::list(const ResourceType& type, const std::string& ns,
                                     const ListOptions& options) {
  return inner_.list(type, ns, options);
}

Result<Json> WriteThroughCache::write(const ResourceType& type, const std::string& ns,
                                      const std::string& name, const std::function<Result<Json>()>& call) {
  if (!cached(type)) return call();
  const std::string k = key(type, ns, name);
  auto writing = writing_.begin(k);
  const std::uint64_t asked = deliveryCount();
  Result<Json> answer = Error{ErrorCode::Internal, "the write did not run"};
  try {
    answer = call();
  } catch (...) {
    writing.end();
    std::lock_guard lock(mutex_);
    entries_.erase(k);
    throw;
  }
  const SeenDuringWrite seen = writing.end();
  const std::string made = answer ? resourceVersionOf(*answer) : std::string();
  if (!seen.othersChanged(made)) return remember(type, ns, name, std::move(answer), asked);
  {
    std::lock_guard lock(mutex_);
    entries_.erase(k);  // the server holds something newer than the answer: the next read asks it
    seen_.erase(k);
  }
  if (lateChange_) lateChange_(type, ns, name);
  return answer;
}

void WriteThroughCache::setLateChange(LateChange onLateChange) {
  std::lock_guard lock(mutex_);
  lateChange_ = std::move(onLateChange);
}

Result<Json> WriteThroughCache::create(const ResourceType& type, const std::string& ns, const Json& object) {
  std::string name = object.value("/metadata/name"_json_pointer, std::string());
  return write(type, ns, name, [&] { return inner_.create(type, ns, object); });
}

Result<Json> WriteThroughCache::update(const ResourceType& type, const std::string& ns, const Json& object,
                                       const std::string& subresource) {
  std::string name = object.value("/metadata/name"_json_pointer, std::string());
  if (!subresource.empty()) {
    auto answer = inner_.update(type, ns, object, subresource);
    std::lock_guard lock(mutex_);
    entries_.erase(key(type, ns, name));
    return answer;
  }
  return write(type, ns, name, [&] { return inner_.update(type, ns, object); });
}

Result<Json> WriteThroughCache::patch(const ResourceType& type, const std::string& ns,
                                      const std::string& name, PatchType patchType, const Json& patch,
                                      const std::string& subresource, const std::string& fieldManager) {
  if (!subresource.empty()) {
    auto answer = inner_.patch(type, ns, name, patchType, patch, subresource, fieldManager);
    std::lock_guard lock(mutex_);
    entries_.erase(key(type, ns, name));
    return answer;
  }
  return write(type, ns, name,
               [&] { return inner_.patch(type, ns, name, patchType, patch, "", fieldManager); });
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
                                        const std::string& name, const std::string& resourceVersion,
                                        const Json* delivered) {
  if (!cached(type)) return false;
  const std::string k = key(type, ns, name);
  if (writing_.hold(k, resourceVersion)) return false;  // judged by write() against its answer
  std::lock_guard lock(mutex_);
  auto it = entries_.find(k);
  if (it != entries_.end() && !resourceVersion.empty() && it->second.resourceVersion == resourceVersion) {
    return false;  // the echo of what Aviary wrote or read
  }
  // A copy from an answer may be newer than the delivery (the watch lags behind our writes); a copy from
  // an earlier delivery is older (the watch delivers in order); no copy: the delivery is all there is.
  const bool adopt = delivered && resourceVersionOf(*delivered) == resourceVersion &&
                     (it == entries_.end() || it->second.delivery != 0);
  if (it != entries_.end()) entries_.erase(it);
  if (resourceVersion.empty()) {
    seen_.erase(k);
  } else if (adopt) {
    // Packed under the lock: a read's answer for this object must not slip in between (it would be
    // cached, though it may be older). A Service or a route packs in a few microseconds.
    Json copy = *delivered;
    keep(k, copy, resourceVersion, ++deliveries_);
    seen_.erase(k);  // the entry carries what was seen
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
