#include "operator/kube/object_sync.h"

#include <chrono>
#include <functional>
#include <string_view>
#include <vector>

#include "operator/kube/sync_memo.h"

namespace aviary::kube {
namespace {

// `existing` with the managed spec keys, labels, annotations and owner references of `desired`.
Json merged(const Json& existing, const Json& desired, const ManagedFields& managed) {
  Json next = existing;
  // Adopted now: not labelled as Aviary's and not owned by the Canary writing it (someone removing the
  // label of an object Aviary created does not make it the user's), and no original spec recorded yet (a
  // recorded one is never overwritten with what Aviary itself wrote since).
  bool ownedByWriter = false;
  for (const auto& owner : desired["metadata"].value("ownerReferences", Json::array()))
    ownedByWriter = ownedByWriter || ownedBy(existing, owner.value("uid", ""));
  const bool hasOriginal =
      existing.value("/metadata/annotations"_json_pointer, Json::object()).contains(kOriginalSpecAnnotation);
  bool adoptingNow =
      existing.value("/metadata/labels"_json_pointer, Json::object()).value(kManagedByLabel, "") !=
          "aviary" &&
      !ownedByWriter;
  if (adoptingNow && !hasOriginal && existing.contains("spec")) {
    next["metadata"]["annotations"][kOriginalSpecAnnotation] = existing["spec"].dump();
  }
  // The user's object (adopted now or earlier) never points at a Canary: on a real cluster the garbage
  // collector would delete it with the Canary (found on the real control plane, issue 9). An owner
  // reference that an earlier build left on it is removed.
  const bool usersObject = adoptingNow || hasOriginal;
  const Json desiredSpec = desired.value("spec", Json::object());
  for (const auto& key : managed.specKeys) {
    if (desiredSpec.contains(key)) {
      next["spec"][key] = desiredSpec[key];
    } else if (next.contains("spec") && next["spec"].is_object()) {
      next["spec"].erase(key);
    }
  }
  for (const auto& key : managed.topKeys) {
    if (desired.contains(key)) {
      next[key] = desired[key];
    } else {
      next.erase(key);
    }
  }
  for (const char* field : {"labels", "annotations"}) {
    const Json values = desired["metadata"].value(field, Json::object());
    for (const auto& [k, v] : values.items()) {
      // Only merged() records an original spec: one arriving in desired came from a Canary's metadata.
      if (k == kOriginalSpecAnnotation) continue;
      next["metadata"][field][k] = v;
    }
  }
  for (auto owner : desired["metadata"].value("ownerReferences", Json::array())) {
    const std::string uid = owner.value("uid", "");
    if (usersObject) {
      Json rest = ownerReferencesWithout(next, uid);
      if (rest.is_null()) {
        next["metadata"].erase("ownerReferences");
      } else {
        next["metadata"]["ownerReferences"] = std::move(rest);
      }
      continue;
    }
    if (ownedBy(next, uid)) continue;
    Json& owners = next["metadata"]["ownerReferences"];
    if (!owners.is_array()) owners = Json::array();
    // An object two Canaries share (a ConfigMap's "-primary" copy) gets one controller reference and
    // plain owner references after it: the API server refuses two controllers, and the garbage collector
    // deletes it only when no owner is left.
    bool controlled = false;
    for (const auto& o : owners) controlled = controlled || o.value("controller", false);
    if (controlled) owner["controller"] = false;
    owners.push_back(owner);
  }
  return next;
}

// Whether `stored` is an object Aviary created for the owner named in `desired` and for it alone: the
// only kind of object syncObject may delete to recreate it.
bool createdOnlyFor(const Json& stored, const Json& desired) {
  const Json owners = desired["metadata"].value("ownerReferences", Json::array());
  if (owners.empty()) return false;
  const std::string uid = owners[0].value("uid", "");
  return ownedBy(stored, uid) && ownerReferencesWithout(stored, uid).is_null() && !adopted(stored);
}

// The owner references left when ours goes: if ours was the controller, the first remaining Canary's
// reference becomes the controller, so the object stays collected with the Canaries that use it.
Json remainingOwners(const Json& stored, const std::string& ownerUid) {
  Json rest = ownerReferencesWithout(stored, ownerUid);
  bool controlled = false;
  for (const auto& o : rest) controlled = controlled || o.value("controller", false);
  if (controlled) return rest;
  for (auto& o : rest) {
    if (o.value("kind", "") == "Canary" && o.value("apiVersion", "").rfind("aviary.io/", 0) == 0) {
      o["controller"] = true;
      break;
    }
  }
  return rest;
}

// What a SyncMemo remembers a sync by: the desired object and everything else the merge depends on.
// 0 (no memo) when a callback may depend on something the caller did not put in `variant`. The desired
// object is hashed through its MessagePack bytes (std::hash of a string: 64-bit MurmurHash2 in libstdc++)
// rather than nlohmann's std::hash<json>, which hashes integers as themselves and combines them weakly:
// two routes differing only in weights must not share a digest, or the second would never be written.
std::uint64_t syncDigest(const ResourceType& type, const Json& desired, const ManagedFields& managed) {
  if ((managed.keepFromStored || managed.immutableMismatch) && managed.variant == 0) return 0;
  const std::vector<std::uint8_t> bytes = Json::to_msgpack(desired);
  std::size_t h = std::hash<std::string_view>{}(
      std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
  auto mix = [&h](std::size_t v) { h ^= v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2); };  // boost's
  mix(std::hash<std::string>{}(type.group + "/" + type.plural));
  for (const auto* keys : {&managed.specKeys, &managed.topKeys}) {
    for (const auto& k : *keys) mix(std::hash<std::string>{}(k));
    mix(keys->size());
  }
  mix(managed.variant);
  return h;
}

}  // namespace

Status syncObject(KubeClient& client, const ResourceType& type, const std::string& ns, const Json& desired,
                  const ManagedFields& managed) {
  const std::string name = desired["metadata"].value("name", "");
  auto* const cache = dynamic_cast<SyncMemo*>(&client);
  auto* memo = cache && cache->remembers(type) ? cache : nullptr;  // no digest computed for nothing
  const std::uint64_t digest = memo ? syncDigest(type, desired, managed) : 0;
  if (digest == 0) memo = nullptr;
  if (memo && memo->synced(type, ns, name, digest)) return {};
  auto done = [&](const Result<Json>& stored) -> Status {
    if (!stored) return stored.error();
    if (memo) memo->markSynced(type, ns, name, resourceVersionOf(*stored), digest);
    return {};
  };
  auto fresh = [&desired] {  // what a create sends: nothing adopted, so no original spec to keep
    Json object = desired;
    if (object["metadata"].contains("annotations"))
      object["metadata"]["annotations"].erase(kOriginalSpecAnnotation);
    return object;
  };
  if (cache && cache->probablyAbsent(type, ns, name)) {
    // Very probably new: create without reading first. Any refusal leads to the read below, not only
    // AlreadyExists: admission (a ResourceQuota, a policy webhook) judges a create before the API server
    // looks for an existing object, so a user's object Aviary would adopt may be refused otherwise.
    if (auto created = client.create(type, ns, fresh())) return done(created);
  }
  for (int attempt = 0;; ++attempt) {
    auto existing = client.get(type, ns, name);
    if (!existing && existing.error().code == ErrorCode::NotFound) {
      auto created = client.create(type, ns, fresh());
      if (created || created.error().code != ErrorCode::AlreadyExists || attempt >= 3) return done(created);
      continue;  // someone else created it meanwhile: merge into theirs
    }
    if (!existing) return existing.error();
    if (auto reason = managed.immutableMismatch ? managed.immutableMismatch(*existing) : std::nullopt) {
      if (!createdOnlyFor(*existing, desired)) {
        return Error{ErrorCode::Invalid,
                     type.kind + " " + name + ": " + *reason +
                         ", and Aviary recreates only objects it created for this Canary"};
      }
      if (existing->contains("/metadata/deletionTimestamp"_json_pointer) || attempt >= 3) {
        Error e{ErrorCode::Unavailable, type.kind + " " + name + " is being recreated (" + *reason + ")"};
        e.retryAfter = std::chrono::seconds(1);
        return e;
      }
      DeleteOptions options;
      options.preconditionResourceVersion = resourceVersionOf(*existing);
      auto removed = client.remove(type, ns, name, options);
      if (!removed && removed.error().code != ErrorCode::NotFound &&
          removed.error().code != ErrorCode::Conflict)
        return removed.error();
      continue;  // created afresh on the next pass (or, changed meanwhile, judged again)
    }
    Json next = merged(*existing, desired, managed);
    if (managed.keepFromStored) managed.keepFromStored(*existing, next);
    if (next == *existing) return done(existing);
    auto updated = client.update(type, ns, next);
    if (updated || updated.error().code != ErrorCode::Conflict || attempt >= 3) return done(updated);
  }
}

Status deleteIfOwned(KubeClient& client, const ResourceType& type, const std::string& ns,
                     const std::string& name, const std::string& ownerUid) {
  for (int attempt = 0;; ++attempt) {
    auto existing = client.get(type, ns, name);
    if (!existing) return existing.error().code == ErrorCode::NotFound ? Status{} : Status(existing.error());
    if (!ownedBy(*existing, ownerUid)) return {};
    Result<Json> written = Json();
    if (ownerReferencesWithout(*existing, ownerUid).is_null()) {
      DeleteOptions options;
      options.preconditionResourceVersion = resourceVersionOf(*existing);
      written = client.remove(type, ns, name, options);
    } else {  // others still use it: only our share goes (the update carries the resourceVersion)
      Json next = *existing;
      next["metadata"]["ownerReferences"] = remainingOwners(*existing, ownerUid);
      written = client.update(type, ns, next);
    }
    if (written || written.error().code == ErrorCode::NotFound) return {};
    if (written.error().code != ErrorCode::Conflict || attempt >= 3) return written.error();
  }
}

Status releaseObject(KubeClient& client, const ResourceType& type, const std::string& ns,
                     const std::string& name, const std::string& ownerUid) {
  auto existing = client.get(type, ns, name);
  if (!existing) return existing.error().code == ErrorCode::NotFound ? Status{} : Status(existing.error());
  const Json annotations = existing->value("/metadata/annotations"_json_pointer, Json::object());
  if (!annotations.contains(kOriginalSpecAnnotation)) return deleteIfOwned(client, type, ns, name, ownerUid);
  Json restored = *existing;
  restored["spec"] = Json::parse(annotations[kOriginalSpecAnnotation].get<std::string>(), nullptr, false);
  if (restored["spec"].is_discarded()) return deleteIfOwned(client, type, ns, name, ownerUid);
  restored["metadata"]["annotations"].erase(kOriginalSpecAnnotation);
  if (restored["metadata"].contains("labels")) restored["metadata"]["labels"].erase(kManagedByLabel);
  auto r = client.update(type, ns, restored);
  return r ? Status{} : Status(r.error());
}

Json ownerReference(const std::string& canaryName, const std::string& canaryUid) {
  return {{"apiVersion", "aviary.io/v1beta1"},
          {"kind", "Canary"},
          {"name", canaryName},
          {"uid", canaryUid},
          {"controller", true},
          {"blockOwnerDeletion", true}};
}

bool adopted(const Json& object) {
  return object.value("/metadata/labels"_json_pointer, Json::object()).value(kManagedByLabel, "") !=
             "aviary" ||
         object.value("/metadata/annotations"_json_pointer, Json::object()).contains(kOriginalSpecAnnotation);
}

bool ownedBy(const Json& object, const std::string& ownerUid) {
  if (ownerUid.empty()) return false;
  for (const auto& o : object.value("/metadata/ownerReferences"_json_pointer, Json::array())) {
    if (o.value("uid", "") == ownerUid) return true;
  }
  return false;
}

Json ownerReferencesWithout(const Json& object, const std::string& ownerUid) {
  Json rest = Json::array();
  for (const auto& o : object.value("/metadata/ownerReferences"_json_pointer, Json::array())) {
    if (o.value("uid", "") != ownerUid) rest.push_back(o);
  }
  return rest.empty() ? Json(nullptr) : rest;
}

}  // namespace aviary::kube
