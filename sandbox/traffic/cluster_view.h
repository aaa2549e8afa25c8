// The traffic simulator's picture of the cluster: compact projections of Services and Deployments and the
// raw specs of the mesh objects that route traffic, kept up to date from the sandbox store's event
// history (no lock held on the store between ticks). Each sync reports which namespaces changed, so only
// the traffic plans that depend on them are rebuilt. Owned by the simulator thread; not thread-safe.
#pragma once

#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "sandbox/api/object_store.h"
#include "sandbox/api/resource_registry.h"
#include "sandbox/traffic/latency_model.h"

namespace aviary::sandbox::traffic {

using Labels = std::map<std::string, std::string>;

// Annotations the simulator reads.
inline constexpr char kRpsAnnotation[] = "sandbox.aviary.io/rps";
inline constexpr char kTrafficHeadersAnnotation[] = "sandbox.aviary.io/traffic-headers";
inline constexpr char kErrorRateAnnotation[] = "sandbox.aviary.io/error-rate";
inline constexpr char kLatencyAnnotation[] = "sandbox.aviary.io/latency-ms";

// A share of generated requests that carries one header (cookies are the "cookie" header).
struct HeaderShare {
  std::string name;  // lower case
  std::string value;
  double share = 0;  // 0..1
};

struct ServiceInfo {
  std::string ns, name;
  Labels selector;  // empty: no endpoints (a Service without selector)
  std::vector<int> ports;
  double rps = 0;  // generated load; 0 = none
  std::vector<HeaderShare> headerMix;
  std::string fqdn() const { return name + "." + ns + ".svc.cluster.local"; }
};

// The version a Deployment's ready pods run. It changes when a rollout completes: during a rollout the
// old pods keep serving (KUBE-API.md §9), so they keep the old behaviour.
struct Workload {
  std::string ns, name;
  Labels podLabels;
  int readyPods = 0;
  std::string podTemplateHash;
  double errorRate = 0;
  std::shared_ptr<const LatencyModel> latency;
  std::vector<std::string> podNames;  // <deployment>-<pod-template-hash>-<suffix>, one per ready pod
};

// Mesh resources the routers read (raw specs).
enum class MeshResource {
  IstioVirtualService,
  IstioDestinationRule,
  AppMeshVirtualService,
  AppMeshVirtualRouter,
  AppMeshVirtualNode,
  TraefikService,
  HttpRoute,
};

class ClusterView {
 public:
  // Applies every change since the last sync; returns the namespaces that changed.
  std::set<std::string> sync(const ObjectStore& store, const ResourceRegistry& registry);

  const ServiceInfo* service(const std::string& ns, const std::string& name) const;
  // Every Service with generated load.
  std::vector<const ServiceInfo*> loadedServices() const;
  std::vector<const ServiceInfo*> loadedServicesIn(const std::string& ns) const;
  // Workloads whose pods carry every label of `selector` (an empty selector selects nothing).
  std::vector<const Workload*> workloadsSelectedBy(const std::string& ns, const Labels& selector) const;
  // Mesh objects of one resource in one namespace, by name.
  const std::map<std::string, Json>& meshObjects(MeshResource resource, const std::string& ns) const;
  const Json* meshObject(MeshResource resource, const std::string& ns, const std::string& name) const;
  // Every workload, by namespace and name.
  const std::map<std::string, std::map<std::string, Workload>>& workloads() const { return workloads_; }

  // Parsing helpers, exposed for tests.
  static std::vector<HeaderShare> parseHeaderMix(const std::string& annotation);
  static std::string podTemplateHash(const Json& podTemplate);
  static std::string podName(const std::string& deployment, const std::string& hash, int index);

 private:
  struct Tracked {
    std::string group, version, plural;
    std::shared_ptr<const ResourceKind> kind;
    long long cursor = 0;
  };
  void resync(Tracked& t, const ObjectStore& store, std::set<std::string>& changed);
  void applyEvent(std::size_t slot, const std::string& type, const Json& object,
                  std::set<std::string>& changed);
  void upsertService(const Json& object);
  void upsertDeployment(const Json& object);
  void clearSlot(std::size_t slot, std::set<std::string>& changed);

  std::vector<Tracked> tracked_;
  std::map<std::string, std::map<std::string, ServiceInfo>> services_;  // ns → name →
  std::map<std::string, std::map<std::string, Workload>> workloads_;
  std::map<MeshResource, std::map<std::string, std::map<std::string, Json>>> mesh_;
};

}  // namespace aviary::sandbox::traffic
