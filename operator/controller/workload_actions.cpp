#include "operator/controller/workload_actions.h"

#include <algorithm>
#include <vector>

#include "mesh-adapters/router.h"
#include "operator/controller/primary_autoscaler.h"
#include "operator/controller/workloads.h"
#include "operator/kube/object_sync.h"

namespace aviary::controller {
namespace {

using kube::Json;

// The primary Deployment fields a promotion copies from the target (replicas stay the primary's own).
const kube::ManagedFields kPromotedFields{
    {"template", "strategy", "minReadySeconds", "progressDeadlineSeconds", "revisionHistoryLimit", "paused"}};

using mesh::withContext;

}  // namespace

std::map<std::string, std::string> WorkloadActions::trackedConfigs(const std::string& ns,
                                                                   const std::set<ConfigRef>& refs) const {
  std::map<std::string, std::string> out;
  for (const auto& ref : refs) {
    auto cached = (ref.kind == "configmap" ? configMaps_ : secrets_).get(kube::objectKey(ns, ref.name));
    if (cached) out[ref.key()] = cached->value("checksum", "");
  }
  return out;
}

Status WorkloadActions::copyConfigsForPrimary(const api::Canary& c, const std::set<ConfigRef>& refs) {
  for (const auto& ref : refs) {
    const auto& type = ref.kind == "configmap" ? kube::resources::kConfigMaps : kube::resources::kSecrets;
    // The whole object only now, when copying (the caches keep checksums).
    auto source = client_.get(type, c.ns, ref.name);
    if (!source) {
      if (source.error().code == ErrorCode::NotFound) continue;  // an optional reference
      return withContext(source.error(), "reading " + ref.key());
    }
    Json copy = {{"apiVersion", "v1"},
                 {"kind", type.kind},
                 {"metadata",
                  {{"name", ref.name + "-primary"},
                   {"namespace", c.ns},
                   {"labels", {{kube::kManagedByLabel, "aviary"}}}}}};
    if (!c.uid.empty())
      copy["metadata"]["ownerReferences"] = Json::array({kube::ownerReference(c.name, c.uid)});
    kube::ManagedFields fields;
    for (const char* key : {"data", "binaryData", "type"}) {
      if (source->contains(key)) copy[key] = (*source)[key];
      if (std::string(key) != "type") fields.topKeys.push_back(key);
    }
    if (auto r = kube::syncObject(client_, type, c.ns, copy, fields); !r) {
      return withContext(r.error(), "copying " + ref.key() + " for the primary");
    }
  }
  return {};
}

Status WorkloadActions::syncPrimaryAutoscaler(const api::Canary& c) {
  if (!c.spec.autoscalerRef || c.spec.autoscalerRef->kind != "HorizontalPodAutoscaler") return {};
  const auto& type = kube::resources::kHorizontalPodAutoscalers;
  auto hpa = client_.get(type, c.ns, c.spec.autoscalerRef->name);
  if (!hpa)
    return withContext(hpa.error(), "autoscalerRef HorizontalPodAutoscaler " + c.spec.autoscalerRef->name);
  auto r = kube::syncObject(client_, type, c.ns, primaryAutoscaler(c, *hpa), {kPrimaryAutoscalerKeys, {}});
  return r ? Status{} : withContext(r.error(), "syncing " + c.spec.autoscalerRef->name + "-primary");
}

Status WorkloadActions::initializePrimary(const api::Canary& c, const Json& target, const Json* primary,
                                          const PodLabel& label) {
  // Once initialized, the primary follows promotions only; until then it follows the target, so a user
  // who fixes a target whose primary never became ready is not stuck with the broken copy.
  if (primary && !c.status.lastPromotedSpec.empty()) return syncPrimaryAutoscaler(c);
  auto configs = configRefs(target.value("/spec/template"_json_pointer, Json::object()));
  if (auto st = copyConfigsForPrimary(c, configs); !st) return st;
  int replicas = primary ? primary->value("/spec/replicas"_json_pointer, 1)
                         : std::max(1, target.value("/spec/replicas"_json_pointer, 1));
  Json desired = primaryDeployment(target, c, label.first, replicas, configs, trackedConfigs(c.ns, configs));
  Status r;
  if (primary) {
    r = kube::syncObject(client_, kube::resources::kDeployments, c.ns, desired, kPromotedFields);
  } else if (auto created = client_.create(kube::resources::kDeployments, c.ns, desired); !created) {
    r = created.error();
  }
  if (!r && r.error().code != ErrorCode::AlreadyExists)
    return withContext(r.error(), "creating " + c.primaryName());
  return syncPrimaryAutoscaler(c);
}

Status WorkloadActions::promote(const api::Canary& c, const Json& target, const Json* primary,
                                const PodLabel& label, int replicas) {
  auto configs = configRefs(target.value("/spec/template"_json_pointer, Json::object()));
  if (auto st = copyConfigsForPrimary(c, configs); !st) return st;
  // The planner's replica count (the canary's), or the primary's own when an autoscaler owns it.
  const int count =
      replicas > 0 ? replicas : (primary ? primary->value("/spec/replicas"_json_pointer, 1) : 1);
  kube::ManagedFields fields = kPromotedFields;
  if (replicas > 0) fields.specKeys.push_back("replicas");
  auto r = kube::syncObject(
      client_, kube::resources::kDeployments, c.ns,
      primaryDeployment(target, c, label.first, count, configs, trackedConfigs(c.ns, configs)), fields);
  if (!r) return withContext(r.error(), "promoting to " + c.primaryName());
  return syncPrimaryAutoscaler(c);
}

Status WorkloadActions::scaleTarget(const api::Canary& c, const Json& target, int replicas) {
  if (target.value("/spec/replicas"_json_pointer, 1) == replicas) return {};
  auto r = client_.patch(kube::resources::kDeployments, c.ns, c.spec.targetRef.name, kube::PatchType::Merge,
                         {{"spec", {{"replicas", replicas}}}});
  return r ? Status{} : withContext(r.error(), "scaling " + c.spec.targetRef.name);
}

Status WorkloadActions::restoreTarget(const api::Canary& c, const Json& target, const Json& primary,
                                      const PodLabel& label, int replicas) {
  Json next = target;
  if (templateHash(target) != c.status.lastPromotedSpec)
    next["spec"]["template"] = targetTemplateFromPrimary(primary, label.first);
  next["spec"]["replicas"] = replicas;
  if (next == target) return {};
  auto r = client_.update(kube::resources::kDeployments, c.ns, next);
  return r ? Status{} : withContext(r.error(), "restoring " + c.spec.targetRef.name);
}

Status WorkloadActions::removePrimary(const api::Canary& c, const Json* target) {
  std::vector<std::pair<const kube::ResourceType*, std::string>> owned = {
      {&kube::resources::kDeployments, c.primaryName()}};
  if (target) {
    for (const auto& ref : deploymentConfigRefs(*target)) {
      owned.push_back({ref.kind == "configmap" ? &kube::resources::kConfigMaps : &kube::resources::kSecrets,
                       ref.name + "-primary"});
    }
  }
  if (c.spec.autoscalerRef)
    owned.push_back({&kube::resources::kHorizontalPodAutoscalers, c.spec.autoscalerRef->name + "-primary"});
  for (const auto& [type, name] : owned) {
    if (auto st = kube::deleteIfOwned(client_, *type, c.ns, name, c.uid); !st)
      return withContext(st, "deleting " + name);
  }
  return {};
}

}  // namespace aviary::controller
