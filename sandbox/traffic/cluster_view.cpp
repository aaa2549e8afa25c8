#include "sandbox/traffic/cluster_view.h"

#include <algorithm>
#include <sstream>

#include <spdlog/spdlog.h>

namespace aviary::sandbox::traffic {
namespace {

// Slot order: Services, Deployments, then MeshResource in enum order.
constexpr std::size_t kServices = 0, kDeployments = 1, kFirstMesh = 2;
struct TrackedName {
  const char *group, *version, *plural;
};
constexpr TrackedName kTrackedNames[] = {
    {"", "v1", "services"},
    {"apps", "v1", "deployments"},
    {"networking.istio.io", "v1beta1", "virtualservices"},
    {"networking.istio.io", "v1beta1", "destinationrules"},
    {"appmesh.k8s.aws", "v1beta2", "virtualservices"},
    {"appmesh.k8s.aws", "v1beta2", "virtualrouters"},
    {"appmesh.k8s.aws", "v1beta2", "virtualnodes"},
    {"traefik.io", "v1alpha1", "traefikservices"},
    {"gateway.networking.k8s.io", "v1", "httproutes"},
};

// The characters Kubernetes uses in generated names (no vowels, no look-alikes).
constexpr char kSafeAlphabet[] = "bcdfghjklmnpqrstvwxz2456789";

uint32_t fnv1a(std::string_view text, uint32_t hash = 2166136261u) {
  for (unsigned char c : text) {
    hash ^= c;
    hash *= 16777619u;
  }
  return hash;
}

Labels labelsOf(const Json& object) {
  Labels out;
  if (object.is_object()) {
    for (const auto& [k, v] : object.items()) {
      if (v.is_string()) out[k] = v.get<std::string>();
    }
  }
  return out;
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
  bool rolledOut = status.value("observedGeneration", 0LL) >= generation &&
                   status.value("updatedReplicas", 0) >= replicas &&
                   status.value("availableReplicas", 0) >= replicas;
  if (isNew || rolledOut || replicas == 0) {
    const Json& podTemplate = object.value("/spec/template"_json_pointer, Json::object());
    const Json templateMeta = podTemplate.value("metadata", Json::object());
    w.podLabels = labelsOf(templateMeta.value("labels", Json()));
    w.podTemplateHash = podTemplateHash(podTemplate);
    w.errorRate = 0;
    if (std::string rate = annotation(templateMeta, kErrorRateAnnotation); !rate.empty()) {
      auto value = parseNumber(rate);
      if (value && *value >= 0 && *value <= 1) {
        w.errorRate = *value;
      } else {
        spdlog::warn("sandbox traffic: deployment {}/{}: {} \"{}\" must be a share in [0,1]", ns, name,
                     kErrorRateAnnotation, rate);
      }
    }
    w.latency = defaultLatencyModel();
    if (std::string latency = annotation(templateMeta, kLatencyAnnotation); !latency.empty()) {
      if (auto model = LatencyModel::parse(latency)) {
        w.latency = std::make_shared<const LatencyModel>(*model);
      } else {
        spdlog::warn("sandbox traffic: deployment {}/{}: {} \"{}\" is not like \"p50=20,p99=150\"", ns, name,
                     kLatencyAnnotation, latency);
      }
    }
  }
  w.readyPods = std::max(0, std::min(status.value("readyReplicas", 0), replicas));
  w.podNames.clear();
  for (int i = 0; i < w.readyPods; ++i) w.podNames.push_back(podName(name, w.podTemplateHash, i));
}

void ClusterView::applyEvent(std::size_t slot, const std::string& type, const Json& object,
                             std::set<std::string>& changed) {
  const Json& meta = object["metadata"];
  std::string ns = meta.value("namespace", ""), name = meta.value("name", "");
  changed.insert(ns);
  bool deleted = type == "DELETED";
  if (slot == kServices) {
    if (deleted) {
      services_[ns].erase(name);
    } else {
      upsertService(object);
    }
  } else if (slot == kDeployments) {
    if (deleted) {
      workloads_[ns].erase(name);
    } else {
      upsertDeployment(object);
    }
  } else {
    auto& objects = mesh_[static_cast<MeshResource>(slot - kFirstMesh)][ns];
    if (deleted) {
      objects.erase(name);
    } else {
      objects[name] = object;
    }
  }
}

void ClusterView::clearSlot(std::size_t slot, std::set<std::string>& changed) {
  if (slot == kServices) {
    for (const auto& [ns, _] : services_) changed.insert(ns);
    services_.clear();
  } else if (slot == kDeployments) {
    for (const auto& [ns, _] : workloads_) changed.insert(ns);
    workloads_.clear();
  } else {
    auto& byNs = mesh_[static_cast<MeshResource>(slot - kFirstMesh)];
    for (const auto& [ns, _] : byNs) changed.insert(ns);
    byNs.clear();
  }
}

void ClusterView::resync(Tracked& t, const ObjectStore& store, std::set<std::string>& changed) {
  std::size_t slot = static_cast<std::size_t>(&t - tracked_.data());
  clearSlot(slot, changed);
  if (!t.kind) return;
  auto all = store.list(*t.kind, "", LabelSelector(), FieldSelector(), 0, "");
  if (!all) return;
  t.cursor = std::stoll(all->resourceVersion);
  for (const auto& object : all->items) applyEvent(slot, "ADDED", object, changed);
}

std::set<std::string> ClusterView::sync(const ObjectStore& store, const ResourceRegistry& registry) {
  std::set<std::string> changed;
  if (tracked_.empty()) {
    for (const auto& n : kTrackedNames) tracked_.push_back({n.group, n.version, n.plural, nullptr, 0});
  }
  auto now = std::chrono::steady_clock::now();
  for (auto& t : tracked_) {
    // Custom resources come and go with their CRDs: a different kind object means start over.
    auto kind = registry.find(t.group, t.version, t.plural);
    if (kind != t.kind) {
      t.kind = kind;
      resync(t, store, changed);
      continue;
    }
    if (!t.kind) continue;
    auto events = store.eventsAfter(*t.kind, "", t.cursor, now);
    if (!events) {  // our position left the history (a burst of writes): start over
      resync(t, store, changed);
      continue;
    }
    std::size_t slot = static_cast<std::size_t>(&t - tracked_.data());
    for (const auto& e : *events) {
      t.cursor = e.rv;
      applyEvent(slot, e.type, *e.object, changed);
    }
  }
  return changed;
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
    bool all = std::all_of(selector.begin(), selector.end(), [&](const auto& kv) {
      auto l = w.podLabels.find(kv.first);
      return l != w.podLabels.end() && l->second == kv.second;
    });
    if (all) out.push_back(&w);
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
