// Istio VirtualService (networking.istio.io) → RouteTable: http[] routes in order, match on uri, method and
// headers, weighted route[].destination (host + DestinationRule subset), mirror + mirrorPercentage.
#include <algorithm>

#include "sandbox/traffic/routing/mesh_routing.h"

namespace aviary::sandbox::traffic {
namespace {

std::optional<StringMatch> istioStringMatch(const Json& m) {
  if (!m.is_object()) return std::nullopt;
  if (m.contains("exact")) return StringMatch::exact(m.value("exact", ""));
  if (m.contains("prefix")) return StringMatch::prefix(m.value("prefix", ""));
  if (m.contains("regex")) return StringMatch::regexOf(m.value("regex", ""));
  return StringMatch::present();
}

bool boundToMesh(const Json& spec) {
  const Json gateways = spec.value("gateways", Json::array());
  if (!gateways.is_array() || gateways.empty()) return true;
  return std::any_of(gateways.begin(), gateways.end(), [](const Json& g) { return g == "mesh"; });
}

bool hostsInclude(const Json& spec, const std::string& vsNs, const ServiceInfo& service) {
  for (const auto& h : spec.value("hosts", Json::array())) {
    if (!h.is_string()) continue;
    std::string host = h.get<std::string>();
    if (host == "*") return true;
    if (host.rfind("*.", 0) == 0) {
      std::string fqdn = service.fqdn();
      std::string suffix = host.substr(1);
      if (fqdn.size() > suffix.size() &&
          fqdn.compare(fqdn.size() - suffix.size(), suffix.size(), suffix) == 0)
        return true;
      continue;
    }
    auto resolved = resolveServiceHost(host, vsNs);
    if (resolved && resolved->first == service.ns && resolved->second == service.name) return true;
  }
  return false;
}

Labels subsetLabels(const ClusterView& view, const std::string& ns, const std::string& name,
                    const std::string& subset) {
  if (subset.empty()) return {};
  for (const auto& [drName, dr] : view.meshObjects(MeshResource::IstioDestinationRule, ns)) {
    const Json spec = dr.value("spec", Json::object());
    auto host = resolveServiceHost(spec.value("host", ""), ns);
    if (!host || host->first != ns || host->second != name) continue;
    for (const auto& s : spec.value("subsets", Json::array())) {
      if (s.value("name", "") != subset) continue;
      Labels labels;
      const Json labelsJson = s.value("labels", Json::object());
      for (const auto& [k, v] : labelsJson.items()) {
        if (v.is_string()) labels[k] = v.get<std::string>();
      }
      return labels;
    }
  }
  return {{"sandbox.aviary.io/unknown-subset", subset}};  // an undefined subset has no endpoints
}

Destination istioDestination(const ClusterView& view, const Json& destination, const std::string& vsNs,
                             RouteTable& table) {
  auto host = resolveServiceHost(destination.value("host", ""), vsNs);
  if (!host) return Destination{{}, Telemetry::Istio, "", destination.value("host", ""), ""};
  table.namespaces.insert(host->first);
  return serviceDestination(view, host->first, host->second,
                            subsetLabels(view, host->first, host->second, destination.value("subset", "")),
                            Telemetry::Istio);
}

// The Set-Cookie values of an Istio Headers object (headers.response.set and .add).
std::vector<std::string> istioSetCookies(const Json& headers) {
  std::vector<std::string> out;
  if (!headers.is_object()) return out;
  const Json response = headers.value("response", Json::object());
  if (!response.is_object()) return out;
  for (const char* operation : {"set", "add"}) {
    const Json values = response.value(operation, Json::object());
    if (!values.is_object()) continue;
    for (const auto& [name, value] : values.items()) {
      std::string lower = name;
      std::transform(lower.begin(), lower.end(), lower.begin(), ::tolower);
      if (lower == "set-cookie" && value.is_string()) out.push_back(value.get<std::string>());
    }
  }
  return out;
}

}  // namespace

std::optional<RouteTable> istioRoutes(const ClusterView& view, const ServiceInfo& service) {
  for (const auto& [name, vs] : view.meshObjects(MeshResource::IstioVirtualService, service.ns)) {
    const Json spec = vs.value("spec", Json::object());
    if (!boundToMesh(spec) || !hostsInclude(spec, service.ns, service)) continue;
    RouteTable table;
    table.source = "VirtualService " + service.ns + "/" + name;
    for (const auto& http : spec.value("http", Json::array())) {
      Route route;
      for (const auto& m : http.value("match", Json::array())) {
        RequestMatch match;
        if (m.contains("uri")) match.path = istioStringMatch(m["uri"]);
        if (m.contains("method")) {
          if (auto method = istioStringMatch(m["method"])) match.method = method->value;
        }
        const Json headers = m.value("headers", Json::object());
        for (const auto& [header, condition] : headers.items()) {
          std::string lower = header;
          std::transform(lower.begin(), lower.end(), lower.begin(), ::tolower);
          if (auto sm = istioStringMatch(condition)) match.headers.push_back({lower, *sm});
        }
        const Json withoutHeaders = m.value("withoutHeaders", Json::object());
        for (const auto& [header, condition] : withoutHeaders.items()) {
          std::string lower = header;
          std::transform(lower.begin(), lower.end(), lower.begin(), ::tolower);
          if (auto sm = istioStringMatch(condition)) {
            sm->invert = true;
            match.headers.push_back({lower, *sm});
          }
        }
        route.matches.push_back(std::move(match));
      }
      const Json destinations = http.value("route", Json::array());
      const std::vector<std::string> routeCookies = istioSetCookies(http.value("headers", Json()));
      for (const auto& d : destinations) {
        // A lone destination takes all traffic; otherwise an absent weight is 0.
        double weight = d.value("weight", destinations.size() == 1 ? 100 : 0);
        WeightedDestination weighted{
            weight, istioDestination(view, d.value("destination", Json::object()), service.ns, table),
            istioSetCookies(d.value("headers", Json()))};
        weighted.setCookies.insert(weighted.setCookies.end(), routeCookies.begin(), routeCookies.end());
        route.destinations.push_back(std::move(weighted));
      }
      if (http.contains("mirror") && http["mirror"].is_object()) {
        route.mirror = istioDestination(view, http["mirror"], service.ns, table);
        route.mirrorPercent = http.contains("mirrorPercentage") ? http["mirrorPercentage"].value("value", 0.0)
                                                                : http.value("mirrorPercent", 100.0);
      }
      table.routes.push_back(std::move(route));
    }
    return table;
  }
  return std::nullopt;
}

}  // namespace aviary::sandbox::traffic
