// The routing flow every provider shares, so that no provider repeats it: the Services, the endpoint
// checks before a destination's first traffic, the order of the writes, and the order of the give-back.
// A provider implements only its own objects (writeRoutes, readRoutes, releaseRoutes) and, for a switch
// by selector, which pods the apex selects.
//
// reconcile: <apex>-primary and <apex>-canary Services → (a destination about to get its first traffic
// lists ready endpoints, else waitingFor) → the provider's routes → the apex Service last (a new apex with
// no route in front of it would answer its first requests with 503).
// finalize: the apex selects the target's pods → its endpoints follow (else waitingFor) → the provider's
// routes go → the settle time passes (RouteSettleClock) → the <apex>-primary and <apex>-canary Services go.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "mesh-adapters/router.h"

namespace aviary::mesh {

class MeshRouter : public Router {
 public:
  explicit MeshRouter(RouterContext& context) : client_(context.client), settle_(context.settle) {}

  Status reconcile(const api::Canary& canary, const PodSelector& pods, const TrafficIntent& intent) final;
  Status prepare(const api::Canary&, const PodSelector&) override { return {}; }
  Result<TrafficIntent> observed(const api::Canary& canary) final { return readRoutes(canary); }
  Status finalize(const api::Canary& canary, const PodSelector* target) final;

 protected:
  // Brings the provider's objects to `intent` (through kube::syncObject: adopt, keep unmanaged fields,
  // write nothing when nothing differs). Invalid when the provider cannot express the intent.
  virtual Status writeRoutes(const api::Canary& canary, const PodSelector& pods,
                             const TrafficIntent& intent) = 0;
  // The intent the provider's objects carry; NotFound when they do not exist.
  virtual Result<TrafficIntent> readRoutes(const api::Canary& canary) = 0;
  // The mesh object readRoutes reads (a VirtualService, an HTTPRoute…); nullopt when the routes are the
  // apex Service's selector.
  using ObjectName = std::pair<const kube::ResourceType*, std::string>;
  virtual std::optional<ObjectName> routesObject(const api::Canary&) const { return std::nullopt; }
  // Deletes the objects Aviary created and restores the ones it adopted (kube::releaseObject); true when
  // any existed, so the mesh needs the settle time before the Services they name go.
  virtual Result<bool> releaseRoutes(const api::Canary& canary) = 0;
  // Whether the apex Service selects the canary's pods for `intent` (a switch by selector); the primary's
  // otherwise.
  virtual bool apexSelectsCanary(const TrafficIntent&) const { return false; }
  // The apex's selector when it is neither side's label (a replica-ratio canary selects both); nullopt:
  // the side apexSelectsCanary names.
  virtual std::optional<kube::Json> apexSelector(const api::Canary&, const PodSelector&) {
    return std::nullopt;
  }
  // Whether a destination's first traffic waits for its Service's endpoints. Not for a replica ratio:
  // there the pods are the routes, and only ready pods take requests.
  virtual bool waitsForEndpoints() const { return true; }
  // Called after the apex Service was written: a router whose switch is the apex's selector answers
  // waitingFor until its endpoints follow, so nothing scales pods down that still take requests.
  virtual Status afterApex(const api::Canary&, const TrafficIntent&) { return {}; }

  // For releaseRoutes: releases `objects` in order (kube::releaseObject: deleted when Aviary created
  // them, restored when it adopted them); true when routesObject() existed before.
  Result<bool> releaseObjects(const api::Canary& canary, const std::vector<ObjectName>& objects);

  kube::KubeClient& client_;
  RouteSettleClock& settle_;

 private:
  // Whether the client is a SyncMemo that deems routesObject() very probably absent.
  bool routesProbablyAbsent(const api::Canary& canary);
};

}  // namespace aviary::mesh
