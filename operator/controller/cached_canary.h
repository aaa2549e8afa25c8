// What the Canary informer keeps of each Canary: the object packed (MessagePack, packed_json.h; its
// metadata's bookkeeping dropped, projection.h), and the few fields the event handlers and the cache's
// indexes read on every event, so that they never unpack it. A reconcile unpacks the object once.
// At 1,000 Canaries the parsed copies took 7.5 MB of the operator's heap (jemalloc's heap profile in
// docs/performance.md); packed they take about a sixth of that.
#pragma once

#include <string>

#include "operator/kube/packed_json.h"

namespace aviary::controller {

struct CachedCanary {
  std::string key;              // "namespace/name"
  std::string resourceVersion;  // metadata.resourceVersion
  std::string targetKey;        // "namespace/<spec.targetRef.name>"
  std::string apexKey;          // "namespace/<spec.service.name, or the target's name>": the apex Service
  kube::PackedJson object;      // the Canary without managedFields and kubectl's last-applied copy

  // Made from a Canary as the list or watch delivered it.
  static CachedCanary of(const kube::Json& canary);
};

}  // namespace aviary::controller
