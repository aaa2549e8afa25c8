// AWS App Mesh (appmesh.k8s.aws/v1beta2; AWS ended the service on 2026-09-30, clusters still run it):
// VirtualNodes <apex>-primary and <apex>-canary (a listener on spec.service.port, DNS discovery of their
// Services, the pod selectors, spec.service.backends), a VirtualRouter <apex> whose route's
// weightedTargets carry the weights (retry policy and timeout from spec.service, A/B routes for
// analysis.match at a higher priority), and VirtualServices <apex> (through the router) and
// <apex>-canary (straight to the canary's node). The sidecar injector reads a pod's VirtualNode when the
// pod starts, so the nodes are written before any pod (prepare). spec.service.meshName names the mesh.
#pragma once

#include "mesh-adapters/common/mesh_router.h"

namespace aviary::mesh::appmesh {

inline const kube::ResourceType kVirtualNodes{"appmesh.k8s.aws", "v1beta2", "virtualnodes", "VirtualNode",
                                              true};
inline const kube::ResourceType kVirtualRouters{"appmesh.k8s.aws", "v1beta2", "virtualrouters",
                                                "VirtualRouter", true};
inline const kube::ResourceType kVirtualServices{"appmesh.k8s.aws", "v1beta2", "virtualservices",
                                                 "VirtualService", true};

class AppMeshRouter : public MeshRouter {
 public:
  using MeshRouter::MeshRouter;
  Status prepare(const api::Canary& canary, const PodSelector& pods) override;

  // The objects reconcile() converges to (exposed for tests).
  static kube::Json virtualNode(const api::Canary& canary, const std::string& name,
                                const std::string& podLabelKey, const std::string& podLabelValue);
  static Result<kube::Json> virtualRouter(const api::Canary& canary, const TrafficIntent& intent);

 protected:
  Status writeRoutes(const api::Canary& canary, const PodSelector& pods,
                     const TrafficIntent& intent) override;
  Result<TrafficIntent> readRoutes(const api::Canary& canary) override;
  std::optional<ObjectName> routesObject(const api::Canary& canary) const override {
    return ObjectName{&kVirtualRouters, canary.apexName()};
  }
  Result<bool> releaseRoutes(const api::Canary& canary) override;
};

ProviderDescriptor descriptor();

}  // namespace aviary::mesh::appmesh
