#include "sandbox/api/object_store.h"

#include <random>

#include "operator/core/base64.h"
#include "operator/core/time_format.h"
#include "sandbox/api/api_errors.h"

namespace aviary::sandbox {
namespace {

std::string newUid() {
  static std::mt19937_64 rng{std::random_device{}()};
  static std::mutex m;
  std::lock_guard lock(m);
  char buf[40];
  unsigned long long a = rng(), b = rng();
  std::snprintf(buf, sizeof buf, "%08llx-%04llx-4%03llx-a%03llx-%012llx", a >> 32, (a >> 16) & 0xffff,
                a & 0xfff, (b >> 48) & 0xfff, b & 0xffffffffffffULL);
  return buf;
}

std::string randomSuffix() {
  static const char alphabet[] = "bcdfghjklmnpqrstvwxz2456789";
  static std::mt19937 rng{std::random_device{}()};
  static std::mutex m;
  std::lock_guard lock(m);
  std::string s;
  for (int i = 0; i < 5; ++i) s += alphabet[rng() % (sizeof alphabet - 1)];
  return s;
}

std::string keyOf(const std::string& ns, const std::string& name) {
  return ns + "/" + name;
}

// An object's metadata without copying it (the watch and list paths call this per object).
const Json& metaOf(const Json& o) {
  static const Json kEmpty = Json::object();
  auto it = o.find("metadata");
  return it != o.end() && it->is_object() ? *it : kEmpty;
}

// Does the change count for metadata.generation? Everything outside metadata and status (and, for
// Deployments, annotations too).
bool generationChanges(const ResourceKind& kind, const Json& before, const Json& after) {
  Json a = before, b = after;
  for (Json* o : {&a, &b}) {
    o->erase("metadata");
    o->erase("status");
  }
  if (a != b) return true;
  if (kind.annotationsBumpGeneration) {
    return metaOf(before).value("annotations", Json::object()) !=
           metaOf(after).value("annotations", Json::object());
  }
  return false;
}

}  // namespace

ObjectStore::ObjectStore(std::size_t historyPerResource) : historyLimit_(historyPerResource) {}

Json ObjectStore::commitLocked(Collection& c, const std::string& key, Json object, const std::string& type) {
  ++rv_;
  object["metadata"]["resourceVersion"] = std::to_string(rv_);
  auto shared = std::make_shared<const Json>(std::move(object));
  if (type == "DELETED") {
    c.objects.erase(key);
  } else {
    c.objects[key] = shared;
  }
  c.history.push_back({rv_, type, shared, std::make_shared<const std::string>(shared->dump())});
  while (c.history.size() > historyLimit_) {
    c.compactedThrough = c.history.front().rv;
    c.history.pop_front();
  }
  c.changed.notify_all();
  changed_.notify_all();  // only the watchers of a resource written for the first time wait here
  return *shared;
}

Result<Json> ObjectStore::create(const ResourceKind& kind, const std::string& ns, Json object, bool dryRun) {
  if (!object.is_object())
    return apiError(ErrorCode::BadRequest, 400, "BadRequest", "the body must be a JSON object");
  Json& meta = object["metadata"];
  if (!meta.is_object()) meta = Json::object();
  std::string name = meta.value("name", "");
  std::lock_guard lock(mutex_);
  Collection& c = collections_[kind.key()];
  if (name.empty()) {
    std::string prefix = meta.value("generateName", "");
    if (prefix.empty())
      return invalidError(kind, "", "metadata.name: Required value: name or generateName is required");
    do {
      name = prefix + randomSuffix();
    } while (c.objects.count(keyOf(ns, name)));
    meta["name"] = name;
  }
  if (c.objects.count(keyOf(ns, name))) {
    return apiError(ErrorCode::AlreadyExists, 409, "AlreadyExists",
                    kind.qualified() + " \"" + name + "\" already exists");
  }
  object["apiVersion"] = kind.apiVersion(kind.storageVersion);
  object["kind"] = kind.kind;
  if (kind.namespaced) {
    meta["namespace"] = ns;
  } else {
    meta.erase("namespace");
  }
  meta["uid"] = newUid();
  meta["creationTimestamp"] = formatRfc3339(std::chrono::system_clock::now());
  meta.erase("deletionTimestamp");
  if (kind.hasGeneration) meta["generation"] = 1;
  // Status is the controllers' to write: a created custom resource has none, a built-in one starts empty
  // (the real server answers `status: {}` for a new Deployment; clients read fields of it at once).
  if (kind.statusSubresource) {
    if (kind.custom) {
      object.erase("status");
    } else {
      object["status"] = Json::object();
    }
  }
  if (dryRun) {
    object["metadata"]["resourceVersion"] = "";
    return object;
  }
  return commitLocked(c, keyOf(ns, name), std::move(object), "ADDED");
}

Result<Json> ObjectStore::get(const ResourceKind& kind, const std::string& ns,
                              const std::string& name) const {
  std::lock_guard lock(mutex_);
  auto c = collections_.find(kind.key());
  if (c == collections_.end()) return notFoundError(kind, name);
  auto it = c->second.objects.find(keyOf(ns, name));
  if (it == c->second.objects.end()) return notFoundError(kind, name);
  return *it->second;
}

Result<ListResult> ObjectStore::list(const ResourceKind& kind, const std::string& ns,
                                     const LabelSelector& labels, const FieldSelector& fields,
                                     std::size_t limit, const std::string& continueToken) const {
  std::lock_guard lock(mutex_);
  ListResult out;
  out.resourceVersion = std::to_string(rv_);
  std::string after;
  if (!continueToken.empty()) {
    auto decoded = base64Decode(continueToken);
    if (!decoded) return apiError(ErrorCode::BadRequest, 400, "BadRequest", "invalid continue token");
    after = *decoded;
  }
  auto c = collections_.find(kind.key());
  if (c == collections_.end()) return out;
  auto it = after.empty() ? c->second.objects.begin() : c->second.objects.upper_bound(after);
  for (; it != c->second.objects.end(); ++it) {
    const Json& o = *it->second;
    if (!ns.empty() && it->first.compare(0, ns.size() + 1, ns + "/") != 0) continue;
    if (!labels.matches(metaOf(o).value("labels", Json()))) continue;
    if (!fields.matches(o)) continue;
    if (limit > 0 && out.items.size() == limit) {
      out.continueToken = base64Encode(std::prev(it)->first);
      break;
    }
    out.items.push_back(o);
  }
  return out;
}

Result<Json> ObjectStore::writeLocked(const ResourceKind& kind, Collection& c, const std::string& ns,
                                      const std::string& name, const Json& current, Json object,
                                      WriteTarget target, bool dryRun) {
  if (!object.is_object())
    return apiError(ErrorCode::BadRequest, 400, "BadRequest", "the body must be a JSON object");
  const Json& curMeta = metaOf(current);
  Json next;
  if (target == WriteTarget::Status) {
    // Only status is taken from the request.
    next = current;
    if (object.contains("status")) {
      next["status"] = object["status"];
    } else {
      next.erase("status");
    }
  } else {
    next = std::move(object);
    if (kind.statusSubresource) {
      if (current.contains("status")) {
        next["status"] = current["status"];
      } else {
        next.erase("status");
      }
    }
    Json& meta = next["metadata"];
    if (!meta.is_object()) meta = Json::object();
    meta["name"] = name;
    if (kind.namespaced) meta["namespace"] = ns;
    for (const char* immutable : {"uid", "creationTimestamp", "deletionTimestamp", "generation"}) {
      if (curMeta.contains(immutable)) {
        meta[immutable] = curMeta[immutable];
      } else {
        meta.erase(immutable);
      }
    }
    next["apiVersion"] = kind.apiVersion(kind.storageVersion);
    next["kind"] = kind.kind;
    if (kind.hasGeneration && generationChanges(kind, current, next)) {
      meta["generation"] = curMeta.value("generation", 0) + 1;
    }
    if (curMeta.contains("deletionTimestamp")) {
      auto before = curMeta.value("finalizers", std::vector<std::string>{});
      for (const auto& f : meta.value("finalizers", std::vector<std::string>{})) {
        if (std::find(before.begin(), before.end(), f) == before.end()) {
          return apiError(
              ErrorCode::Forbidden, 403, "Forbidden",
              "no new finalizers can be added if the object is being deleted, found new finalizers [\"" + f +
                  "\"]");
        }
      }
    }
  }
  next["metadata"]["resourceVersion"] = curMeta.value("resourceVersion", "");
  if (next == current) return current;  // no-op writes do not bump the resourceVersion
  if (dryRun) return next;
  std::string key = keyOf(ns, name);
  if (metaOf(next).contains("deletionTimestamp") && metaOf(next).value("finalizers", Json::array()).empty()) {
    return commitLocked(c, key, std::move(next), "DELETED");
  }
  return commitLocked(c, key, std::move(next), "MODIFIED");
}

Result<Json> ObjectStore::update(const ResourceKind& kind, const std::string& ns, const std::string& name,
                                 Json object, WriteTarget target, bool dryRun) {
  std::lock_guard lock(mutex_);
  Collection& c = collections_[kind.key()];
  auto it = c.objects.find(keyOf(ns, name));
  if (it == c.objects.end()) return notFoundError(kind, name);
  std::string rv = object.is_object() ? metaOf(object).value("resourceVersion", "") : "";
  if (rv.empty() && kind.custom) {
    return invalidError(kind, name,
                        "metadata.resourceVersion: Invalid value: 0x0: must be specified for an update");
  }
  if (!rv.empty() && rv != metaOf(*it->second).value("resourceVersion", "")) return conflictError(kind, name);
  Json current = *it->second;
  return writeLocked(kind, c, ns, name, current, std::move(object), target, dryRun);
}

Result<Json> ObjectStore::modify(const ResourceKind& kind, const std::string& ns, const std::string& name,
                                 const std::function<Result<Json>(const Json&)>& mutate, WriteTarget target,
                                 bool dryRun) {
  std::lock_guard lock(mutex_);
  Collection& c = collections_[kind.key()];
  auto it = c.objects.find(keyOf(ns, name));
  if (it == c.objects.end()) return notFoundError(kind, name);
  Json current = *it->second;
  auto next = mutate(current);
  if (!next) return next;
  std::string rv = next->is_object() ? metaOf(*next).value("resourceVersion", "") : "";
  if (!rv.empty() && rv != metaOf(current).value("resourceVersion", "")) return conflictError(kind, name);
  return writeLocked(kind, c, ns, name, current, std::move(*next), target, dryRun);
}

Result<Json> ObjectStore::remove(const ResourceKind& kind, const std::string& ns, const std::string& name,
                                 const std::string& preconditionResourceVersion) {
  std::lock_guard lock(mutex_);
  Collection& c = collections_[kind.key()];
  std::string key = keyOf(ns, name);
  auto it = c.objects.find(key);
  if (it == c.objects.end()) return notFoundError(kind, name);
  Json current = *it->second;
  if (!preconditionResourceVersion.empty() &&
      preconditionResourceVersion != metaOf(current).value("resourceVersion", "")) {
    return conflictError(kind, name);
  }
  if (!metaOf(current).value("finalizers", Json::array()).empty()) {
    if (metaOf(current).contains("deletionTimestamp")) return current;
    current["metadata"]["deletionTimestamp"] = formatRfc3339(std::chrono::system_clock::now());
    current["metadata"]["deletionGracePeriodSeconds"] = 0;
    return commitLocked(c, key, std::move(current), "MODIFIED");
  }
  return commitLocked(c, key, std::move(current), "DELETED");
}

void ObjectStore::dropAll(const ResourceKind& kind) {
  std::lock_guard lock(mutex_);
  Collection& c = collections_[kind.key()];
  std::vector<std::string> keys;
  for (const auto& [key, object] : c.objects) keys.push_back(key);
  for (const auto& key : keys) {
    Json last = *c.objects[key];
    commitLocked(c, key, std::move(last), "DELETED");
  }
}

Result<std::vector<StoredEvent>> ObjectStore::eventsAfter(const ResourceKind& kind, const std::string& ns,
                                                          long long afterRv,
                                                          std::chrono::steady_clock::time_point until) const {
  std::unique_lock lock(mutex_);
  while (true) {
    std::vector<StoredEvent> out;
    auto c = collections_.find(kind.key());
    if (c != collections_.end()) {
      if (afterRv < c->second.compactedThrough) {
        return apiError(ErrorCode::Gone, 410, "Expired",
                        "too old resource version: " + std::to_string(afterRv) + " (" +
                            std::to_string(c->second.compactedThrough + 1) + ")");
      }
      // History is ordered by rv: binary search for the first newer event.
      const auto& h = c->second.history;
      auto first = std::upper_bound(h.begin(), h.end(), afterRv,
                                    [](long long rv, const StoredEvent& e) { return rv < e.rv; });
      for (auto it = first; it != h.end(); ++it) {
        if (!ns.empty() && metaOf(*it->object).value("namespace", "") != ns) continue;
        out.push_back(*it);
      }
    }
    if (!out.empty() || std::chrono::steady_clock::now() >= until) return out;
    (c != collections_.end() ? c->second.changed : changed_).wait_until(lock, until);
  }
}

void ObjectStore::wakeWatchers() const {
  std::lock_guard lock(mutex_);
  for (auto& [key, c] : collections_) c.changed.notify_all();
  changed_.notify_all();
}

long long ObjectStore::currentResourceVersion() const {
  std::lock_guard lock(mutex_);
  return rv_;
}

}  // namespace aviary::sandbox
