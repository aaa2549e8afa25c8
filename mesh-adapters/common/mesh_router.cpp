#include "mesh-adapters/common/mesh_router.h"

#include <tuple>

#include "mesh-adapters/common/service_endpoints.h"
#include "mesh-adapters/common/service_router.h"
#include "operator/kube/object_sync.h"
#include "operator/kube/sync_memo.h"

namespace aviary::mesh {
namespace {

// Whether the canary's pods get requests (a share, mirrored copies, or matched requests).
bool canaryServes(const TrafficIntent& t) {
  return t.canaryWeight > 0 || t.mirrorPercent > 0 || t.matchToCanary;
}

}  // namespace

bool MeshRouter::routesProbablyAbsent(const api::Canary& c) {
  auto* const memo = dynamic_cast<kube::SyncMemo*>(&client_);
  const auto routes = routesObject(c);
  return memo && routes && memo->probablyAbsent(*routes->first, c.ns, routes->second);
}

Status MeshRouter::reconcile(const api::Canary& c, const PodSelector& pods, const TrafficIntent& intent) {
  if (auto st = reconcileServices(client_, c, pods.key, pods.value, ServiceSet::Backends); !st)
    return withContext(st, "services");
  // A destination that gets its first traffic must list its pods first: a new Service's EndpointSlices
  // come some time after it, and the mesh answers 503 for a destination without endpoints (found on the
  // real control plane). Only a change from no traffic is checked, so a steady step reads nothing.
  // A new Canary's routes object is very probably absent (the owned-object watch has listed Aviary's and
  // not seen it): its read would be a 404, one request per new Canary. A wrong guess (a user's object the
  // router is about to adopt) only looks at the endpoints once more.
  auto current =
      routesProbablyAbsent(c) ? Result<TrafficIntent>(Error{ErrorCode::NotFound, "routes"}) : observed(c);
  const bool primaryBefore = current && current->primaryWeight > 0;
  const bool canaryBefore = current && canaryServes(*current);
  for (const auto& [service, deployment, before, after] :
       {std::tuple{c.primaryServiceName(), c.primaryName(), primaryBefore, intent.primaryWeight > 0},
        std::tuple{c.canaryServiceName(), c.spec.targetRef.name, canaryBefore, canaryServes(intent)}}) {
    if (before || !after || !waitsForEndpoints()) continue;
    auto serving = endpointsServe(client_, c.ns, service, deployment);
    if (!serving) return withContext(serving.error(), "reading the endpoints of " + service);
    if (!*serving) return waitingFor("Service " + service + " to list the pods of " + deployment);
  }
  if (auto st = writeRoutes(c, pods, intent); !st) return withContext(st, "routes");
  const std::optional<kube::Json> selector = apexSelector(c, pods);
  if (auto st = reconcileServices(client_, c, pods.key, pods.value, ServiceSet::Apex,
                                  apexSelectsCanary(intent), selector ? &*selector : nullptr);
      !st)
    return withContext(st, "services");
  return afterApex(c, intent);
}

Result<bool> MeshRouter::releaseObjects(const api::Canary& c, const std::vector<ObjectName>& objects) {
  const auto routes = routesObject(c);
  const bool existed = routes && client_.get(*routes->first, c.ns, routes->second).ok();
  for (const auto& [type, name] : objects) {
    if (auto st = kube::releaseObject(client_, *type, c.ns, name, c.uid); !st) return st.error();
  }
  return existed;
}

Status MeshRouter::finalize(const api::Canary& c, const PodSelector* target) {
  // Order matters on a real cluster, where each step is followed with a delay: (1) the apex Service
  // selects the target while the routes still send users to the primary; (2) once the apex's
  // EndpointSlices list the target's pods and none of the primary's, the routes go; (3) once the mesh has
  // dropped them, the primary's and canary's Services. No request meets an empty Service.
  if (target) {
    if (auto st = handApexBack(client_, c, target->key, target->value); !st)
      return withContext(st, "pointing " + c.apexName() + " at " + c.spec.targetRef.name);
    auto followed =
        endpointsFollowSelector(client_, c.ns, c.apexName(), c.spec.targetRef.name, c.primaryName());
    if (!followed) return withContext(followed.error(), "reading the endpoints of " + c.apexName());
    if (!*followed)
      return waitingFor("Service " + c.apexName() + " to list the pods of " + c.spec.targetRef.name);
  }
  auto released = releaseRoutes(c);
  if (!released) return withContext(released.error(), "routes");
  if (!settle_.settled(c.key(), *released))
    return waitingFor("the mesh to drop the routes of " + c.apexName());
  // Deleted when Aviary created them, given back as they were when it adopted a user's.
  for (const auto& name : {c.primaryServiceName(), c.canaryServiceName()}) {
    if (auto st = kube::releaseObject(client_, kube::resources::kServices, c.ns, name, c.uid); !st)
      return withContext(st, "releasing " + name);
  }
  return {};
}

}  // namespace aviary::mesh
