// The ConfigMaps and Secrets a Deployment's pods read (volumes, projected volumes, envFrom, env
// valueFrom): changing one is a new revision, and promotion copies them to "<name>-primary" for the
// primary, whose template is rewritten to use the copies.
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace aviary::controller {

struct ConfigRef {
  std::string kind;  // "configmap" | "secret"
  std::string name;
  std::string key() const { return kind + "/" + name; }
  bool operator<(const ConfigRef& o) const { return key() < o.key(); }
  bool operator==(const ConfigRef& o) const = default;
};

// Every ConfigMap/Secret the pod template references.
std::set<ConfigRef> configRefs(const nlohmann::json& podTemplate);
// The checksum of a ConfigMap's or Secret's content (data, binaryData, stringData); `kind` is "configmap"
// (sha256, hex) or "secret" ("hmac-sha256:" + HMAC keyed with the Secret's uid: safe to publish).
std::string configChecksum(const nlohmann::json& object, const std::string& kind);
// One checksum for a set of tracked configs ("kind/name" → checksum); the primary carries it.
std::string configsChecksum(const std::map<std::string, std::string>& tracked);
// `podTemplate` with every reference to one of `refs` renamed to "<name>-primary".
nlohmann::json renameConfigRefs(nlohmann::json podTemplate, const std::set<ConfigRef>& refs);
// The inverse for a primary's template: every "<name>-primary" reference back to "<name>".
nlohmann::json restoreConfigRefs(nlohmann::json podTemplate);

}  // namespace aviary::controller
