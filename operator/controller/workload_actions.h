// The planner's actions on workloads — the primary Deployment cloned from or promoted from the target,
// the "-primary" copies of its ConfigMaps, Secrets and HorizontalPodAutoscaler, the target's replicas,
// and their removal — as one piece beside the router, which owns all routing (mesh-adapters/router.h).
// Each action converges (writes only what differs) and says what failed with the object's name.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>

#include "operator/api/canary.h"
#include "operator/controller/tracked_configs.h"
#include "operator/core/result.h"
#include "operator/kube/kube_client.h"
#include "operator/kube/store.h"

namespace aviary::controller {

// The target's pod label the primary's differs by ("app" = "podinfo" → "podinfo-primary").
using PodLabel = std::pair<std::string, std::string>;

class WorkloadActions {
 public:
  // `configMaps` and `secrets`: the caches' projections (metadata and the content's "checksum").
  WorkloadActions(kube::KubeClient& client, const kube::Store<kube::Json>& configMaps,
                  const kube::Store<kube::Json>& secrets)
      : client_(client), configMaps_(configMaps), secrets_(secrets) {}

  // The target's ConfigMaps/Secrets that exist, by "kind/name", with their checksums.
  std::map<std::string, std::string> trackedConfigs(const std::string& ns,
                                                    const std::set<ConfigRef>& refs) const;

  // Creates the primary from the target, or (not yet initialized) brings it to the target's template; its
  // configs and autoscaler copies with it. Once initialized, only the autoscaler copy is kept in sync.
  Status initializePrimary(const api::Canary& canary, const kube::Json& target, const kube::Json* primary,
                           const PodLabel& label);
  // The target's template (and configs) to the primary; `replicas` 0: the primary keeps its own count.
  Status promote(const api::Canary& canary, const kube::Json& target, const kube::Json* primary,
                 const PodLabel& label, int replicas);
  Status scaleTarget(const api::Canary& canary, const kube::Json& target, int replicas);
  // The target back at the last promoted template (from the primary) with `replicas`.
  Status restoreTarget(const api::Canary& canary, const kube::Json& target, const kube::Json& primary,
                       const PodLabel& label, int replicas);
  // Deletes the primary and the copies Aviary made for it (never an object it does not own).
  Status removePrimary(const api::Canary& canary, const kube::Json* target);
  // The primary's copy of spec.autoscalerRef's HorizontalPodAutoscaler (nothing without one).
  Status syncPrimaryAutoscaler(const api::Canary& canary);

 private:
  Status copyConfigsForPrimary(const api::Canary& canary, const std::set<ConfigRef>& refs);

  kube::KubeClient& client_;
  const kube::Store<kube::Json>& configMaps_;
  const kube::Store<kube::Json>& secrets_;
};

}  // namespace aviary::controller
