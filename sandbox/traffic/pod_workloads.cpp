#include "sandbox/traffic/pod_workloads.h"

namespace aviary::sandbox::traffic {
namespace {

constexpr char kPodTemplateHashLabel[] = "pod-template-hash";
constexpr char kServiceNameLabel[] = "kubernetes.io/service-name";

std::pair<std::string, std::string> nsAndName(const Json& object) {
  const Json& meta = object["metadata"];
  return {meta.value("namespace", ""), meta.value("name", "")};
}

// The name of the ReplicaSet that controls the pod, or "" (a bare pod, or one of another controller).
std::string controllerReplicaSet(const Json& meta) {
  for (const auto& ref : meta.value("ownerReferences", Json::array())) {
    if (ref.value("controller", false) && ref.value("kind", "") == "ReplicaSet") return ref.value("name", "");
  }
  return {};
}

bool isReady(const Json& pod) {
  if (pod["metadata"].contains("deletionTimestamp")) return false;  // terminating pods leave the endpoints
  for (const auto& c : pod.value("/status/conditions"_json_pointer, Json::array())) {
    if (c.value("type", "") == "Ready") return c.value("status", "") == "True";
  }
  return false;
}

// Removes the entry of `object` from a namespace → name → info map, and the namespace once empty.
template <class Map>
void eraseByNsAndName(Map& byNs, const Json& object) {
  auto [ns, name] = nsAndName(object);
  if (auto it = byNs.find(ns); it != byNs.end()) {
    it->second.erase(name);
    if (it->second.empty()) byNs.erase(it);
  }
}

template <class Map>
std::set<std::string> clearAll(Map& byNs) {
  std::set<std::string> namespaces;
  for (const auto& [ns, _] : byNs) namespaces.insert(ns);
  byNs.clear();
  return namespaces;
}

}  // namespace

std::string PodWorkloads::deploymentOf(const std::string& replicaSet, const std::string& podTemplateHash) {
  std::string suffix = "-" + podTemplateHash;
  if (!podTemplateHash.empty() && replicaSet.size() > suffix.size() &&
      replicaSet.compare(replicaSet.size() - suffix.size(), suffix.size(), suffix) == 0) {
    return replicaSet.substr(0, replicaSet.size() - suffix.size());
  }
  return replicaSet;
}

void PodWorkloads::upsertPod(const Json& pod) {
  auto [ns, name] = nsAndName(pod);
  const Json& meta = pod["metadata"];
  PodInfo info;
  std::string replicaSet = controllerReplicaSet(meta);
  info.workloadKey = replicaSet.empty() ? name : replicaSet;
  info.workloadName =
      replicaSet.empty()
          ? name
          : deploymentOf(replicaSet, meta.value("/labels/pod-template-hash"_json_pointer, std::string()));
  info.ready = isReady(pod);
  info.metadata = {{"labels", meta.value("labels", Json::object())},
                   {"annotations", meta.value("annotations", Json::object())}};
  pods_[ns][name] = std::move(info);
}

void PodWorkloads::deletePod(const Json& pod) {
  eraseByNsAndName(pods_, pod);
}

void PodWorkloads::upsertSlice(const Json& slice) {
  auto [ns, name] = nsAndName(slice);
  SliceInfo info;
  info.service = slice.value("/metadata/labels"_json_pointer, Json::object()).value(kServiceNameLabel, "");
  for (const auto& e : slice.value("endpoints", Json::array())) {
    // An absent ready condition means unknown, which consumers are told to read as ready.
    if (!e.value("/conditions/ready"_json_pointer, true)) continue;
    const Json ref = e.value("targetRef", Json::object());
    if (ref.value("kind", "") != "Pod" || ref.value("namespace", ns) != ns) continue;
    info.readyPods.push_back(ref.value("name", ""));
  }
  slices_[ns][name] = std::move(info);
}

void PodWorkloads::deleteSlice(const Json& slice) {
  eraseByNsAndName(slices_, slice);
}

std::set<std::string> PodWorkloads::clearPods() {
  return clearAll(pods_);
}

std::set<std::string> PodWorkloads::clearSlices() {
  return clearAll(slices_);
}

void PodWorkloads::rebuild(const std::string& ns, std::map<std::string, Workload>& workloads) {
  workloads.clear();
  serving_.erase(ns);
  auto podsIn = pods_.find(ns);
  if (podsIn == pods_.end()) return;
  // One workload per ReplicaSet; its pods share a template, so the first pod (by name) describes it.
  for (const auto& [podName, pod] : podsIn->second) {
    auto [it, isNew] = workloads.try_emplace(pod.workloadKey);
    Workload& w = it->second;
    if (isNew) {
      w.ns = ns;
      w.name = pod.workloadName;
      w.podLabels = ClusterView::labelsOf(pod.metadata["labels"]);
      auto hash = w.podLabels.find(kPodTemplateHashLabel);
      w.podTemplateHash = hash == w.podLabels.end() ? "" : hash->second;
      ClusterView::readBehaviour(pod.metadata, "pod " + ns + "/" + podName, w);
    }
    if (pod.ready) w.podNames.push_back(podName);
  }
  for (auto& [key, w] : workloads) w.readyPods = static_cast<int>(w.podNames.size());

  // Per Service: its ready endpoints, grouped by workload.
  auto slicesIn = slices_.find(ns);
  if (slicesIn == slices_.end()) return;
  std::map<std::string, std::map<std::string, std::set<std::string>>> endpoints;  // service → key → pods
  for (const auto& [sliceName, slice] : slicesIn->second) {
    if (slice.service.empty()) continue;
    for (const auto& podName : slice.readyPods) {
      auto pod = podsIn->second.find(podName);
      if (pod != podsIn->second.end()) endpoints[slice.service][pod->second.workloadKey].insert(podName);
    }
  }
  auto& servingNs = serving_[ns];
  for (const auto& [service, byWorkload] : endpoints) {
    auto& out = servingNs[service];
    for (const auto& [key, podNames] : byWorkload) {
      Workload w = workloads.at(key);
      w.podNames.assign(podNames.begin(), podNames.end());
      w.readyPods = static_cast<int>(w.podNames.size());
      out.push_back(std::move(w));
    }
  }
}

std::vector<const Workload*> PodWorkloads::serving(const std::string& ns, const std::string& service,
                                                   const Labels& subsetLabels) const {
  std::vector<const Workload*> out;
  auto n = serving_.find(ns);
  if (n == serving_.end()) return out;
  auto s = n->second.find(service);
  if (s == n->second.end()) return out;
  for (const Workload& w : s->second) {
    if (hasEveryLabel(w.podLabels, subsetLabels)) out.push_back(&w);
  }
  return out;
}

std::vector<std::string> PodWorkloads::podNames(const std::string& ns) const {
  std::vector<std::string> out;
  auto n = pods_.find(ns);
  if (n == pods_.end()) return out;
  for (const auto& [name, _] : n->second) out.push_back(name);
  return out;
}

}  // namespace aviary::sandbox::traffic
