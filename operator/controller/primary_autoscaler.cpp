#include "operator/controller/primary_autoscaler.h"

#include "operator/kube/object_sync.h"

namespace aviary::controller {

using Json = nlohmann::json;

Json primaryAutoscaler(const api::Canary& c, const Json& hpa) {
  const api::AutoscalerRef& ref = *c.spec.autoscalerRef;
  Json spec = hpa.value("spec", Json::object());
  spec["scaleTargetRef"] = {{"apiVersion", "apps/v1"}, {"kind", "Deployment"}, {"name", c.primaryName()}};
  if (ref.primaryMinReplicas) spec["minReplicas"] = *ref.primaryMinReplicas;
  if (ref.primaryMaxReplicas) spec["maxReplicas"] = *ref.primaryMaxReplicas;
  Json desired = {{"apiVersion", "autoscaling/v2"},
                  {"kind", "HorizontalPodAutoscaler"},
                  {"metadata",
                   {{"name", ref.name + "-primary"},
                    {"namespace", c.ns},
                    {"labels", {{kube::kManagedByLabel, "aviary"}}}}},
                  {"spec", spec}};
  if (!c.uid.empty())
    desired["metadata"]["ownerReferences"] = Json::array({kube::ownerReference(c.name, c.uid)});
  return desired;
}

}  // namespace aviary::controller
