#include "mesh-adapters/replicas/replicas_router.h"

#include <algorithm>
#include <cmath>

#include "mesh-adapters/common/app_metric_queries.h"

namespace aviary::mesh::replicas {
namespace {

using kube::Json;

int replicasOf(const Json& deployment) {
  return deployment.value("/spec/replicas"_json_pointer, 1);
}

std::string templateLabel(const Json& deployment) {
  return deployment.value("/spec/template/metadata/labels"_json_pointer, Json::object())
      .value(kApexLabel, "");
}

// Every pod of the Deployment runs its current template (so carries its labels).
bool rolledOut(const Json& d) {
  const Json status = d.value("status", Json::object());
  const int replicas = replicasOf(d);
  return status.value("observedGeneration", 0LL) >= d.value("/metadata/generation"_json_pointer, 0LL) &&
         status.value("updatedReplicas", 0) == replicas && status.value("replicas", 0) == replicas;
}

}  // namespace

int canaryReplicasFor(int canaryWeight, int primaryReplicas) {
  if (canaryWeight <= 0) return 0;
  if (canaryWeight >= 100) return std::max(1, primaryReplicas);
  const double exact = static_cast<double>(primaryReplicas) * canaryWeight / (100 - canaryWeight);
  return std::max(1, static_cast<int>(std::lround(exact)));
}

Result<Json> ReplicasRouter::labelPods(const api::Canary& c, const std::string& deployment) {
  auto d = client_.get(kube::resources::kDeployments, c.ns, deployment);
  if (!d) return withContext(d.error(), "reading " + deployment).error();
  if (templateLabel(*d) == c.apexName()) return d;
  auto r =
      client_.patch(kube::resources::kDeployments, c.ns, deployment, kube::PatchType::Merge,
                    {{"spec", {{"template", {{"metadata", {{"labels", {{kApexLabel, c.apexName()}}}}}}}}}});
  if (!r) return withContext(r.error(), "labelling the pods of " + deployment).error();
  return r;
}

Status ReplicasRouter::writeRoutes(const api::Canary& c, const PodSelector&, const TrafficIntent& intent) {
  primary_.reset();
  if (intent.mirrorPercent > 0 || intent.matchToCanary)
    return Error{ErrorCode::Invalid, "provider replicas cannot mirror or match requests"};
  auto target = labelPods(c, c.spec.targetRef.name);
  if (!target) return target.error();
  auto primary = labelPods(c, c.primaryName());
  if (!primary) return primary.error();
  primary_ = *primary;
  const int k = canaryReplicasFor(intent.canaryWeight, replicasOf(*primary));
  if (replicasOf(*target) == k) return {};
  auto r = client_.patch(kube::resources::kDeployments, c.ns, c.spec.targetRef.name, kube::PatchType::Merge,
                         {{"spec", {{"replicas", k}}}});
  return r ? Status{} : withContext(r.error(), "scaling " + c.spec.targetRef.name);
}

std::optional<Json> ReplicasRouter::apexSelector(const api::Canary& c, const PodSelector& pods) {
  // The primary as writeRoutes read or labelled it in this pass (MeshRouter calls it first).
  apexOnBothVersions_ = primary_ && templateLabel(*primary_) == c.apexName() && rolledOut(*primary_);
  if (apexOnBothVersions_) return Json{{kApexLabel, c.apexName()}};
  return Json{{pods.key, pods.value + "-primary"}};  // until every primary pod carries the label
}

Status ReplicasRouter::afterApex(const api::Canary& c, const TrafficIntent&) {
  if (apexOnBothVersions_) return {};
  return waitingFor("the pods of " + c.primaryName() + " to carry " + kApexLabel);
}

Result<TrafficIntent> ReplicasRouter::readRoutes(const api::Canary& c) {
  auto apex = client_.get(kube::resources::kServices, c.ns, c.apexName());
  if (!apex) return apex.error();
  if (apex->value("/spec/selector"_json_pointer, Json::object()).value(kApexLabel, "") != c.apexName())
    return TrafficIntent{100, 0};  // the apex selects the primary only
  auto primary = client_.get(kube::resources::kDeployments, c.ns, c.primaryName());
  auto target = client_.get(kube::resources::kDeployments, c.ns, c.spec.targetRef.name);
  if (!primary || !target) return TrafficIntent{100, 0};
  const int n = replicasOf(*primary), k = replicasOf(*target);
  const int share = n + k > 0 ? static_cast<int>(std::lround(100.0 * k / (n + k))) : 0;
  return TrafficIntent{100 - share, share};
}

ProviderDescriptor descriptor() {
  ProviderDescriptor d;
  d.name = "replicas";
  d.factory = [](RouterContext& context) { return std::make_unique<ReplicasRouter>(context); };
  d.capabilities.weighted = true;
  d.capabilities.replicaRatio = true;
  d.builtInQueries = appMetricQueries();
  d.counterQueries = appMetricCounters();
  return d;
}

}  // namespace aviary::mesh::replicas
