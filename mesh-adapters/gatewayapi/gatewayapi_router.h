// Gateway API (gateway.networking.k8s.io/v1 HTTPRoute, which Linkerd, Kuma, Contour, Envoy Gateway,
// Cilium and Istio implement): an HTTPRoute <apex> attached to spec.service.gatewayRefs, or to the apex
// Service itself when none is given (GAMMA, mesh traffic), with the user's hostnames (spec.service.hosts),
// matches (spec.service.match) and request timeout (spec.service.timeout). Its rule's backendRefs carry
// the weights; mirroring is a RequestMirror filter with its percent; A/B testing is a rule for
// analysis.match to the canary alone, which Gateway API's precedence puts before the catch-all rule.
#pragma once

#include "mesh-adapters/common/mesh_router.h"

namespace aviary::mesh::gatewayapi {

inline const kube::ResourceType kHttpRoutes{"gateway.networking.k8s.io", "v1", "httproutes", "HTTPRoute",
                                            true};

class GatewayApiRouter : public MeshRouter {
 public:
  using MeshRouter::MeshRouter;

  // The HTTPRoute reconcile() converges to (exposed for tests). Invalid: a match it cannot express.
  static Result<kube::Json> httpRoute(const api::Canary& canary, const TrafficIntent& intent);

 protected:
  Status writeRoutes(const api::Canary& canary, const PodSelector& pods,
                     const TrafficIntent& intent) override;
  Result<TrafficIntent> readRoutes(const api::Canary& canary) override;
  std::optional<ObjectName> routesObject(const api::Canary& canary) const override {
    return ObjectName{&kHttpRoutes, canary.apexName()};
  }
  Result<bool> releaseRoutes(const api::Canary& canary) override;
};

ProviderDescriptor descriptor();

}  // namespace aviary::mesh::gatewayapi
