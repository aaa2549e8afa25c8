// A canary with no mesh (provider "replicas"): the apex Service selects the pods of both versions and the
// canary's share is its share of the pods. A weight w becomes k canary pods beside the primary's N,
// k = max(1, round(N·w / (100 − w))) for 0 < w < 100 (1 of 4 pods ≈ 25%); the share read back
// (`observed`) is the one achieved, k / (N + k).
//
// Both versions' pods carry the label aviary.io/apex=<apex> in their template: the router adds it to the
// target's template and to the primary's (a template change Aviary's revision hash ignores; a 3-way-merge
// `kubectl apply`, Helm or Flux keep a label they do not manage). The apex selects that label only once
// every pod of the primary carries it; until then it selects the primary's label, so no user meets a
// Service without endpoints. Mirroring, matches and blue/green need a proxy: refused by validation.
#pragma once

#include "mesh-adapters/common/mesh_router.h"

namespace aviary::mesh::replicas {

inline constexpr char kApexLabel[] = "aviary.io/apex";

// The canary's replicas for `canaryWeight` beside `primaryReplicas`.
int canaryReplicasFor(int canaryWeight, int primaryReplicas);

class ReplicasRouter : public MeshRouter {
 public:
  using MeshRouter::MeshRouter;

 protected:
  Status writeRoutes(const api::Canary& canary, const PodSelector& pods,
                     const TrafficIntent& intent) override;
  // The share achieved: the canary's replicas against the primary's (NotFound before the apex exists).
  Result<TrafficIntent> readRoutes(const api::Canary& canary) override;
  Result<bool> releaseRoutes(const api::Canary&) override { return false; }
  std::optional<kube::Json> apexSelector(const api::Canary& canary, const PodSelector& pods) override;
  bool waitsForEndpoints() const override { return false; }
  // Waits until the apex selects both versions (every primary pod carries the label).
  Status afterApex(const api::Canary& canary, const TrafficIntent& intent) override;

 private:
  bool apexOnBothVersions_ = false;  // what apexSelector chose in this pass
  // The primary as writeRoutes last read or labelled it (apexSelector needs it in the same pass).
  std::optional<kube::Json> primary_;
  // The Deployment with kApexLabel on its pod template (added unless it had it), as stored; NotFound
  // when it does not exist.
  Result<kube::Json> labelPods(const api::Canary& canary, const std::string& deployment);
};

ProviderDescriptor descriptor();

}  // namespace aviary::mesh::replicas
