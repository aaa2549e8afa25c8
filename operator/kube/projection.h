// Helpers for informer projections (informer.h): what a cache keeps of an object's metadata.
#pragma once

#include "operator/kube/kube_client.h"

namespace aviary::kube {

// An object's metadata without the API server's and kubectl's bookkeeping, which nothing in Aviary reads
// and which is often larger than the rest: managedFields (Server-Side Apply's field ownership) and the
// kubectl.kubernetes.io/last-applied-configuration annotation (a second copy of the whole object). Writes
// built from such a projection keep both: a PUT without managedFields leaves the server's unchanged, and
// a status-subresource PUT takes nothing but the status (Kubernetes API reference, "Field management"
// and "Subresources").
inline Json compactMetadata(const Json& metadata) {
  if (!metadata.is_object()) return metadata;
  Json m = Json::object();  // built without the dropped fields, which are never copied
  for (auto it = metadata.begin(); it != metadata.end(); ++it) {
    if (it.key() == "managedFields") continue;
    if (it.key() == "annotations" && it->is_object()) {
      Json annotations = Json::object();
      for (auto a = it->begin(); a != it->end(); ++a) {
        if (a.key() != "kubectl.kubernetes.io/last-applied-configuration") annotations[a.key()] = *a;
      }
      if (!annotations.empty()) m["annotations"] = std::move(annotations);
      continue;
    }
    m[it.key()] = *it;
  }
  return m;
}

// The whole object with its metadata compacted (compactMetadata), copied once.
inline Json withCompactMetadata(const Json& object) {
  if (!object.is_object()) return object;
  Json out = Json::object();
  for (auto it = object.begin(); it != object.end(); ++it)
    out[it.key()] = it.key() == "metadata" ? compactMetadata(*it) : *it;
  return out;
}

}  // namespace aviary::kube
