// AWS App Mesh (appmesh.k8s.aws/v1beta2) → RouteTable: VirtualService → VirtualRouter routes (by priority,
// prefix/path/method/header matches, weightedTargets) or straight to a VirtualNode; a VirtualNode's pods
// are the ready pods its podSelector matches.
#include <algorithm>

#include "sandbox/traffic/routing/mesh_routing.h"

namespace aviary::sandbox::traffic {
namespace {

Destination virtualNodeDestination(const ClusterView& view, const Json& ref, const std::string& contextNs,
                                   RouteTable& table) {
  std::string ns = ref.value("namespace", contextNs), name = ref.value("name", "");
  table.namespaces.insert(ns);
  Destination d;
  d.telemetry = Telemetry::Envoy;
  d.serviceNs = ns;
  d.serviceName = name;
  const Json* node = view.meshObject(MeshResource::AppMeshVirtualNode, ns, name);
  if (!node) return d;
  const Json spec = node->value("spec", Json::object());
  Labels selector;
  const Json matchLabels = spec.value("/podSelector/matchLabels"_json_pointer, Json::object());
  for (const auto& [k, v] : matchLabels.items()) {
    if (v.is_string()) selector[k] = v.get<std::string>();
  }
  d.workloads = view.workloadsSelectedBy(ns, selector);
  // Envoy's name for the node's inbound listener cluster, as the App Mesh sidecar reports it.
  int port = 80;
  for (const auto& listener : spec.value("listeners", Json::array())) {
    port = listener.value("/portMapping/port"_json_pointer, port);
    break;
  }
  std::string mesh = spec.value("/meshRef/name"_json_pointer, std::string("mesh"));
  d.label = "cds_ingress_" + mesh + "_" + name + "_http_" + std::to_string(port);
  return d;
}

std::optional<StringMatch> appMeshStringMatch(const Json& m) {
  if (!m.is_object()) return StringMatch::present();
  if (m.contains("exact")) return StringMatch::exact(m.value("exact", ""));
  if (m.contains("prefix")) return StringMatch::prefix(m.value("prefix", ""));
  if (m.contains("suffix")) return StringMatch::suffix(m.value("suffix", ""));
  if (m.contains("regex")) return StringMatch::regexOf(m.value("regex", ""));
  return StringMatch::present();
}

RequestMatch appMeshMatch(const Json& match) {
  RequestMatch out;
  if (match.contains("path")) {
    out.path = appMeshStringMatch(match["path"]);
  } else {
    out.path = StringMatch::prefix(match.value("prefix", "/"));
  }
  if (match.contains("method")) out.method = match.value("method", "GET");
  for (const auto& h : match.value("headers", Json::array())) {
    std::string name = h.value("name", "");
    std::transform(name.begin(), name.end(), name.begin(), ::tolower);
    auto sm = appMeshStringMatch(h.value("match", Json()));
    if (!sm) continue;
    sm->invert = h.value("invert", false);
    out.headers.push_back({name, *sm});
  }
  return out;
}

bool isThisService(const Json& vs, const std::string& vsName, const ServiceInfo& service) {
  std::string awsName = vs.value("/spec/awsName"_json_pointer, std::string());
  if (awsName.empty()) return vsName == service.name;
  auto resolved = resolveServiceHost(awsName, service.ns);
  return resolved && resolved->first == service.ns && resolved->second == service.name;
}

}  // namespace

std::optional<RouteTable> appMeshRoutes(const ClusterView& view, const ServiceInfo& service) {
  for (const auto& [name, vs] : view.meshObjects(MeshResource::AppMeshVirtualService, service.ns)) {
    if (!isThisService(vs, name, service)) continue;
    RouteTable table;
    table.source = "App Mesh VirtualService " + service.ns + "/" + name;
    const Json provider = vs.value("/spec/provider"_json_pointer, Json::object());
    if (provider.contains("virtualNode")) {
      Route route;
      route.destinations.push_back(
          {1, virtualNodeDestination(view, provider["virtualNode"].value("virtualNodeRef", Json::object()),
                                     service.ns, table)});
      table.routes.push_back(std::move(route));
      return table;
    }
    const Json routerRef = provider.value("/virtualRouter/virtualRouterRef"_json_pointer, Json::object());
    std::string routerNs = routerRef.value("namespace", service.ns);
    table.namespaces.insert(routerNs);
    const Json* router =
        view.meshObject(MeshResource::AppMeshVirtualRouter, routerNs, routerRef.value("name", ""));
    if (!router) return table;  // routes nothing until the router exists
    // Lower priority values win; routes without one come last, in order.
    std::vector<Json> routes;
    for (const auto& r : router->value("/spec/routes"_json_pointer, Json::array())) routes.push_back(r);
    std::stable_sort(routes.begin(), routes.end(), [](const Json& a, const Json& b) {
      return a.value("priority", 1001) < b.value("priority", 1001);
    });
    for (const auto& r : routes) {
      if (!r.contains("httpRoute")) continue;
      const Json& http = r["httpRoute"];
      Route route;
      route.matches.push_back(appMeshMatch(http.value("match", Json::object())));
      for (const auto& target : http.value("/action/weightedTargets"_json_pointer, Json::array())) {
        route.destinations.push_back(
            {target.value("weight", 0.0),
             virtualNodeDestination(view, target.value("virtualNodeRef", Json::object()), routerNs, table)});
      }
      table.routes.push_back(std::move(route));
    }
    return table;
  }
  return std::nullopt;
}

}  // namespace aviary::sandbox::traffic
