// The one mechanism every router (and the Service router) uses to write objects: create when missing,
// otherwise bring only the fields the router manages to the desired values, keep everything else the
// user or other controllers set, and write nothing when nothing differs. Conflicts retry from fresh state.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "operator/core/result.h"
#include "operator/kube/kube_client.h"

namespace aviary::kube {

struct ManagedFields {
  std::vector<std::string> specKeys;  // top-level keys of .spec the router owns (absent in desired → removed)
  std::vector<std::string> topKeys;  // top-level keys of the object it owns (a ConfigMap's data, binaryData)
  // Optional: the caller's last word on the merged object `next`, given the object as stored, before the
  // two are compared. For values the API server allocated inside a managed key (a Service port's
  // nodePort) and metadata the Canary leaves to others; without it they would differ on every pass.
  std::function<void(const Json& stored, Json& next)> keepFromStored;
  // Optional: why the stored object cannot reach the desired one by an update (an immutable field
  // differs, e.g. a Service's clusterIP), or nullopt when it can.
  std::function<std::optional<std::string>(const Json& stored)> immutableMismatch;
  // What keepFromStored and immutableMismatch depend on besides the stored object and desired (a hash of
  // it, never 0): part of what a SyncMemo remembers, so a change of it is synced again. With either
  // callback set and variant 0 the memo is not used.
  std::uint64_t variant = 0;
};

// An immutableMismatch is resolved by deleting (resourceVersion precondition) and creating again only an
// object Aviary created for the owner named in desired's ownerReferences; any other object (a user's, one
// Aviary adopted, another Canary's) is never deleted: the answer is an Invalid error with the reason.
// When `client` is also a SyncMemo (the write-through cache), an object synced before with the same
// desired object, managed keys and variant, and not changed since, is not read or compared again; and an
// object it deems probably absent is created without being read first (a refused create: read, as always).
Status syncObject(KubeClient& client, const ResourceType& type, const std::string& ns, const Json& desired,
                  const ManagedFields& managed);

// An object Aviary adopted (it existed without Aviary's managed-by label) keeps its original spec here,
// so finalizing can give the user back exactly what they had.
inline constexpr char kOriginalSpecAnnotation[] = "aviary.io/original-spec";
inline constexpr char kManagedByLabel[] = "app.kubernetes.io/managed-by";

// Restores an adopted object's original spec (and drops Aviary's label and annotation), or deletes an
// object Aviary created for the Canary whose uid is `ownerUid`. NotFound is success.
Status releaseObject(KubeClient& client, const ResourceType& type, const std::string& ns,
                     const std::string& name, const std::string& ownerUid);

// Gives up `ownerUid`'s share of the object: if it exists and carries an ownerReference to `ownerUid`
// (the Canary that created it), it is deleted with its resourceVersion as a precondition; an object of the
// same name that someone else made is left alone, so a Canary can never be used to delete what its author
// could not. An object other owners still hold (a "-primary" ConfigMap two Canaries mount) is not deleted:
// only our reference is removed (resourceVersion precondition, conflicts retried from fresh state), and if
// ours was the controller reference the next Canary's becomes the controller. NotFound is success.
Status deleteIfOwned(KubeClient& client, const ResourceType& type, const std::string& ns,
                     const std::string& name, const std::string& ownerUid);

// metadata.ownerReferences entry pointing at the Canary, so Kubernetes collects what Aviary created.
Json ownerReference(const std::string& canaryName, const std::string& canaryUid);

// Whether `object` is a user's that Aviary adopted (or is about to adopt): it has no managed-by=aviary
// label, or it keeps its original spec in kOriginalSpecAnnotation.
bool adopted(const Json& object);
// Whether `object` carries an ownerReference to `ownerUid` (false for an empty uid).
bool ownedBy(const Json& object, const std::string& ownerUid);
// `object`'s ownerReferences without those to `ownerUid`; null when none is left (a merge patch then
// removes the field).
Json ownerReferencesWithout(const Json& object, const std::string& ownerUid);

}  // namespace aviary::kube
