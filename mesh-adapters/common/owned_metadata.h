// The metadata of a routing object Aviary writes for a Canary: its name and namespace, Aviary's
// managed-by label, the Canary's custom labels and annotations, and an ownerReference to the Canary so
// Kubernetes collects it with the Canary. One place for every provider.
#pragma once

#include <string>

#include "operator/api/canary.h"
#include "operator/kube/object_sync.h"

namespace aviary::mesh {

inline kube::Json ownedMetadata(const api::Canary& c, const std::string& name,
                                const api::CustomMetadata& extra = {}) {
  kube::Json meta = {{"name", name}, {"namespace", c.ns}};
  kube::Json labels = {{kube::kManagedByLabel, "aviary"}};
  for (const auto& [k, v] : extra.labels) labels[k] = v;
  meta["labels"] = labels;
  if (!extra.annotations.empty()) meta["annotations"] = extra.annotations;
  if (!c.uid.empty()) meta["ownerReferences"] = kube::Json::array({kube::ownerReference(c.name, c.uid)});
  return meta;
}

// An object of `type` named `name` with `spec`, owned by the Canary.
inline kube::Json ownedObject(const kube::ResourceType& type, const api::Canary& c, const std::string& name,
                              kube::Json spec, const api::CustomMetadata& extra = {}) {
  return {{"apiVersion", type.apiVersion()},
          {"kind", type.kind},
          {"metadata", ownedMetadata(c, name, extra)},
          {"spec", std::move(spec)}};
}

}  // namespace aviary::mesh
