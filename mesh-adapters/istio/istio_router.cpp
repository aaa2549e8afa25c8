#include "mesh-adapters/istio/istio_router.h"

#include "mesh-adapters/common/object_sync.h"

namespace aviary::mesh::istio {
namespace {

using kube::Json;

// The VirtualService fields Aviary owns; anything else a user put in spec (exportTo, tcp, tls…) stays.
const ManagedFields kVirtualServiceFields{{"hosts", "gateways", "http"}};
const ManagedFields kDestinationRuleFields{{"host", "trafficPolicy"}};

Json metadataFor(const api::Canary& c, const std::string& name, const api::CustomMetadata& extra) {
  Json meta = {{"name", name}, {"namespace", c.ns}};
  Json labels = {{"app.kubernetes.io/managed-by", "aviary"}};
  for (const auto& [k, v] : extra.labels) labels[k] = v;
  meta["labels"] = labels;
  if (!extra.annotations.empty()) meta["annotations"] = extra.annotations;
  if (!c.uid.empty()) meta["ownerReferences"] = Json::array({ownerReference(c.name, c.uid)});
  return meta;
}

}  // namespace

Json IstioRouter::virtualService(const api::Canary& c, Weights weights) {
  const api::ServiceSpec& s = c.spec.service;
  Json hosts = Json::array({c.apexName()});
  for (const auto& h : s.hosts) {
    if (h != c.apexName()) hosts.push_back(h);
  }
  Json route = {
      {"route",
       Json::array({{{"destination", {{"host", c.primaryServiceName()}}}, {"weight", weights.primary}},
                    {{"destination", {{"host", c.canaryServiceName()}}}, {"weight", weights.canary}}})}};
  if (!s.match.is_null()) route["match"] = s.match;
  if (!s.rewrite.is_null()) {
    route["rewrite"] = s.rewrite;
    // Flagger's rewrite.type is for Gateway API; Istio has no such field.
    if (route["rewrite"].is_object()) route["rewrite"].erase("type");
  }
  if (!s.retries.is_null()) route["retries"] = s.retries;
  if (!s.headers.is_null()) route["headers"] = s.headers;
  if (!s.corsPolicy.is_null()) route["corsPolicy"] = s.corsPolicy;
  if (!s.timeout.empty()) route["timeout"] = s.timeout;
  Json spec = {{"http", Json::array({route})}};
  // A delegate VirtualService (spec.service.delegation) is reached only through the VirtualService that
  // delegates to it, so it has neither hosts nor gateways (Istio refuses a delegate that has them).
  if (!s.delegation) {
    spec["hosts"] = hosts;
    if (!s.gateways.empty()) spec["gateways"] = s.gateways;
  }
  return {{"apiVersion", "networking.istio.io/v1beta1"},
          {"kind", "VirtualService"},
          {"metadata", metadataFor(c, c.apexName(), s.apex)},
          {"spec", spec}};
}

Json IstioRouter::destinationRule(const api::Canary& c, const std::string& host) {
  Json spec = {{"host", host}};
  if (!c.spec.service.trafficPolicy.is_null()) spec["trafficPolicy"] = c.spec.service.trafficPolicy;
  return {{"apiVersion", "networking.istio.io/v1beta1"},
          {"kind", "DestinationRule"},
          {"metadata", metadataFor(c, host, {})},
          {"spec", spec}};
}

Status IstioRouter::reconcile(const api::Canary& c, Weights weights) {
  for (const auto& host : {c.primaryServiceName(), c.canaryServiceName()}) {
    if (auto r =
            syncObject(client_, kDestinationRules, c.ns, destinationRule(c, host), kDestinationRuleFields);
        !r) {
      return r.error();
    }
  }
  auto vs = syncObject(client_, kVirtualServices, c.ns, virtualService(c, weights), kVirtualServiceFields);
  if (!vs) return vs.error();
  return {};
}

Result<Weights> IstioRouter::weights(const api::Canary& c) {
  auto vs = client_.get(kVirtualServices, c.ns, c.apexName());
  if (!vs) return vs.error();
  Weights w{0, 0};
  for (const auto& http : vs->value("/spec/http"_json_pointer, Json::array())) {
    for (const auto& r : http.value("route", Json::array())) {
      std::string host = r.value("/destination/host"_json_pointer, std::string());
      if (host == c.primaryServiceName()) w.primary = r.value("weight", 0);
      if (host == c.canaryServiceName()) w.canary = r.value("weight", 0);
    }
    break;  // the first route is the one Aviary manages
  }
  return w;
}

Status IstioRouter::finalize(const api::Canary& c) {
  if (auto st = releaseObject(client_, kVirtualServices, c.ns, c.apexName(), c.uid); !st) return st;
  for (const auto& host : {c.primaryServiceName(), c.canaryServiceName()}) {
    if (auto st = releaseObject(client_, kDestinationRules, c.ns, host, c.uid); !st) return st;
  }
  return {};
}

}  // namespace aviary::mesh::istio
