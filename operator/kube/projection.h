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
  Json m = metadata;
  if (!m.is_object()) return m;
  m.erase("managedFields");
  if (auto a = m.find("annotations"); a != m.end() && a->is_object()) {
    a->erase("kubectl.kubernetes.io/last-applied-configuration");
    if (a->empty()) m.erase("annotations");
  }
  return m;
}

}  // namespace aviary::kube
