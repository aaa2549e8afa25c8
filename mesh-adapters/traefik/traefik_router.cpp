#include "mesh-adapters/traefik/traefik_router.h"

#include "mesh-adapters/common/owned_metadata.h"

namespace aviary::mesh::traefik {
namespace {

using kube::Json;

const kube::ManagedFields kTraefikServiceFields{{"weighted", "mirroring"}};

}  // namespace

Result<Json> TraefikRouter::traefikService(const api::Canary& c, const TrafficIntent& intent) {
  const int port = c.spec.service.port;
  Json spec;
  if (intent.mirrorPercent > 0) {
    if (intent.canaryWeight > 0)
      return Error{ErrorCode::Invalid, "a TraefikService cannot mirror and split by weight at once"};
    spec["mirroring"] = {
        {"name", c.primaryServiceName()},
        {"port", port},
        {"mirrors",
         Json::array(
             {{{"name", c.canaryServiceName()}, {"port", port}, {"percent", intent.mirrorPercent}}})}};
  } else {
    spec["weighted"] = {
        {"services",
         Json::array({{{"name", c.primaryServiceName()}, {"port", port}, {"weight", intent.primaryWeight}},
                      {{"name", c.canaryServiceName()}, {"port", port}, {"weight", intent.canaryWeight}}})}};
  }
  return ownedObject(kTraefikServices, c, c.apexName(), spec, c.spec.service.apex);
}

Status TraefikRouter::writeRoutes(const api::Canary& c, const PodSelector&, const TrafficIntent& intent) {
  auto desired = traefikService(c, intent);
  if (!desired) return desired.error();
  if (auto r = kube::syncObject(client_, kTraefikServices, c.ns, *desired, kTraefikServiceFields); !r)
    return r.error();
  return {};
}

Result<TrafficIntent> TraefikRouter::readRoutes(const api::Canary& c) {
  auto ts = client_.get(kTraefikServices, c.ns, c.apexName());
  if (!ts) return ts.error();
  TrafficIntent t{0, 0};
  const Json spec = ts->value("spec", Json::object());
  if (spec.contains("mirroring")) {
    if (spec["mirroring"].value("name", "") == c.primaryServiceName()) t.primaryWeight = 100;
    for (const auto& m : spec["mirroring"].value("mirrors", Json::array())) {
      if (m.value("name", "") == c.canaryServiceName()) t.mirrorPercent = m.value("percent", 0);
    }
    return t;
  }
  for (const auto& s : spec.value("/weighted/services"_json_pointer, Json::array())) {
    if (s.value("name", "") == c.primaryServiceName()) t.primaryWeight = s.value("weight", 1);
    if (s.value("name", "") == c.canaryServiceName()) t.canaryWeight = s.value("weight", 1);
  }
  return t;
}

Result<bool> TraefikRouter::releaseRoutes(const api::Canary& c) {
  return releaseObjects(c, {{&kTraefikServices, c.apexName()}});
}

ProviderDescriptor descriptor() {
  ProviderDescriptor d;
  d.name = "traefik";
  d.factory = [](RouterContext& context) { return std::make_unique<TraefikRouter>(context); };
  d.ownedTypes = {kTraefikServices};
  d.capabilities.weighted = true;
  d.capabilities.mirroring = true;
  // Traefik's service metrics name the canary's Kubernetes Service (<ns>-<apex>-canary-<port>@kubernetescrd)
  // and report seconds; request-duration is milliseconds for every provider.
  const std::string canary = "service=~\"{{ namespace }}-{{ service }}-canary-[0-9a-zA-Z-]+@kubernetescrd\"";
  d.builtInQueries = {
      {"request-success-rate",
       "sum(rate(traefik_service_request_duration_seconds_bucket{" + canary + ",code!~\"5..\",le=\"+Inf\"}" +
           "[{{ interval }}])) / sum(rate(traefik_service_request_duration_seconds_bucket{" + canary +
           ",le=\"+Inf\"}[{{ interval }}])) * 100"},
      {"request-duration",
       "histogram_quantile(0.99, sum(rate(traefik_service_request_duration_seconds_bucket{" + canary +
           "}[{{ interval }}])) by (le)) * 1000"},
  };
  return d;
}

}  // namespace aviary::mesh::traefik
