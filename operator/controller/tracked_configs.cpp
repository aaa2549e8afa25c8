#include "operator/controller/tracked_configs.h"

#include "operator/api/canary.h"

namespace aviary::controller {
namespace {

using Json = nlohmann::json;

// The string field `key` of `parent[member]`, or null when absent (never inserts).
Json* nameField(Json& parent, const char* member, const char* key) {
  if (!parent.is_object() || !parent.contains(member) || !parent[member].is_object()) return nullptr;
  Json& m = parent[member];
  return m.contains(key) && m[key].is_string() ? &m[key] : nullptr;
}

// Calls `visit(kind, nameField)` for every reference field in the pod spec, so that finding and renaming
// walk the same places.
template <class Visit>
void forEachRef(Json& podTemplate, Visit&& rawVisit) {
  auto visit = [&](const char* kind, Json* name) {
    if (name) rawVisit(kind, *name);
  };
  if (!podTemplate.is_object() || !podTemplate.contains("spec")) return;
  Json& spec = podTemplate["spec"];
  if (!spec.is_object()) return;
  if (spec.contains("volumes") && spec["volumes"].is_array()) {
    for (auto& v : spec["volumes"]) {
      visit("configmap", nameField(v, "configMap", "name"));
      visit("secret", nameField(v, "secret", "secretName"));
      if (v.contains("projected") && v["projected"].contains("sources") &&
          v["projected"]["sources"].is_array()) {
        for (auto& s : v["projected"]["sources"]) {
          visit("configmap", nameField(s, "configMap", "name"));
          visit("secret", nameField(s, "secret", "name"));
        }
      }
    }
  }
  for (const char* list : {"containers", "initContainers"}) {
    if (!spec.contains(list) || !spec[list].is_array()) continue;
    for (auto& c : spec[list]) {
      if (c.contains("envFrom") && c["envFrom"].is_array()) {
        for (auto& e : c["envFrom"]) {
          visit("configmap", nameField(e, "configMapRef", "name"));
          visit("secret", nameField(e, "secretRef", "name"));
        }
      }
      if (c.contains("env") && c["env"].is_array()) {
        for (auto& e : c["env"]) {
          if (!e.contains("valueFrom") || !e["valueFrom"].is_object()) continue;
          visit("configmap", nameField(e["valueFrom"], "configMapKeyRef", "name"));
          visit("secret", nameField(e["valueFrom"], "secretKeyRef", "name"));
        }
      }
    }
  }
}

}  // namespace

std::set<ConfigRef> configRefs(const Json& podTemplate) {
  std::set<ConfigRef> out;
  Json copy = podTemplate;
  forEachRef(copy, [&](const char* kind, const Json& name) {
    if (name.is_string() && !name.get<std::string>().empty()) out.insert({kind, name.get<std::string>()});
  });
  return out;
}

std::string configChecksum(const Json& object, const std::string& kind) {
  Json content = Json::object();
  for (const char* field : {"data", "binaryData", "stringData"}) {
    if (object.contains(field)) content[field] = object[field];
  }
  // A Secret's checksum is published (the Canary's status, the primary's pod annotation) where readers of
  // the namespace who may not read Secrets see it: a plain hash would let them test guesses of a short
  // secret offline. It is an HMAC keyed with the Secret's uid, which only those who can read the Secret
  // learn (and then they have the content anyway). Recreating a Secret (new uid) counts as a change.
  if (kind == "secret") {
    std::string uid = object.contains("metadata") ? object["metadata"].value("uid", "") : "";
    return "hmac-sha256:" + api::canonicalHmac("aviary/secret/" + uid, content);
  }
  return api::canonicalHash(content);
}

std::string configsChecksum(const std::map<std::string, std::string>& tracked) {
  return api::canonicalHash(Json(tracked));
}

Json restoreConfigRefs(Json podTemplate) {
  const std::string suffix = "-primary";
  forEachRef(podTemplate, [&](const char*, Json& name) {
    std::string n = name.get<std::string>();
    if (n.size() > suffix.size() && n.compare(n.size() - suffix.size(), suffix.size(), suffix) == 0) {
      name = n.substr(0, n.size() - suffix.size());
    }
  });
  return podTemplate;
}

Json renameConfigRefs(Json podTemplate, const std::set<ConfigRef>& refs) {
  forEachRef(podTemplate, [&](const char* kind, Json& name) {
    if (name.is_string() && refs.count({kind, name.get<std::string>()}))
      name = name.get<std::string>() + "-primary";
  });
  return podTemplate;
}

}  // namespace aviary::controller
