#include "mesh-adapters/kubernetes/kubernetes_router.h"

#include "mesh-adapters/common/app_metric_queries.h"
#include "mesh-adapters/common/service_endpoints.h"

namespace aviary::mesh::kubernetes {

Status KubernetesRouter::writeRoutes(const api::Canary& c, const PodSelector&, const TrafficIntent& intent) {
  if (intent.canaryWeight != 0 && intent.canaryWeight != 100)
    return Error{ErrorCode::Invalid, "provider kubernetes switches all traffic at once; a canary weight of " +
                                         std::to_string(intent.canaryWeight) + " cannot be routed"};
  if (intent.mirrorPercent > 0 || intent.matchToCanary)
    return Error{ErrorCode::Invalid, "provider kubernetes cannot mirror or match requests (" + c.key() + ")"};
  return {};  // the apex Service is the route: MeshRouter writes it
}

Result<TrafficIntent> KubernetesRouter::readRoutes(const api::Canary& c) {
  auto apex = client_.get(kube::resources::kServices, c.ns, c.apexName());
  if (!apex) return apex.error();
  bool selectsPrimary = false;
  const kube::Json selector = apex->value("/spec/selector"_json_pointer, kube::Json::object());
  for (const auto& [key, value] : selector.items()) {
    const std::string v = value.is_string() ? value.get<std::string>() : "";
    selectsPrimary = selectsPrimary || (v.size() > 8 && v.compare(v.size() - 8, 8, "-primary") == 0);
  }
  return selectsPrimary ? TrafficIntent{100, 0} : TrafficIntent{0, 100};
}

Status KubernetesRouter::afterApex(const api::Canary& c, const TrafficIntent& intent) {
  // Only while a release moves traffic: at rest nothing scales down, and a steady Canary reads nothing.
  const api::Phase phase = c.status.phase;
  if (phase != api::Phase::Progressing && phase != api::Phase::WaitingPromotion &&
      phase != api::Phase::Promoting && phase != api::Phase::Finalising)
    return {};
  const bool toCanary = intent.canaryWeight == 100;
  const std::string wanted = toCanary ? c.spec.targetRef.name : c.primaryName();
  const std::string unwanted = toCanary ? c.primaryName() : c.spec.targetRef.name;
  auto followed = endpointsFollowSelector(client_, c.ns, c.apexName(), wanted, unwanted);
  if (!followed) return followed.error();
  if (!*followed) return waitingFor("Service " + c.apexName() + " to list only the pods of " + wanted);
  return {};
}

ProviderDescriptor descriptor() {
  ProviderDescriptor d;
  d.name = "kubernetes";
  d.factory = [](RouterContext& context) { return std::make_unique<KubernetesRouter>(context); };
  d.capabilities.selectorSwitch = true;
  d.builtInQueries = appMetricQueries();
  return d;
}

}  // namespace aviary::mesh::kubernetes
