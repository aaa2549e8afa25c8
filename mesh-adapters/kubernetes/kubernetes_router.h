// No mesh, blue/green by the apex Service's selector (provider "kubernetes"): the new version is analysed
// through <apex>-canary for analysis.iterations while the apex selects the primary's pods; then the apex
// selects the canary's (an instant cut-over), the primary takes the new template, and once it is ready the
// apex selects it again and the canary scales to zero. The only weights are 0 and 100; mirroring and
// request matching need a proxy, so this provider rejects them (api::RouterCapabilities).
#pragma once

#include "mesh-adapters/common/mesh_router.h"

namespace aviary::mesh::kubernetes {

class KubernetesRouter : public MeshRouter {
 public:
  using MeshRouter::MeshRouter;

 protected:
  Status writeRoutes(const api::Canary& canary, const PodSelector& pods,
                     const TrafficIntent& intent) override;
  // From the apex Service's selector: the primary's pods (weights 100/0) or the canary's (0/100).
  Result<TrafficIntent> readRoutes(const api::Canary& canary) override;
  Result<bool> releaseRoutes(const api::Canary&) override { return false; }
  bool apexSelectsCanary(const TrafficIntent& intent) const override { return intent.canaryWeight == 100; }
  // While a release is under way, waits until the apex's endpoints list only the selected side's pods.
  Status afterApex(const api::Canary& canary, const TrafficIntent& intent) override;
};

ProviderDescriptor descriptor();

}  // namespace aviary::mesh::kubernetes
