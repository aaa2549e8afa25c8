// The traffic simulator's picture of the cluster: compact projections of Services and workloads and the
// raw specs of the mesh objects that route traffic, kept up to date from a ClusterSource — the sandbox's
// object store or a watch of a real API server (cluster_source.h). Workloads come from Deployments (the
// sandbox) or from Pods and EndpointSlices (a real server, pod_workloads.h). Each sync reports which
// namespaces changed, so only the traffic plans that depend on them are rebuilt. Owned by the simulator
// thread; not thread-safe.
#pragma once

#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "sandbox/api/object_store.h"
#include "sandbox/api/resource_registry.h"
#include "sandbox/traffic/cluster_source.h"
#include "sandbox/traffic/latency_model.h"

namespace aviary::sandbox::traffic {

using Labels = std::map<std::string, std::string>;

// True when `labels` carry every key and value of `wanted` (as an equality-based label selector).
inline bool hasEveryLabel(const Labels& labels, const Labels& wanted) {
  for (const auto& [k, v] : wanted) {
    auto l = labels.find(k);
    if (l == labels.end() || l->second != v) return false;
  }
  return true;
}

// Annotations the simulator reads.
inline constexpr char kRpsAnnotation[] = "sandbox.aviary.io/rps";
inline constexpr char kTrafficHeadersAnnotation[] = "sandbox.aviary.io/traffic-headers";
inline constexpr char kErrorRateAnnotation[] = "sandbox.aviary.io/error-rate";
inline constexpr char kLatencyAnnotation[] = "sandbox.aviary.io/latency-ms";
// How many simulated clients send the Service's load and keep the cookies responses set (session_clients.h);
// absent or 0: every request is anonymous.
inline constexpr char kTrafficClientsAnnotation[] = "sandbox.aviary.io/traffic-clients";

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
  std::size_t clients = 0;  // kTrafficClientsAnnotation
  std::string fqdn() const { return name + "." + ns + ".svc.cluster.local"; }
};

// Pods that run one version. In the sandbox, a Deployment's ready pods; its version changes when a
// rollout completes: during a rollout the old pods keep serving (KUBE-API.md §9), so they keep the old
// behaviour. On a real server, the pods of one ReplicaSet (so both versions serve during a rollout).
struct Workload {
  std::string ns;
  std::string name;  // the Deployment's name (Istio's destination_workload, the ground truth's deployment)
  Labels podLabels;
  int readyPods = 0;
  std::string podTemplateHash;
  double errorRate = 0;
  std::shared_ptr<const LatencyModel> latency;
  std::vector<std::string> podNames;  // <deployment>-<pod-template-hash>-<suffix>, one per ready pod
};

class PodWorkloads;
class StoreSource;

class ClusterView {
 public:
  ClusterView();
  ~ClusterView();
  ClusterView(const ClusterView&) = delete;
  ClusterView& operator=(const ClusterView&) = delete;

  // Applies every change the source has since the last sync; returns the namespaces that changed. A view
  // follows one source for its whole life.
  std::set<std::string> sync(ClusterSource& source);
  // The same with the sandbox's store as the source (made on the first call).
  std::set<std::string> sync(const ObjectStore& store, const ResourceRegistry& registry);

  const ServiceInfo* service(const std::string& ns, const std::string& name) const;
  // Every Service with generated load.
  std::vector<const ServiceInfo*> loadedServices() const;
  std::vector<const ServiceInfo*> loadedServicesIn(const std::string& ns) const;
  // Workloads whose pods carry every label of `selector` (an empty selector selects nothing).
  std::vector<const Workload*> workloadsSelectedBy(const std::string& ns, const Labels& selector) const;
  // The workloads whose ready pods serve Service ns/name, narrowed to pods carrying `subsetLabels` (a mesh
  // subset): what its EndpointSlices list on a real server, else its selector over the workloads' ready
  // pods. An unknown Service, or one without selector or slices, has none.
  std::vector<const Workload*> workloadsServing(const std::string& ns, const std::string& name,
                                                const Labels& subsetLabels) const;
  // Mesh objects of one resource in one namespace, by name.
  const std::map<std::string, Json>& meshObjects(MeshResource resource, const std::string& ns) const;
  const Json* meshObject(MeshResource resource, const std::string& ns, const std::string& name) const;
  // Every workload, by namespace and key (the Deployment's name in the sandbox, the ReplicaSet's on a
  // real server).
  const std::map<std::string, std::map<std::string, Workload>>& workloads() const { return workloads_; }
  // Every pod that exists (ready or not), by namespace: whose per-pod series may exist.
  std::map<std::string, std::vector<std::string>> podsByNamespace() const;

  // Parsing helpers, exposed for tests.
  static std::vector<HeaderShare> parseHeaderMix(const std::string& annotation);
  static std::string podTemplateHash(const Json& podTemplate);
  static std::string podName(const std::string& deployment, const std::string& hash, int index);
  static Labels labelsOf(const Json& labels);
  // Sets w.errorRate and w.latency from the annotations of pod (template) metadata; `owner` names the
  // object in warnings about malformed values.
  static void readBehaviour(const Json& podMetadata, const std::string& owner, Workload& w);

 private:
  void apply(const ClusterChange& change, std::set<std::string>& changed);
  void upsertService(const Json& object);
  void upsertDeployment(const Json& object);
  void clearFeed(FeedId feed, std::set<std::string>& changed);

  bool endpointSlicesServed_ = false;           // PodsAndEndpointSlices: else Services select ready pods
  std::unique_ptr<StoreSource> storeSource_;    // sync(store, registry) only
  std::unique_ptr<PodWorkloads> podWorkloads_;  // PodModel::PodsAndEndpointSlices only
  std::map<std::string, std::map<std::string, ServiceInfo>> services_;  // ns → name →
  std::map<std::string, std::map<std::string, Workload>> workloads_;
  std::map<MeshResource, std::map<std::string, std::map<std::string, Json>>> mesh_;
};

}  // namespace aviary::sandbox::traffic
