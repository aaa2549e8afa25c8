#include "sandbox/traffic/cluster_view.h"

#include <algorithm>
#include <sstream>

#include <spdlog/spdlog.h>

#include "sandbox/traffic/pod_workloads.h"
#include "sandbox/traffic/store_source.h"

namespace aviary::sandbox::traffic {
namespace {

// The characters Kubernetes uses in generated names (no vowels, no look-alikes).
constexpr char kSafeAlphabet[] = "bcdfghjklmnpqrstvwxz2456789";

uint32_t fnv1a(std::string_view text, uint32_t hash = 2166136261u) {
  for (unsigned char c : text) {
    hash ^= c;
    hash *= 16777619u;
  }
  return hash;
}

std::string annotation(const Json& meta, const char* key) {
  const Json& annotations = meta.contains("annotations") ? meta["annotations"] : Json();
  if (!annotations.is_object()) return {};
  auto it = annotations.find(key);
  return it != annotations.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::optional<double> parseNumber(const std::string& text) {
  try {
    std::size_t used = 0;
    double v = std::stod(text, &used);
    if (used != text.size()) return std::nullopt;
    return v;
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

std::string trim(std::string s) {
  auto notSpace = [](unsigned char c) { return !std::isspace(c); };
  s.erase(s.begin(), std::find_if(s.begin(), s.end(), notSpace));
  s.erase(std::find_if(s.rbegin(), s.rend(), notSpace).base(), s.end());
  return s;
}

const std::map<std::string, Json> kNoObjects;

}  // namespace

ClusterView::ClusterView() = default;
ClusterView::~ClusterView() = default;

Labels ClusterView::labelsOf(const Json& labels) {
  Labels out;
  if (labels.is_object()) {
    for (const auto& [k, v] : labels.items()) {
      if (v.is_string()) out[k] = v.get<std::string>();
    }
  }
  return out;
}

void ClusterView::readBehaviour(const Json& podMetadata, const std::string& owner, Workload& w) {
  w.errorRate = 0;
  if (std::string rate = annotation(podMetadata, kErrorRateAnnotation); !rate.empty()) {
    auto value = parseNumber(rate);
    if (value && *value >= 0 && *value <= 1) {
      w.errorRate = *value;
    } else {
      spdlog::warn("sandbox traffic: {}: {} \"{}\" must be a share in [0,1]", owner, kErrorRateAnnotation,
                   rate);
    }
  }
  w.latency = defaultLatencyModel();
  if (std::string latency = annotation(podMetadata, kLatencyAnnotation); !latency.empty()) {
    if (auto model = LatencyModel::parse(latency)) {
      w.latency = std::make_shared<const LatencyModel>(*model);
    } else {
      spdlog::warn("sandbox traffic: {}: {} \"{}\" is not like \"p50=20,p99=150\"", owner, kLatencyAnnotation,
                   latency);
    }
  }
}

std::vector<HeaderShare> ClusterView::parseHeaderMix(const std::string& annotationValue) {
  std::vector<HeaderShare> out;
  std::stringstream in(annotationValue);
  std::string item;
  while (std::getline(in, item, ',')) {
    item = trim(item);
    auto colon = item.rfind(':');
    auto eq = item.find('=');
    if (item.empty() || colon == std::string::npos || eq == std::string::npos || eq > colon) continue;
    std::string shareText = trim(item.substr(colon + 1));
    bool percent = !shareText.empty() && shareText.back() == '%';
    if (percent) shareText.pop_back();
    auto share = parseNumber(shareText);
    if (!share || *share < 0) continue;
    HeaderShare h;
    h.name = trim(item.substr(0, eq));
    std::transform(h.name.begin(), h.name.end(), h.name.begin(), ::tolower);
    h.value = trim(item.substr(eq + 1, colon - eq - 1));
    h.share = std::min(1.0, percent ? *share / 100 : *share);
    out.push_back(std::move(h));
  }
  return out;
}

std::string ClusterView::podTemplateHash(const Json& podTemplate) {
  // Like the Deployment controller: a 32-bit FNV hash of the template, its decimal digits mapped onto
  // the safe alphabet.
  std::string digits = std::to_string(fnv1a(podTemplate.dump()));
  std::string out;
  for (char c : digits) out += kSafeAlphabet[static_cast<unsigned char>(c) % (sizeof(kSafeAlphabet) - 1)];
  return out;
}

std::string ClusterView::podName(const std::string& deployment, const std::string& hash, int index) {
  uint32_t h = fnv1a(deployment + "/" + hash + "/" + std::to_string(index));
  std::string suffix;
  for (int i = 0; i < 5; ++i) {
    suffix += kSafeAlphabet[h % (sizeof(kSafeAlphabet) - 1)];
    h = h / (sizeof(kSafeAlphabet) - 1) ^ (h * 2654435761u);
  }
  return deployment + "-" + hash + "-" + suffix;
}

void ClusterView::upsertService(const Json& object) {
  const Json& meta = object["metadata"];
  ServiceInfo s;
  s.ns = meta.value("namespace", "");
  s.name = meta.value("name", "");
  s.selector = labelsOf(object.value("/spec/selector"_json_pointer, Json()));
  for (const auto& port : object.value("/spec/ports"_json_pointer, Json::array())) {
    if (port.contains("port") && port["port"].is_number_integer()) s.ports.push_back(port["port"].get<int>());
  }
  if (std::string rps = annotation(meta, kRpsAnnotation); !rps.empty()) {
    auto value = parseNumber(rps);
    if (value && *value >= 0) {
      s.rps = *value;
    } else {
      spdlog::warn("sandbox traffic: service {}/{}: {} \"{}\" is not a number; no load generated", s.ns,
                   s.name, kRpsAnnotation, rps);
    }
  }
  s.headerMix = parseHeaderMix(annotation(meta, kTrafficHeadersAnnotation));
  if (std::string clients = annotation(meta, kTrafficClientsAnnotation); !clients.empty()) {
    auto value = parseNumber(clients);
    if (value && *value >= 0 && *value <= 1'000'000 &&
        *value == static_cast<double>(static_cast<long>(*value))) {
      s.clients = static_cast<std::size_t>(*value);
    } else {
      spdlog::warn(
          "sandbox traffic: service {}/{}: {} \"{}\" is not a whole number up to 1000000; requests "
          "stay anonymous",
          s.ns, s.name, kTrafficClientsAnnotation, clients);
    }
  }
  services_[s.ns][s.name] = std::move(s);
}

void ClusterView::upsertDeployment(const Json& object) {
  const Json& meta = object["metadata"];
  std::string ns = meta.value("namespace", ""), name = meta.value("name", "");
  auto [it, isNew] = workloads_[ns].try_emplace(name);
  Workload& w = it->second;
  w.ns = ns;
  w.name = name;
  int replicas = object.value("/spec/replicas"_json_pointer, 1);
  const Json status = object.value("status", Json::object());
  long long generation = meta.value("generation", 0LL);
  // Complete as `kubectl rollout status` judges it: while old pods are still counted in status.replicas
  // (a surge rollout in progress), they are the ones serving.
  int updated = status.value("updatedReplicas", 0);
  bool rolledOut = status.value("observedGeneration", 0LL) >= generation && updated >= replicas &&
                   status.value("replicas", 0) <= updated && status.value("availableReplicas", 0) >= updated;
  if (isNew || rolledOut || replicas == 0) {
    const Json& podTemplate = object.value("/spec/template"_json_pointer, Json::object());
    const Json templateMeta = podTemplate.value("metadata", Json::object());
    w.podLabels = labelsOf(templateMeta.value("labels", Json()));
    w.podTemplateHash = podTemplateHash(podTemplate);
    readBehaviour(templateMeta, "deployment " + ns + "/" + name, w);
  }
  w.readyPods = std::max(0, std::min(status.value("readyReplicas", 0), replicas));
  w.podNames.clear();
  for (int i = 0; i < w.readyPods; ++i) w.podNames.push_back(podName(name, w.podTemplateHash, i));
}

void ClusterView::apply(const ClusterChange& change, std::set<std::string>& changed) {
  if (change.kind == ClusterChange::Kind::Reset || change.kind == ClusterChange::Kind::Unserved) {
    if (change.feed == kEndpointSlicesFeed) {
      bool served = change.kind == ClusterChange::Kind::Reset;
      // How every Service finds its pods changes: every plan is rebuilt.
      if (served != endpointSlicesServed_) {
        for (const auto& [ns, _] : services_) changed.insert(ns);
      }
      endpointSlicesServed_ = served;
    }
    return clearFeed(change.feed, changed);
  }
  const Json& object = *change.object;
  const Json& meta = object["metadata"];
  std::string ns = meta.value("namespace", ""), name = meta.value("name", "");
  changed.insert(ns);
  bool deleted = change.kind == ClusterChange::Kind::Delete;
  switch (change.feed) {
    case kServicesFeed:
      if (deleted) {
        services_[ns].erase(name);
      } else {
        upsertService(object);
      }
      return;
    case kDeploymentsFeed:
      if (deleted) {
        workloads_[ns].erase(name);
      } else {
        upsertDeployment(object);
      }
      return;
    case kPodsFeed:
      if (!podWorkloads_) return;  // not a feed of PodModel::Deployments
      if (deleted) {
        podWorkloads_->deletePod(object);
      } else {
        podWorkloads_->upsertPod(object);
      }
      return;
    case kEndpointSlicesFeed:
      if (!podWorkloads_) return;
      if (deleted) {
        podWorkloads_->deleteSlice(object);
      } else {
        podWorkloads_->upsertSlice(object);
      }
      return;
    default: {
      auto& objects = mesh_[meshResourceOf(change.feed)][ns];
      if (deleted) {
        objects.erase(name);
      } else {
        objects[name] = object;
      }
    }
  }
}

void ClusterView::clearFeed(FeedId feed, std::set<std::string>& changed) {
  auto clearMap = [&](auto& byNs) {
    for (const auto& [ns, _] : byNs) changed.insert(ns);
    byNs.clear();
  };
  switch (feed) {
    case kServicesFeed:
      return clearMap(services_);
    case kDeploymentsFeed:
      return clearMap(workloads_);
    case kPodsFeed:
      if (podWorkloads_) changed.merge(podWorkloads_->clearPods());
      return;
    case kEndpointSlicesFeed:
      if (podWorkloads_) changed.merge(podWorkloads_->clearSlices());
      return;
    default:
      return clearMap(mesh_[meshResourceOf(feed)]);
  }
}

std::set<std::string> ClusterView::sync(ClusterSource& source) {
  if (source.podModel() == PodModel::PodsAndEndpointSlices && !podWorkloads_) {
    podWorkloads_ = std::make_unique<PodWorkloads>();
  }
  std::set<std::string> changed;
  for (const auto& change : source.takeChanges()) apply(change, changed);
  if (podWorkloads_) {
    // Workloads follow from all of a namespace's pods and slices: recompute the namespaces that changed.
    for (const auto& ns : changed) {
      podWorkloads_->rebuild(ns, workloads_[ns]);
      if (workloads_[ns].empty()) workloads_.erase(ns);
    }
  }
  return changed;
}

std::set<std::string> ClusterView::sync(const ObjectStore& store, const ResourceRegistry& registry) {
  if (!storeSource_) storeSource_ = std::make_unique<StoreSource>(store, registry);
  return sync(*storeSource_);
}

const ServiceInfo* ClusterView::service(const std::string& ns, const std::string& name) const {
  auto n = services_.find(ns);
  if (n == services_.end()) return nullptr;
  auto s = n->second.find(name);
  return s == n->second.end() ? nullptr : &s->second;
}

std::vector<const ServiceInfo*> ClusterView::loadedServices() const {
  std::vector<const ServiceInfo*> out;
  for (const auto& [ns, byName] : services_) {
    for (const auto& [name, s] : byName) {
      if (s.rps > 0) out.push_back(&s);
    }
  }
  return out;
}

std::vector<const ServiceInfo*> ClusterView::loadedServicesIn(const std::string& ns) const {
  std::vector<const ServiceInfo*> out;
  auto n = services_.find(ns);
  if (n == services_.end()) return out;
  for (const auto& [name, s] : n->second) {
    if (s.rps > 0) out.push_back(&s);
  }
  return out;
}

std::vector<const Workload*> ClusterView::workloadsSelectedBy(const std::string& ns,
                                                              const Labels& selector) const {
  std::vector<const Workload*> out;
  auto n = workloads_.find(ns);
  if (selector.empty() || n == workloads_.end()) return out;
  for (const auto& [name, w] : n->second) {
    if (hasEveryLabel(w.podLabels, selector)) out.push_back(&w);
  }
  return out;
}

std::vector<const Workload*> ClusterView::workloadsServing(const std::string& ns, const std::string& name,
                                                           const Labels& subsetLabels) const {
  if (podWorkloads_ && endpointSlicesServed_) return podWorkloads_->serving(ns, name, subsetLabels);
  const ServiceInfo* s = service(ns, name);
  if (!s || s->selector.empty()) return {};
  Labels selector = s->selector;
  selector.insert(subsetLabels.begin(), subsetLabels.end());
  return workloadsSelectedBy(ns, selector);
}

std::map<std::string, std::vector<std::string>> ClusterView::podsByNamespace() const {
  std::map<std::string, std::vector<std::string>> out;
  for (const auto& [ns, byKey] : workloads_) {
    auto& names = out[ns];
    if (podWorkloads_) {
      names = podWorkloads_->podNames(ns);
      continue;
    }
    for (const auto& [key, w] : byKey) names.insert(names.end(), w.podNames.begin(), w.podNames.end());
  }
  return out;
}

const std::map<std::string, Json>& ClusterView::meshObjects(MeshResource resource,
                                                            const std::string& ns) const {
  auto r = mesh_.find(resource);
  if (r == mesh_.end()) return kNoObjects;
  auto n = r->second.find(ns);
  return n == r->second.end() ? kNoObjects : n->second;
}

const Json* ClusterView::meshObject(MeshResource resource, const std::string& ns,
                                    const std::string& name) const {
  const auto& objects = meshObjects(resource, ns);
  auto it = objects.find(name);
  return it == objects.end() ? nullptr : &it->second;
}

}  // namespace aviary::sandbox::traffic
