#include "operator/controller/cached_canary.h"

#include "operator/kube/projection.h"
#include "operator/kube/store.h"

namespace aviary::controller {

CachedCanary CachedCanary::of(const kube::Json& canary) {
  const kube::Json& metadata = canary["metadata"];  // always there: the informer keys objects by it
  const std::string ns = metadata.value("namespace", ""), name = metadata.value("name", "");
  const std::string target = canary.value("/spec/targetRef/name"_json_pointer, std::string());
  std::string apex = canary.value("/spec/service/name"_json_pointer, std::string());
  if (apex.empty()) apex = target;
  return CachedCanary{kube::objectKey(ns, name), kube::resourceVersionOf(canary), kube::objectKey(ns, target),
                      kube::objectKey(ns, apex), kube::PackedJson(kube::withCompactMetadata(canary))};
}

}  // namespace aviary::controller
