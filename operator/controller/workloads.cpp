#include "operator/controller/workloads.h"

#include "operator/api/names.h"
#include "operator/core/text_safety.h"
#include "operator/kube/object_sync.h"
#include "operator/kube/projection.h"

namespace aviary::controller {

std::optional<std::pair<std::string, std::string>> selectorLabel(const Json& target,
                                                                 const std::vector<std::string>& keys) {
  const Json labels = target.value("/spec/template/metadata/labels"_json_pointer, Json::object());
  for (const auto& k : keys) {
    if (labels.contains(k) && labels[k].is_string()) return std::make_pair(k, labels[k].get<std::string>());
  }
  return std::nullopt;
}

std::string selectorProblem(const Json& target, const std::vector<std::string>& keys) {
  const std::string name = target.value("/metadata/name"_json_pointer, std::string());
  auto label = selectorLabel(target, keys);
  if (!label) {
    return "the pod template of " + quoteForMessage(name) + " carries none of the selector labels (" +
           listForMessage(keys) + ")";
  }
  const std::string primaryValue = label->second + "-primary";
  if (primaryValue.size() > api::kMaxLabelLength) {
    return "the pod label " + quoteForMessage(label->first + "=" + label->second) + " of " +
           quoteForMessage(name) + " is too long: the primary's value " + quoteForMessage(primaryValue) +
           " would have " + std::to_string(primaryValue.size()) + " characters, over the limit of " +
           std::to_string(api::kMaxLabelLength);
  }
  return "";
}

std::string templateHash(const Json& deployment) {
  Json podTemplate = deployment.value("/spec/template"_json_pointer, Json::object());
  // Labels Aviary adds to the pod template (the replica-ratio provider's) are not a new revision.
  if (podTemplate.contains("metadata") && podTemplate["metadata"].contains("labels") &&
      podTemplate["metadata"]["labels"].is_object()) {
    Json& labels = podTemplate["metadata"]["labels"];
    for (auto it = labels.begin(); it != labels.end();) {
      it = it.key().rfind("aviary.io/", 0) == 0 ? labels.erase(it) : std::next(it);
    }
    if (labels.empty()) podTemplate["metadata"].erase("labels");
  }
  return api::canonicalHash(podTemplate);
}

namespace {
// The key under which a projection carries what Aviary computed from the parts it drops.
constexpr char kProjectionKey[] = "aviary";
}  // namespace

Json deploymentProjection(const Json& d) {
  Json out = Json::object();
  for (const char* key : {"apiVersion", "kind"}) {
    if (d.contains(key)) out[key] = d[key];
  }
  if (auto meta = d.find("metadata"); meta != d.end() && meta->is_object()) {
    out["metadata"] = kube::compactMetadata(*meta);
  }
  Json spec = Json::object();
  if (auto s = d.find("spec"); s != d.end() && s->is_object()) {
    for (const char* key : {"replicas", "selector"}) {
      if (s->contains(key)) spec[key] = (*s)[key];
    }
    const Json labels = s->value("/template/metadata/labels"_json_pointer, Json());
    if (!labels.is_null()) spec["template"]["metadata"]["labels"] = labels;
  }
  out["spec"] = std::move(spec);
  if (auto st = d.find("status"); st != d.end() && st->is_object()) {
    Json status = Json::object();
    for (const char* key : {"observedGeneration", "replicas", "updatedReplicas", "availableReplicas"}) {
      if (st->contains(key)) status[key] = (*st)[key];
    }
    for (const auto& c : st->value("conditions", Json::array())) {
      if (c.is_object() && c.value("type", "") == "Progressing")
        status["conditions"] = Json::array({{{"type", c.value("type", "")},
                                             {"status", c.value("status", "")},
                                             {"reason", c.value("reason", "")}}});
    }
    out["status"] = std::move(status);
  }
  Json refs = Json::array();
  for (const auto& ref : configRefs(d.value("/spec/template"_json_pointer, Json::object())))
    refs.push_back(ref.key());
  out[kProjectionKey] = {{"templateHash", templateHash(d)}, {"configRefs", std::move(refs)}};
  return out;
}

std::set<ConfigRef> deploymentConfigRefs(const Json& d) {
  auto projected = d.find(kProjectionKey);
  if (projected == d.end()) return configRefs(d.value("/spec/template"_json_pointer, Json::object()));
  std::set<ConfigRef> out;
  for (const auto& key : projected->value("configRefs", Json::array())) {
    const std::string k = key.get<std::string>();
    const auto slash = k.find('/');
    out.insert({k.substr(0, slash), k.substr(slash + 1)});
  }
  return out;
}

WorkloadState observeDeployment(const Json* d, bool primary) {
  WorkloadState s;
  if (!d) return s;
  s.exists = true;
  s.replicas = d->value("/spec/replicas"_json_pointer, 1);
  const Json annotations = d->value("/metadata/annotations"_json_pointer, Json::object());
  if (primary) {
    s.templateHash = annotations.value(kTemplateHashAnnotation, std::string());
  } else if (auto projected = d->find(kProjectionKey); projected != d->end()) {
    s.templateHash = projected->value("templateHash", std::string());
  } else {
    s.templateHash = templateHash(*d);
  }
  if (primary) s.configsChecksum = annotations.value(kConfigsChecksumAnnotation, std::string());
  const Json status = d->value("status", Json::object());
  long long generation = d->value("/metadata/generation"_json_pointer, 0LL);
  // As `kubectl rollout status` judges it: the current generation observed, every replica updated and
  // available, and no old replica still running (status.replicas counts old and new).
  int updated = status.value("updatedReplicas", 0);
  s.ready = status.value("observedGeneration", 0LL) >= generation && updated >= s.replicas &&
            status.value("availableReplicas", 0) >= s.replicas && status.value("replicas", 0) <= updated;
  for (const auto& c : status.value("conditions", Json::array())) {
    if (c.value("type", "") == "Progressing" && c.value("status", "") == "False" &&
        c.value("reason", "") == "ProgressDeadlineExceeded") {
      s.progressDeadlineExceeded = true;
    }
  }
  return s;
}

Json primaryDeployment(const Json& target, const api::Canary& c, const std::string& labelKey, int replicas,
                       const std::set<ConfigRef>& configs,
                       const std::map<std::string, std::string>& trackedConfigs) {
  std::string value =
      target.value("/spec/template/metadata/labels"_json_pointer, Json::object()).value(labelKey, "");
  Json spec = target.value("spec", Json::object());
  spec["replicas"] = replicas;
  spec["selector"] = {{"matchLabels", {{labelKey, value + "-primary"}}}};
  spec["template"]["metadata"]["labels"][labelKey] = value + "-primary";
  if (!configs.empty()) spec["template"] = renameConfigRefs(spec["template"], configs);
  const std::string checksum = configsChecksum(trackedConfigs);
  if (!trackedConfigs.empty())
    spec["template"]["metadata"]["annotations"][kConfigsChecksumAnnotation] = checksum;
  Json labels = target.value("/metadata/labels"_json_pointer, Json::object());
  if (labels.contains(labelKey)) labels[labelKey] = value + "-primary";
  labels["app.kubernetes.io/managed-by"] = "aviary";
  Json meta = {{"name", c.primaryName()},
               {"namespace", c.ns},
               {"labels", labels},
               {"annotations",
                {{kTemplateHashAnnotation, templateHash(target)}, {kConfigsChecksumAnnotation, checksum}}}};
  if (!c.uid.empty()) meta["ownerReferences"] = Json::array({kube::ownerReference(c.name, c.uid)});
  return {{"apiVersion", "apps/v1"}, {"kind", "Deployment"}, {"metadata", meta}, {"spec", spec}};
}

Json targetTemplateFromPrimary(const Json& primary, const std::string& labelKey) {
  Json t = restoreConfigRefs(primary.value("/spec/template"_json_pointer, Json::object()));
  const std::string suffix = "-primary";
  Json& labels = t["metadata"]["labels"];
  if (labels.contains(labelKey) && labels[labelKey].is_string()) {
    std::string v = labels[labelKey];
    if (v.size() > suffix.size() && v.compare(v.size() - suffix.size(), suffix.size(), suffix) == 0) {
      labels[labelKey] = v.substr(0, v.size() - suffix.size());
    }
  }
  if (t["metadata"].contains("annotations")) {
    t["metadata"]["annotations"].erase(kConfigsChecksumAnnotation);
    if (t["metadata"]["annotations"].empty()) t["metadata"].erase("annotations");
  }
  return t;
}

}  // namespace aviary::controller
