// Istio: a VirtualService <apex> that splits the apex host between <apex>-primary and <apex>-canary by
// weight (with the canary's gateways, hosts, match, retries, timeout, rewrite, headers and corsPolicy),
// and DestinationRules <apex>-primary / <apex>-canary carrying service.trafficPolicy. With
// service.delegation the VirtualService is a delegate: no hosts, no gateways. A/B testing puts a route
// for analysis.match to the canary before the weighted one; mirroring sets the weighted route's mirror and
// mirrorPercentage. API: networking.istio.io/v1beta1 VirtualService and DestinationRule.
#pragma once

#include "mesh-adapters/common/mesh_router.h"

namespace aviary::mesh::istio {

inline const kube::ResourceType kVirtualServices{"networking.istio.io", "v1beta1", "virtualservices",
                                                 "VirtualService", true};
inline const kube::ResourceType kDestinationRules{"networking.istio.io", "v1beta1", "destinationrules",
                                                  "DestinationRule", true};

class IstioRouter : public MeshRouter {
 public:
  using MeshRouter::MeshRouter;

  // The objects reconcile() converges to (exposed for tests).
  static kube::Json virtualService(const api::Canary& canary, const TrafficIntent& intent);
  static kube::Json destinationRule(const api::Canary& canary, const std::string& host);

 protected:
  Status writeRoutes(const api::Canary& canary, const PodSelector& pods,
                     const TrafficIntent& intent) override;
  Result<TrafficIntent> readRoutes(const api::Canary& canary) override;
  std::optional<ObjectName> routesObject(const api::Canary& canary) const override {
    return ObjectName{&kVirtualServices, canary.apexName()};
  }
  Result<bool> releaseRoutes(const api::Canary& canary) override;
};

ProviderDescriptor descriptor();

}  // namespace aviary::mesh::istio
