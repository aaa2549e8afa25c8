#include "sandbox/api/resource_registry.h"

#include <mutex>

namespace aviary::sandbox {
namespace {

ResourceKind builtin(std::string group, std::string version, std::string plural, std::string singular,
                     std::string kind, bool namespaced, std::vector<std::string> shortNames = {}) {
  ResourceKind k;
  k.group = std::move(group);
  k.versions = {version};
  k.storageVersion = version;
  k.plural = std::move(plural);
  k.singular = std::move(singular);
  k.kind = std::move(kind);
  k.listKind = k.kind + "List";
  k.namespaced = namespaced;
  k.shortNames = std::move(shortNames);
  return k;
}

Error invalidCrd(const std::string& name, const std::string& field, const std::string& message) {
  Error e = makeError(ErrorCode::Invalid, "CustomResourceDefinition.apiextensions.k8s.io \"" + name +
                                              "\" is invalid: " + field + ": " + message);
  e.httpStatus = 422;
  e.reason = "Invalid";
  return e;
}

}  // namespace

ResourceRegistry::ResourceRegistry() {
  add(builtin("", "v1", "namespaces", "namespace", "Namespace", false, {"ns"}));
  auto services = builtin("", "v1", "services", "service", "Service", true, {"svc"});
  services.categories = {"all"};
  services.statusSubresource = true;
  add(services);
  add(builtin("", "v1", "configmaps", "configmap", "ConfigMap", true, {"cm"}));
  add(builtin("", "v1", "secrets", "secret", "Secret", true));
  auto pods = builtin("", "v1", "pods", "pod", "Pod", true, {"po"});
  pods.categories = {"all"};
  pods.statusSubresource = true;
  pods.extraFieldSelectors = {"spec.nodeName", "status.phase"};
  add(pods);
  auto events = builtin("", "v1", "events", "event", "Event", true, {"ev"});
  events.hasGeneration = false;
  events.extraFieldSelectors = {"involvedObject.kind",
                                "involvedObject.namespace",
                                "involvedObject.name",
                                "involvedObject.uid",
                                "involvedObject.apiVersion",
                                "involvedObject.resourceVersion",
                                "involvedObject.fieldPath",
                                "reason",
                                "reportingComponent",
                                "source",
                                "type"};
  add(events);
  auto eventsV1 = builtin("events.k8s.io", "v1", "events", "event", "Event", true, {"ev"});
  eventsV1.hasGeneration = false;
  eventsV1.viewOf = events.key();
  add(eventsV1);
  auto deployments = builtin("apps", "v1", "deployments", "deployment", "Deployment", true, {"deploy"});
  deployments.categories = {"all"};
  deployments.statusSubresource = true;
  deployments.scaleSubresource = true;
  deployments.annotationsBumpGeneration = true;
  add(deployments);
  auto replicasets = builtin("apps", "v1", "replicasets", "replicaset", "ReplicaSet", true, {"rs"});
  replicasets.categories = {"all"};
  replicasets.statusSubresource = true;
  replicasets.scaleSubresource = true;
  add(replicasets);
  add(builtin("coordination.k8s.io", "v1", "leases", "lease", "Lease", true));
  auto hpa = builtin("autoscaling", "v2", "horizontalpodautoscalers", "horizontalpodautoscaler",
                     "HorizontalPodAutoscaler", true, {"hpa"});
  hpa.categories = {"all"};
  hpa.statusSubresource = true;
  add(hpa);
  auto crds = builtin("apiextensions.k8s.io", "v1", "customresourcedefinitions", "customresourcedefinition",
                      "CustomResourceDefinition", false, {"crd", "crds"});
  crds.statusSubresource = true;
  add(crds);
}

std::shared_ptr<const ResourceKind> ResourceRegistry::find(const std::string& group,
                                                           const std::string& version,
                                                           const std::string& plural) const {
  std::shared_lock lock(mutex_);
  for (const auto& k : kinds_) {
    if (k->group == group && k->plural == plural) {
      for (const auto& v : k->versions) {
        if (v == version) return k;
      }
    }
  }
  return nullptr;
}

std::shared_ptr<const ResourceKind> ResourceRegistry::findByKind(const std::string& group,
                                                                 const std::string& kind) const {
  std::shared_lock lock(mutex_);
  for (const auto& k : kinds_) {
    if (k->group == group && k->kind == kind) return k;
  }
  return nullptr;
}

std::shared_ptr<const ResourceKind> ResourceRegistry::storageOf(
    const std::shared_ptr<const ResourceKind>& kind) const {
  if (!kind || kind->viewOf.empty()) return kind;
  std::shared_lock lock(mutex_);
  for (const auto& k : kinds_) {
    if (k->key() == kind->viewOf) return k;
  }
  return kind;
}

std::vector<std::shared_ptr<const ResourceKind>> ResourceRegistry::all() const {
  std::shared_lock lock(mutex_);
  return kinds_;
}

void ResourceRegistry::add(ResourceKind kind) {
  std::unique_lock lock(mutex_);
  auto fresh = std::make_shared<const ResourceKind>(std::move(kind));
  for (auto& k : kinds_) {
    if (k->group == fresh->group && k->plural == fresh->plural) {
      k = fresh;
      return;
    }
  }
  kinds_.push_back(fresh);
}

void ResourceRegistry::remove(const std::string& group, const std::string& plural) {
  std::unique_lock lock(mutex_);
  std::erase_if(kinds_, [&](const auto& k) { return k->custom && k->group == group && k->plural == plural; });
}

Result<ResourceKind> ResourceRegistry::kindFromCrd(const Json& crd) {
  std::string name = crd.value("/metadata/name"_json_pointer, "");
  const Json spec = crd.value("spec", Json::object());
  const Json names = spec.value("names", Json::object());
  ResourceKind k;
  k.custom = true;
  k.group = spec.value("group", "");
  k.plural = names.value("plural", "");
  k.kind = names.value("kind", "");
  if (k.group.empty()) return invalidCrd(name, "spec.group", "Required value");
  // As the real server: groups under k8s.io and kubernetes.io are protected (found on the real bed).
  auto endsWith = [&](const std::string& suffix) {
    return k.group == suffix.substr(1) ||
           (k.group.size() > suffix.size() &&
            k.group.compare(k.group.size() - suffix.size(), suffix.size(), suffix) == 0);
  };
  if ((endsWith(".k8s.io") || endsWith(".kubernetes.io")) &&
      crd.value("/metadata/annotations/api-approved.kubernetes.io"_json_pointer, std::string()).empty()) {
    return invalidCrd(
        name, "metadata.annotations[api-approved.kubernetes.io]",
        "Required value: protected groups must have approval annotation \"api-approved.kubernetes.io\", "
        "see https://github.com/kubernetes/enhancements/pull/1111");
  }
  if (k.plural.empty()) return invalidCrd(name, "spec.names.plural", "Required value");
  if (k.kind.empty()) return invalidCrd(name, "spec.names.kind", "Required value");
  if (name != k.plural + "." + k.group) {
    return invalidCrd(name, "metadata.name",
                      "Invalid value: \"" + name + "\": must be spec.names.plural+\".\"+spec.group");
  }
  std::string scope = spec.value("scope", "");
  if (scope != "Namespaced" && scope != "Cluster") {
    return invalidCrd(name, "spec.scope",
                      "Unsupported value: \"" + scope + "\": supported values: \"Cluster\", \"Namespaced\"");
  }
  k.namespaced = scope == "Namespaced";
  k.singular = names.value("singular", "");
  if (k.singular.empty()) {
    k.singular = k.kind;
    for (auto& c : k.singular) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  k.listKind = names.value("listKind", k.kind + "List");
  k.shortNames = names.value("shortNames", std::vector<std::string>{});
  k.categories = names.value("categories", std::vector<std::string>{});
  const Json versions = spec.value("versions", Json::array());
  if (!versions.is_array() || versions.empty()) return invalidCrd(name, "spec.versions", "Required value");
  int storage = 0;
  for (std::size_t i = 0; i < versions.size(); ++i) {
    const Json& v = versions[i];
    std::string field = "spec.versions[" + std::to_string(i) + "]";
    std::string vname = v.value("name", "");
    if (vname.empty()) return invalidCrd(name, field + ".name", "Required value");
    if (v.value("served", false)) k.versions.push_back(vname);
    Json schema = v.value("/schema/openAPIV3Schema"_json_pointer, Json());
    if (schema.is_null())
      return invalidCrd(name, field + ".schema.openAPIV3Schema", "Required value: schemas are required");
    k.schemas[vname] = schema;
    if (v.value("storage", false)) {
      ++storage;
      k.storageVersion = vname;
      const Json sub = v.value("subresources", Json::object());
      k.statusSubresource = sub.contains("status");
      if (sub.contains("scale")) {
        k.scaleSubresource = true;
        k.specReplicasPath = sub["scale"].value("specReplicasPath", ".spec.replicas");
        k.statusReplicasPath = sub["scale"].value("statusReplicasPath", ".status.replicas");
        k.labelSelectorPath = sub["scale"].value("labelSelectorPath", "");
      }
      k.printerColumns = v.value("additionalPrinterColumns", Json::array());
    }
  }
  if (storage != 1)
    return invalidCrd(name, "spec.versions",
                      "Invalid value: must have exactly one version marked as storage version");
  return k;
}

}  // namespace aviary::sandbox
