#include "mesh-adapters/common/service_router.h"

#include "mesh-adapters/common/object_sync.h"

namespace aviary::mesh {
namespace {

using kube::Json;

Json service(const api::Canary& c, const std::string& name, const Json& selector,
             const api::CustomMetadata& extra) {
  const api::ServiceSpec& s = c.spec.service;
  Json labels = {{"app.kubernetes.io/managed-by", "aviary"}};
  for (const auto& [k, v] : extra.labels) labels[k] = v;
  Json meta = {{"name", name}, {"namespace", c.ns}, {"labels", labels}};
  if (!extra.annotations.empty()) meta["annotations"] = extra.annotations;
  if (!c.uid.empty()) meta["ownerReferences"] = Json::array({ownerReference(c.name, c.uid)});
  Json port = {{"name", s.portName}, {"port", s.port}, {"targetPort", s.targetPort}, {"protocol", "TCP"}};
  return {{"apiVersion", "v1"},
          {"kind", "Service"},
          {"metadata", meta},
          {"spec", {{"type", "ClusterIP"}, {"selector", selector}, {"ports", Json::array({port})}}}};
}

}  // namespace

Status reconcileServices(kube::KubeClient& client, const api::Canary& c, const std::string& labelKey,
                         const std::string& labelValue) {
  const ManagedFields fields{{"selector", "ports"}};
  const Json primary = {{labelKey, labelValue + "-primary"}};
  for (const Json& desired :
       {service(c, c.apexName(), primary, c.spec.service.apex),
        service(c, c.primaryServiceName(), primary, c.spec.service.primary),
        service(c, c.canaryServiceName(), {{labelKey, labelValue}}, c.spec.service.canary)}) {
    if (auto r = syncObject(client, kube::resources::kServices, c.ns, desired, fields); !r) return r.error();
  }
  return {};
}

}  // namespace aviary::mesh
