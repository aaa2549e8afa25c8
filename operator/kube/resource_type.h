// Addresses a Kubernetes resource type by group/version/plural and builds its REST paths.
#pragma once

#include <string>

#include "operator/core/result.h"

namespace aviary::kube {

struct ResourceType {
  std::string group;    // "" for the core group
  std::string version;  // "v1"
  std::string plural;   // "deployments"
  std::string kind;     // "Deployment"
  bool namespaced = true;

  // "apps/v1", or "v1" for the core group.
  std::string apiVersion() const { return group.empty() ? version : group + "/" + version; }
  // "deployments.apps" as in error messages, or "pods" for the core group.
  std::string qualifiedName() const { return group.empty() ? plural : plural + "." + group; }
  // /apis/apps/v1/namespaces/ns/deployments; an empty namespace means all namespaces (or cluster-scoped).
  // Every segment is checked and percent-encoded (request_path.h). Errors: Invalid, naming the segment.
  Result<std::string> collectionPath(const std::string& ns) const;
  // .../deployments/<name>[/<subresource>]. Errors: Invalid (an empty or unsafe name or segment).
  Result<std::string> objectPath(const std::string& ns, const std::string& name,
                                 const std::string& subresource = "") const;
};

// Built-in types the operator uses.
namespace resources {
inline const ResourceType kNamespaces{"", "v1", "namespaces", "Namespace", false};
inline const ResourceType kServices{"", "v1", "services", "Service", true};
inline const ResourceType kConfigMaps{"", "v1", "configmaps", "ConfigMap", true};
inline const ResourceType kSecrets{"", "v1", "secrets", "Secret", true};
inline const ResourceType kPods{"", "v1", "pods", "Pod", true};
inline const ResourceType kEvents{"", "v1", "events", "Event", true};
inline const ResourceType kDeployments{"apps", "v1", "deployments", "Deployment", true};
inline const ResourceType kEndpointSlices{"discovery.k8s.io", "v1", "endpointslices", "EndpointSlice", true};
inline const ResourceType kLeases{"coordination.k8s.io", "v1", "leases", "Lease", true};
inline const ResourceType kHorizontalPodAutoscalers{"autoscaling", "v2", "horizontalpodautoscalers",
                                                    "HorizontalPodAutoscaler", true};
inline const ResourceType kCustomResourceDefinitions{
    "apiextensions.k8s.io", "v1", "customresourcedefinitions", "CustomResourceDefinition", false};
}  // namespace resources

}  // namespace aviary::kube
