// Traefik (traefik.io/v1alpha1) → RouteTable: a TraefikService's weighted services (nested TraefikServices
// flattened, weights multiplied) or its mirroring (main service plus a mirrored copy).
#include "sandbox/traffic/routing/mesh_routing.h"

namespace aviary::sandbox::traffic {
namespace {

constexpr int kMaxNesting = 5;

Destination kubernetesServiceDestination(const ClusterView& view, const Json& ref,
                                         const std::string& contextNs, RouteTable& table) {
  std::string ns = ref.value("namespace", contextNs), name = ref.value("name", "");
  table.namespaces.insert(ns);
  Destination d = serviceDestination(view, ns, name, {}, Telemetry::Traefik);
  int port = 0;
  if (ref.contains("port") && ref["port"].is_number_integer()) {
    port = ref["port"].get<int>();
  } else if (const ServiceInfo* s = view.service(ns, name); s && !s->ports.empty()) {
    port = s->ports.front();
  }
  // Traefik names a Kubernetes service referenced from a CRD "<namespace>-<name>-<port>@kubernetescrd".
  d.label = ns + "-" + name + "-" + std::to_string(port) + "@kubernetescrd";
  return d;
}

// Appends the weighted leaves of `ref` (a Service or a TraefikService) with their share of `weight`.
void flatten(const ClusterView& view, const Json& ref, const std::string& contextNs, double weight, int depth,
             RouteTable& table, std::vector<WeightedDestination>& out) {
  if (ref.value("kind", "Service") != "TraefikService") {
    out.push_back({weight, kubernetesServiceDestination(view, ref, contextNs, table)});
    return;
  }
  std::string ns = ref.value("namespace", contextNs);
  table.namespaces.insert(ns);
  const Json* nested = view.meshObject(MeshResource::TraefikService, ns, ref.value("name", ""));
  if (!nested || depth >= kMaxNesting) {
    out.push_back({weight, Destination{{}, Telemetry::Traefik, ns, ref.value("name", ""), ""}});
    return;
  }
  const Json services = nested->value("/spec/weighted/services"_json_pointer, Json::array());
  double total = 0;
  for (const auto& s : services) total += s.value("weight", 1.0);
  for (const auto& s : services) {
    if (total > 0) flatten(view, s, ns, weight * s.value("weight", 1.0) / total, depth + 1, table, out);
  }
}

}  // namespace

std::optional<RouteTable> traefikRoutes(const ClusterView& view, const ServiceInfo& service) {
  const Json* ts = view.meshObject(MeshResource::TraefikService, service.ns, service.name);
  if (!ts) return std::nullopt;
  RouteTable table;
  table.source = "TraefikService " + service.ns + "/" + service.name;
  Route route;
  const Json spec = ts->value("spec", Json::object());
  if (spec.contains("mirroring")) {
    const Json& mirroring = spec["mirroring"];
    flatten(view, mirroring, service.ns, 100, 0, table, route.destinations);
    for (const auto& mirror : mirroring.value("mirrors", Json::array())) {
      // One mirror per route in the sandbox: the first.
      route.mirror = kubernetesServiceDestination(view, mirror, service.ns, table);
      route.mirrorPercent = mirror.value("percent", 0.0);
      break;
    }
  } else {
    Json self = {{"kind", "TraefikService"}, {"name", service.name}, {"namespace", service.ns}};
    flatten(view, self, service.ns, 100, 0, table, route.destinations);
  }
  table.routes.push_back(std::move(route));
  return table;
}

}  // namespace aviary::sandbox::traffic
