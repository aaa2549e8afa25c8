// Admission and side effects of writes: schema defaults/pruning/validation of custom objects, built-in
// defaulting, CustomResourceDefinition registration, and `kubectl apply`-like manifest loading.
#include "operator/core/base64.h"
#include "operator/core/time_format.h"
#include "sandbox/api/api_errors.h"
#include "sandbox/api/api_server.h"
#include "sandbox/api/patch.h"
#include "sandbox/api/schema.h"

namespace aviary::sandbox {
namespace {

// A Secret's stringData is write-only: the API server merges it into data (base64, a stringData key
// winning over the same key of data) and never stores or returns it (core/v1 Secret reference).
void mergeStringData(const ResourceKind& kind, Json& object) {
  if (kind.group != "" || kind.kind != "Secret" || !object.is_object()) return;
  auto it = object.find("stringData");
  if (it == object.end()) return;
  if (it->is_object()) {
    if (!object.contains("data") || !object["data"].is_object()) object["data"] = Json::object();
    for (const auto& [key, value] : it->items()) {
      if (value.is_string()) object["data"][key] = base64Encode(value.get<std::string>());
    }
  }
  object.erase("stringData");
}

}  // namespace

Result<std::vector<std::string>> ApiServer::admit(const ResourceKind& kind, const std::string& version,
                                                  Json& object, const std::string& fieldValidation) const {
  std::vector<std::string> warnings;
  mergeStringData(kind, object);
  if (!kind.custom || !object.is_object()) return warnings;
  auto schema = kind.schemas.find(version);
  if (schema == kind.schemas.end()) schema = kind.schemas.find(kind.storageVersion);
  if (schema == kind.schemas.end()) return warnings;
  SchemaReport report = applySchema(object, schema->second);
  std::string name = object.value("/metadata/name"_json_pointer, std::string());
  if (!report.errors.empty()) {
    std::string joined;
    for (const auto& e : report.errors) joined += (joined.empty() ? "" : ", ") + e;
    if (report.errors.size() > 1) joined = "[" + joined + "]";
    return invalidError(kind, name, joined);
  }
  if (!report.pruned.empty() && fieldValidation == "Strict") {
    std::string joined;
    for (const auto& f : report.pruned)
      joined += (joined.empty() ? "" : ", ") + std::string("unknown field \"") + f + "\"";
    return apiError(ErrorCode::BadRequest, 400, "BadRequest", "strict decoding error: " + joined);
  }
  if (fieldValidation != "Ignore") {
    for (const auto& f : report.pruned) warnings.push_back("unknown field \\\"" + f + "\\\"");
  }
  return warnings;
}

void ApiServer::keepAllocatedValues(const ResourceKind& kind, const Json& stored, Json& next) {
  if (kind.custom || kind.kind != "Service" || !next.contains("spec") || !next["spec"].is_object()) return;
  Json& spec = next["spec"];
  const Json storedSpec = stored.value("spec", Json::object());
  for (const char* key : {"clusterIP", "clusterIPs"}) {
    if (!spec.contains(key) && storedSpec.contains(key)) spec[key] = storedSpec[key];
  }
  auto needsNodePorts = [](const Json& s) {
    const std::string type = s.value("type", "ClusterIP");
    return type == "NodePort" || type == "LoadBalancer";
  };
  if (!needsNodePorts(storedSpec) || !needsNodePorts(spec) || !spec.contains("ports")) return;
  for (Json& port : spec["ports"]) {
    if (!port.is_object() || port.contains("nodePort")) continue;
    for (const auto& old : storedSpec.value("ports", Json::array())) {
      if (old.value("name", "") == port.value("name", "") && old.contains("nodePort")) {
        port["nodePort"] = old["nodePort"];
        break;
      }
    }
  }
}

Result<Json> ApiServer::createWithDefaults(const ResourceKind& kind, const std::string& version,
                                           const std::string& ns, Json object, bool dryRun,
                                           const std::string& fieldValidation,
                                           std::vector<std::string>& warnings) {
  auto admitted = admit(kind, version, object, fieldValidation);
  if (!admitted) return admitted.takeError();
  warnings = std::move(*admitted);
  if (kind.kind == "CustomResourceDefinition") {
    auto defined = ResourceRegistry::kindFromCrd(object);
    if (!defined) return defined.takeError();
  }
  if (kind.namespaced && ns.empty()) {
    return apiError(ErrorCode::BadRequest, 400, "BadRequest",
                    "the namespace of the provided object does not match the namespace sent on the request");
  }
  if (kind.kind == "Namespace") object["status"] = {{"phase", "Active"}};
  if (kind.kind == "Deployment" && !object.value("/spec/replicas"_json_pointer, Json()).is_number()) {
    object["spec"]["replicas"] = 1;
  }
  auto stored = store_.create(kind, ns, std::move(object), dryRun);
  if (stored && !dryRun) afterCreate(kind, *stored);
  return stored;
}

void ApiServer::afterCreate(const ResourceKind& kind, const Json& stored) {
  if (kind.kind != "CustomResourceDefinition") return;
  auto defined = ResourceRegistry::kindFromCrd(stored);
  if (!defined) return;
  registry_.add(*defined);
  // Established at once, so `kubectl wait --for condition=established` returns.
  std::string now = stored["metadata"].value("creationTimestamp", "");
  Json status = {{"acceptedNames", stored["spec"]["names"]},
                 {"storedVersions", {defined->storageVersion}},
                 {"conditions",
                  {{{"type", "NamesAccepted"},
                    {"status", "True"},
                    {"reason", "NoConflicts"},
                    {"message", "no conflicts found"},
                    {"lastTransitionTime", now}},
                   {{"type", "Established"},
                    {"status", "True"},
                    {"reason", "InitialNamesAccepted"},
                    {"message", "the initial names have been accepted"},
                    {"lastTransitionTime", now}}}}};
  (void)store_.modify(
      kind, "", stored["metadata"].value("name", ""),
      [&](const Json& current) -> Result<Json> {
        Json next = current;
        next["status"] = status;
        return next;
      },
      WriteTarget::Status);
}

void ApiServer::afterUpdate(const ResourceKind& kind, const Json& stored) {
  if (kind.kind != "CustomResourceDefinition") return;
  if (auto defined = ResourceRegistry::kindFromCrd(stored)) registry_.add(*defined);
}

void ApiServer::afterDelete(const ResourceKind& kind, const Json& removed) {
  if (kind.kind != "CustomResourceDefinition") return;
  auto defined = ResourceRegistry::kindFromCrd(removed);
  if (!defined) return;
  store_.dropAll(*defined);
  registry_.remove(defined->group, defined->plural);
}

Result<Json> ApiServer::apply(const Json& object) {
  std::string apiVersion = object.value("apiVersion", "");
  std::string group =
      apiVersion.find('/') == std::string::npos ? "" : apiVersion.substr(0, apiVersion.find('/'));
  auto kind = registry_.findByKind(group, object.value("kind", ""));
  if (!kind) {
    return apiError(
        ErrorCode::NotFound, 404, "NotFound",
        "no matches for kind \"" + object.value("kind", "") + "\" in version \"" + apiVersion + "\"");
  }
  std::string ns =
      kind->namespaced ? object.value("/metadata/namespace"_json_pointer, std::string("default")) : "";
  std::string name = object.value("/metadata/name"_json_pointer, "");
  auto existing = store_.get(*kind, ns, name);
  std::vector<std::string> warnings;
  if (!existing)
    return createWithDefaults(*kind, kind->storageVersion, ns, object, false, "Strict", warnings);
  auto stored = store_.modify(*kind, ns, name, [&](const Json& current) -> Result<Json> {
    Json next = applyMergePatch(current, object);
    next["metadata"]["resourceVersion"] = current["metadata"]["resourceVersion"];
    auto admitted = admit(*kind, kind->storageVersion, next, "Strict");
    if (!admitted) return admitted.takeError();
    return next;
  });
  if (stored) afterUpdate(*kind, *stored);
  return stored;
}

}  // namespace aviary::sandbox
