// Which resource types the sandbox serves: the built-in ones and those CustomResourceDefinitions add.
// Drives discovery, routing, generation rules, subresources and printing. Thread-safe.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <shared_mutex>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "operator/core/result.h"

namespace aviary::sandbox {

using Json = nlohmann::json;

struct ResourceKind {
  std::string group;                  // "" = core
  std::vector<std::string> versions;  // served, preferred first
  std::string storageVersion;
  std::string plural, singular, kind, listKind;
  bool namespaced = true;
  std::vector<std::string> shortNames, categories;
  bool statusSubresource = false;
  bool scaleSubresource = false;
  std::string specReplicasPath = ".spec.replicas";
  std::string statusReplicasPath = ".status.replicas";
  std::string labelSelectorPath;
  bool custom = false;                     // defined by a CRD: merge patch only, RV required on update
  bool annotationsBumpGeneration = false;  // Deployments
  bool hasGeneration = true;
  std::map<std::string, Json> schemas;  // version -> openAPIV3Schema (custom resources)
  Json printerColumns = Json::array();  // additionalPrinterColumns of the storage version
  std::vector<std::string> extraFieldSelectors;
  // Set when this resource is another view of one stored elsewhere (events.k8s.io/v1 Events are the
  // core/v1 Events): the key() of the stored resource.
  std::string viewOf;

  // "deployments.apps" / "pods" — the resource name in Status messages.
  std::string qualified() const { return group.empty() ? plural : plural + "." + group; }
  std::string key() const { return group + "/" + plural; }
  std::string apiVersion(const std::string& version) const {
    return group.empty() ? version : group + "/" + version;
  }
};

class ResourceRegistry {
 public:
  ResourceRegistry();  // with the built-in types

  std::shared_ptr<const ResourceKind> find(const std::string& group, const std::string& version,
                                           const std::string& plural) const;
  std::shared_ptr<const ResourceKind> findByKind(const std::string& group, const std::string& kind) const;
  // The kind objects of `kind` are stored as (itself, unless it is a view).
  std::shared_ptr<const ResourceKind> storageOf(const std::shared_ptr<const ResourceKind>& kind) const;
  // Every kind, in registration order (discovery order).
  std::vector<std::shared_ptr<const ResourceKind>> all() const;

  // Validates a CustomResourceDefinition (422 with field paths) and returns the kind it defines.
  static Result<ResourceKind> kindFromCrd(const Json& crd);
  void add(ResourceKind kind);
  void remove(const std::string& group, const std::string& plural);

 private:
  mutable std::shared_mutex mutex_;
  std::vector<std::shared_ptr<const ResourceKind>> kinds_;
};

}  // namespace aviary::sandbox
