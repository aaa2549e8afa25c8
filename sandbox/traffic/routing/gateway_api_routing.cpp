// Gateway API HTTPRoute (gateway.networking.k8s.io/v1) → RouteTable: every (rule, match) pair ordered by
// the specification's precedence (exact path, longer path, method, more headers, then document order),
// backendRefs by weight, and the RequestMirror filter.
#include <algorithm>

#include "sandbox/traffic/routing/mesh_routing.h"

namespace aviary::sandbox::traffic {
namespace {

bool attachedTo(const Json& route, const std::string& routeName, const std::string& routeNs,
                const ServiceInfo& service) {
  const Json spec = route.value("spec", Json::object());
  for (const auto& parent : spec.value("parentRefs", Json::array())) {
    if (parent.value("kind", "") == "Service" && parent.value("name", "") == service.name &&
        parent.value("namespace", routeNs) == service.ns)
      return true;
  }
  for (const auto& h : spec.value("hostnames", Json::array())) {
    auto resolved = h.is_string() ? resolveServiceHost(h.get<std::string>(), routeNs) : std::nullopt;
    if (resolved && resolved->first == service.ns && resolved->second == service.name) return true;
  }
  return routeName == service.name;
}

Destination backendDestination(const ClusterView& view, const Json& ref, const std::string& routeNs,
                               RouteTable& table) {
  std::string ns = ref.value("namespace", routeNs);
  table.namespaces.insert(ns);
  if (ref.value("kind", "Service") != "Service")
    return Destination{{}, Telemetry::None, ns, ref.value("name", ""), ""};
  return serviceDestination(view, ns, ref.value("name", ""), {}, Telemetry::None);
}

// The Set-Cookie values of ResponseHeaderModifier filters (set and add).
void gatewaySetCookies(const Json& filters, std::vector<std::string>& out) {
  if (!filters.is_array()) return;
  for (const auto& filter : filters) {
    if (filter.value("type", "") != "ResponseHeaderModifier") continue;
    const Json modifier = filter.value("responseHeaderModifier", Json::object());
    for (const char* operation : {"set", "add"}) {
      for (const auto& header : modifier.value(operation, Json::array())) {
        std::string name = header.value("name", "");
        std::transform(name.begin(), name.end(), name.begin(), ::tolower);
        if (name == "set-cookie") out.push_back(header.value("value", ""));
      }
    }
  }
}

struct Candidate {
  RequestMatch match;
  bool exactPath = false;
  std::size_t pathLength = 0;
  std::size_t order = 0;
  const Json* rule = nullptr;
};

}  // namespace

std::optional<RouteTable> gatewayApiRoutes(const ClusterView& view, const ServiceInfo& service) {
  for (const auto& [name, httpRoute] : view.meshObjects(MeshResource::HttpRoute, service.ns)) {
    if (!attachedTo(httpRoute, name, service.ns, service)) continue;
    RouteTable table;
    table.source = "HTTPRoute " + service.ns + "/" + name;
    std::vector<Candidate> candidates;
    const Json rules = httpRoute.value("/spec/rules"_json_pointer, Json::array());
    for (const auto& rule : rules) {
      Json matches = rule.value("matches", Json::array());
      if (matches.empty()) matches.push_back(Json::object());  // no matches: a prefix match on "/"
      for (const auto& m : matches) {
        Candidate c;
        c.rule = &rule;
        c.order = candidates.size();
        const Json path = m.value("path", Json{{"type", "PathPrefix"}, {"value", "/"}});
        std::string type = path.value("type", "PathPrefix"), value = path.value("value", "/");
        c.exactPath = type == "Exact";
        c.pathLength = value.size();
        c.match.path = type == "Exact"               ? StringMatch::exact(value)
                       : type == "RegularExpression" ? StringMatch::regexOf(value)
                                                     : StringMatch::prefix(value);
        if (m.contains("method")) c.match.method = m.value("method", "GET");
        for (const auto& h : m.value("headers", Json::array())) {
          std::string header = h.value("name", "");
          std::transform(header.begin(), header.end(), header.begin(), ::tolower);
          c.match.headers.push_back({header, h.value("type", "Exact") == "RegularExpression"
                                                 ? StringMatch::regexOf(h.value("value", ""))
                                                 : StringMatch::exact(h.value("value", ""))});
        }
        candidates.push_back(std::move(c));
      }
    }
    std::stable_sort(candidates.begin(), candidates.end(), [](const Candidate& a, const Candidate& b) {
      if (a.exactPath != b.exactPath) return a.exactPath;
      if (a.pathLength != b.pathLength) return a.pathLength > b.pathLength;
      if (a.match.method.has_value() != b.match.method.has_value()) return a.match.method.has_value();
      return a.match.headers.size() > b.match.headers.size();
    });
    for (auto& c : candidates) {
      Route route;
      route.matches.push_back(std::move(c.match));
      std::vector<std::string> ruleCookies;
      gatewaySetCookies(c.rule->value("filters", Json::array()), ruleCookies);
      for (const auto& ref : c.rule->value("backendRefs", Json::array())) {
        WeightedDestination weighted{ref.value("weight", 1.0),
                                     backendDestination(view, ref, service.ns, table)};
        gatewaySetCookies(ref.value("filters", Json::array()), weighted.setCookies);
        weighted.setCookies.insert(weighted.setCookies.end(), ruleCookies.begin(), ruleCookies.end());
        route.destinations.push_back(std::move(weighted));
      }
      for (const auto& filter : c.rule->value("filters", Json::array())) {
        if (filter.value("type", "") != "RequestMirror") continue;
        const Json mirror = filter.value("requestMirror", Json::object());
        route.mirror =
            backendDestination(view, mirror.value("backendRef", Json::object()), service.ns, table);
        route.mirrorPercent = mirror.value("percent", 100.0);
        if (mirror.contains("fraction")) {
          const Json& f = mirror["fraction"];
          route.mirrorPercent = 100.0 * f.value("numerator", 0.0) / f.value("denominator", 100.0);
        }
      }
      table.routes.push_back(std::move(route));
    }
    return table;
  }
  return std::nullopt;
}

}  // namespace aviary::sandbox::traffic
