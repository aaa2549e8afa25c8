// Workloads of a real cluster, from its Pods and EndpointSlices (PodModel::PodsAndEndpointSlices): pods are
// grouped by their controller ReplicaSet — one workload per pod template, named like Istio names it, the
// owning Deployment (the ReplicaSet name minus "-<pod-template-hash>") — and carry the behaviour their
// template's annotations ask for. Which pods serve a Service is what its EndpointSlices list as ready,
// as kube-proxy and the meshes read it. Owned by the ClusterView; not thread-safe.
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include "sandbox/traffic/cluster_view.h"

namespace aviary::sandbox::traffic {

class PodWorkloads {
 public:
  // The caller records the object's namespace as changed and rebuilds it.
  void upsertPod(const Json& pod);
  void deletePod(const Json& pod);
  void upsertSlice(const Json& slice);
  void deleteSlice(const Json& slice);
  // Forgets every pod (or every slice); returns the namespaces that had some.
  std::set<std::string> clearPods();
  std::set<std::string> clearSlices();

  // Recomputes one namespace's workloads into `workloads` (its previous contents are replaced) and the
  // workloads serving each of its Services. Pointers from serving() stay valid until the next rebuild.
  void rebuild(const std::string& ns, std::map<std::string, Workload>& workloads);
  // The workloads whose pods serve Service ns/service (each holding only its ready endpoints), narrowed
  // to pods carrying every label of `subsetLabels`.
  std::vector<const Workload*> serving(const std::string& ns, const std::string& service,
                                       const Labels& subsetLabels) const;
  // Every known pod (ready or not) of a namespace.
  std::vector<std::string> podNames(const std::string& ns) const;

  // "app-7948f4f77" with hash "7948f4f77" → "app", as Istio derives destination_workload.
  static std::string deploymentOf(const std::string& replicaSet, const std::string& podTemplateHash);

 private:
  struct PodInfo {
    std::string workloadKey;  // the controller ReplicaSet's name, or the pod's own name without one
    std::string workloadName;
    bool ready = false;  // condition Ready=True and not terminating
    Json metadata;       // labels and annotations (the template's)
  };
  struct SliceInfo {
    std::string service;                 // label kubernetes.io/service-name
    std::vector<std::string> readyPods;  // endpoints whose condition ready is not false, by targetRef
  };
  std::map<std::string, std::map<std::string, PodInfo>> pods_;                   // ns → pod name →
  std::map<std::string, std::map<std::string, SliceInfo>> slices_;               // ns → slice name →
  std::map<std::string, std::map<std::string, std::vector<Workload>>> serving_;  // ns → service →
};

}  // namespace aviary::sandbox::traffic
