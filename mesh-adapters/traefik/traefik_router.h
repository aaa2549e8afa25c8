// Traefik (traefik.io/v1alpha1): a TraefikService <apex> whose weighted.services split the requests
// between <apex>-primary and <apex>-canary; while mirroring, its mirroring sends every request to the
// primary and a percent of them to the canary (a TraefikService is weighted or mirroring, not both, so the
// mirrored step has the canary at weight 0, as Flagger's mirroring step). The user's IngressRoute names
// the TraefikService <apex>.
#pragma once

#include "mesh-adapters/common/mesh_router.h"

namespace aviary::mesh::traefik {

inline const kube::ResourceType kTraefikServices{"traefik.io", "v1alpha1", "traefikservices",
                                                 "TraefikService", true};

class TraefikRouter : public MeshRouter {
 public:
  using MeshRouter::MeshRouter;

  // The TraefikService reconcile() converges to (exposed for tests). Invalid: mirroring with a canary weight.
  static Result<kube::Json> traefikService(const api::Canary& canary, const TrafficIntent& intent);

 protected:
  Status writeRoutes(const api::Canary& canary, const PodSelector& pods,
                     const TrafficIntent& intent) override;
  Result<TrafficIntent> readRoutes(const api::Canary& canary) override;
  std::optional<ObjectName> routesObject(const api::Canary& canary) const override {
    return ObjectName{&kTraefikServices, canary.apexName()};
  }
  Result<bool> releaseRoutes(const api::Canary& canary) override;
};

ProviderDescriptor descriptor();

}  // namespace aviary::mesh::traefik
