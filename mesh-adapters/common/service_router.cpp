#include "mesh-adapters/common/service_router.h"

#include <algorithm>
#include <vector>

#include "operator/kube/object_sync.h"

namespace aviary::mesh {
namespace {

using kube::Json;

Json service(const api::Canary& c, const std::string& name, const Json& selector,
             const api::CustomMetadata& extra) {
  const api::ServiceSpec& s = c.spec.service;
  Json labels = {{kube::kManagedByLabel, "aviary"}};
  for (const auto& [k, v] : extra.labels) labels[k] = v;
  Json meta = {{"name", name}, {"namespace", c.ns}, {"labels", labels}};
  if (!extra.annotations.empty()) meta["annotations"] = extra.annotations;
  if (!c.uid.empty()) meta["ownerReferences"] = Json::array({kube::ownerReference(c.name, c.uid)});
  Json port = {{"name", s.portName}, {"port", s.port}, {"targetPort", s.targetPort}, {"protocol", "TCP"}};
  if (!s.appProtocol.empty()) port["appProtocol"] = s.appProtocol;
  // type and clusterIP matter only when Aviary creates the Service: neither is a managed key, so an
  // kube::adopted Service keeps its own (NodePort, LoadBalancer, …).
  Json spec = {{"type", "ClusterIP"}, {"selector", selector}, {"ports", Json::array({port})}};
  if (s.headless) spec["clusterIP"] = "None";
  return {{"apiVersion", "v1"}, {"kind", "Service"}, {"metadata", meta}, {"spec", spec}};
}

// The stored port a desired one continues: the same number and protocol, else the same name.
const Json* storedPortFor(const Json& port, const Json& storedPorts, std::vector<bool>& taken) {
  auto find = [&](auto&& same) -> const Json* {
    for (std::size_t i = 0; i < storedPorts.size(); ++i) {
      if (!taken[i] && same(storedPorts[i])) {
        taken[i] = true;
        return &storedPorts[i];
      }
    }
    return nullptr;
  };
  if (auto* p = find([&](const Json& s) {
        return s.value("port", 0) == port.value("port", 0) &&
               s.value("protocol", "TCP") == port.value("protocol", "TCP");
      })) {
    return p;
  }
  const std::string name = port.value("name", "");
  if (name.empty()) return nullptr;
  return find([&](const Json& s) { return s.value("name", "") == name; });
}

// What the API server allocated and what the Canary leaves to others, carried from the stored Service
// into the merged one: each port's nodePort (a NodePort or LoadBalancer Service the user made; dropping
// it would allocate a new one on every pass), and the spec.service.unmanagedMetadata keys.
void keepFromStored(const api::ServiceSpec& s, const Json& stored, Json& next) {
  const Json storedPorts = stored.value("/spec/ports"_json_pointer, Json::array());
  std::vector<bool> taken(storedPorts.size(), false);
  if (next.contains("spec") && next["spec"].contains("ports") && next["spec"]["ports"].is_array()) {
    for (Json& port : next["spec"]["ports"]) {
      const Json* previous = storedPortFor(port, storedPorts, taken);
      if (previous && previous->contains("nodePort")) port["nodePort"] = (*previous)["nodePort"];
    }
  }
  // Aviary's own keys stay Aviary's: they say what it kube::adopted and may delete.
  auto ours = [](const std::string& key) {
    return key == kube::kManagedByLabel || key.rfind("aviary.io/", 0) == 0;
  };
  for (const auto& [field, keys] : {std::pair{"labels", &s.unmanagedMetadata.labels},
                                    std::pair{"annotations", &s.unmanagedMetadata.annotations}}) {
    const Json storedValues = stored["metadata"].value(field, Json::object());
    for (const auto& key : *keys) {
      if (ours(key) || !storedValues.contains(key)) continue;
      next["metadata"][field][key] = storedValues[key];
    }
  }
}

// clusterIP cannot change on a real cluster: a Service Aviary made before spec.service.headless changed
// has to be made again. A user's Service is never made headless behind their back (that would delete it);
// a user's headless Service with headless unset stays as the user made it.
std::optional<std::string> headlessMismatch(const api::ServiceSpec& s, const Json& stored) {
  const bool isHeadless = stored.value("/spec/clusterIP"_json_pointer, std::string()) == "None";
  if (isHeadless == s.headless) return std::nullopt;
  if (!s.headless && kube::adopted(stored)) return std::nullopt;
  return s.headless
             ? "spec.service.headless needs clusterIP None, which an existing Service cannot change to"
             : "spec.service.headless is off but the Service is headless (clusterIP None cannot change)";
}

}  // namespace

Status reconcileServices(kube::KubeClient& client, const api::Canary& c, const std::string& labelKey,
                         const std::string& labelValue, ServiceSet which, bool apexSelectsCanary,
                         const Json* apexSelector) {
  const api::ServiceSpec& s = c.spec.service;
  kube::ManagedFields fields{{"selector", "ports"}, {}};
  fields.keepFromStored = [&s](const Json& stored, Json& next) { keepFromStored(s, stored, next); };
  fields.immutableMismatch = [&s](const Json& stored) { return headlessMismatch(s, stored); };
  // keepFromStored also depends on which metadata keys are left to others.
  fields.variant = std::hash<std::string>{}(Json{{"labels", s.unmanagedMetadata.labels},
                                                 {"annotations", s.unmanagedMetadata.annotations}}
                                                .dump()) |
                   1;  // never 0 (0: the memo is off)
  const Json primary = {{labelKey, labelValue + "-primary"}};
  std::vector<Json> desired;
  if (which != ServiceSet::Apex) {
    desired.push_back(service(c, c.primaryServiceName(), primary, s.primary));
    desired.push_back(service(c, c.canaryServiceName(), {{labelKey, labelValue}}, s.canary));
  }
  if (which != ServiceSet::Backends) {
    const Json selector = apexSelector        ? *apexSelector
                          : apexSelectsCanary ? Json{{labelKey, labelValue}}
                                              : primary;
    desired.push_back(service(c, c.apexName(), selector, s.apex));
  }
  for (const Json& d : desired) {
    if (auto r = kube::syncObject(client, kube::resources::kServices, c.ns, d, fields); !r) return r.error();
  }
  return {};
}

Status handApexBack(kube::KubeClient& client, const api::Canary& c, const std::string& labelKey,
                    const std::string& labelValue) {
  auto apex = client.get(kube::resources::kServices, c.ns, c.apexName());
  if (!apex) return apex.error().code == ErrorCode::NotFound ? Status{} : Status{apex.error()};
  if (apex->value("/metadata/annotations"_json_pointer, Json::object())
          .contains(kube::kOriginalSpecAnnotation))
    return kube::releaseObject(client, kube::resources::kServices, c.ns, c.apexName(), c.uid);
  // A merge patch merges maps: every other key of the selector (a replica ratio's label) is removed.
  Json selector = {{labelKey, labelValue}};
  const Json current = apex->value("/spec/selector"_json_pointer, Json::object());
  for (const auto& [key, _] : current.items()) {
    if (key != labelKey) selector[key] = nullptr;
  }
  Json patch = {{"metadata",
                 {{"ownerReferences", kube::ownerReferencesWithout(*apex, c.uid)},
                  {"labels", {{kube::kManagedByLabel, nullptr}}}}},
                {"spec", {{"selector", selector}}}};
  auto r = client.patch(kube::resources::kServices, c.ns, c.apexName(), kube::PatchType::Merge, patch);
  if (!r && r.error().code != ErrorCode::NotFound) return r.error();
  return {};
}

}  // namespace aviary::mesh
