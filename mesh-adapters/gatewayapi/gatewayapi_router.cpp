#include "mesh-adapters/gatewayapi/gatewayapi_router.h"

#include "mesh-adapters/common/app_metric_queries.h"
#include "mesh-adapters/common/owned_metadata.h"
#include "mesh-adapters/common/request_match.h"
#include "mesh-adapters/common/session_cookie.h"

namespace aviary::mesh::gatewayapi {
namespace {

using kube::Json;

const kube::ManagedFields kHttpRouteFields{{"parentRefs", "hostnames", "rules"}};

// An HTTPRouteMatch (Gateway API v1) for one condition.
Json routeMatch(const RequestCondition& c) {
  Json m = Json::object();
  if (c.uri) {
    using K = StringCondition::Kind;
    if (c.uri->kind == K::Exact) {
      m["path"] = {{"type", "Exact"}, {"value", c.uri->value}};
    } else if (c.uri->kind == K::Prefix) {
      m["path"] = {{"type", "PathPrefix"}, {"value", c.uri->value}};
    } else {
      m["path"] = {{"type", "RegularExpression"}, {"value", asRegex(*c.uri)}};
    }
  }
  if (c.method) m["method"] = *c.method;
  for (const auto& [name, condition] : c.headers) {
    if (!m.contains("headers")) m["headers"] = Json::array();
    if (condition.kind == StringCondition::Kind::Exact) {
      m["headers"].push_back({{"type", "Exact"}, {"name", name}, {"value", condition.value}});
    } else {
      m["headers"].push_back({{"type", "RegularExpression"}, {"name", name}, {"value", asRegex(condition)}});
    }
  }
  return m;
}

Result<Json> routeMatches(const Json& istioShape) {
  auto conditions = parseRequestMatches(istioShape);
  if (!conditions) return conditions.error();
  Json out = Json::array();
  for (const auto& c : *conditions) out.push_back(routeMatch(c));
  return out;
}

Json backendRef(const api::Canary& c, const std::string& service, int weight) {
  return {{"group", ""},
          {"kind", "Service"},
          {"name", service},
          {"port", c.spec.service.port},
          {"weight", weight}};
}

// A backendRef whose responses set a cookie (HTTPBackendRef filters, ResponseHeaderModifier).
Json settingCookie(Json ref, const std::string& setCookie) {
  ref["filters"] = Json::array(
      {{{"type", "ResponseHeaderModifier"},
        {"responseHeaderModifier", {{"add", {{{"name", "Set-Cookie"}, {"value", setCookie}}}}}}}});
  return ref;
}

std::string setCookieOf(const Json& ref) {
  for (const auto& filter : ref.value("filters", Json::array())) {
    if (filter.value("type", "") != "ResponseHeaderModifier") continue;
    for (const auto& header : filter.value("/responseHeaderModifier/add"_json_pointer, Json::array())) {
      if (header.value("name", "") == "Set-Cookie") return header.value("value", "");
    }
  }
  return "";
}

}  // namespace

Result<Json> GatewayApiRouter::httpRoute(const api::Canary& c, const TrafficIntent& intent) {
  const api::ServiceSpec& s = c.spec.service;
  Json parents = s.gatewayRefs;
  if (!parents.is_array() || parents.empty()) {
    // GAMMA: the route governs requests to the apex Service inside the mesh.
    parents = Json::array({{{"group", ""}, {"kind", "Service"}, {"name", c.apexName()}, {"port", s.port}}});
  }
  auto serviceMatches = routeMatches(s.match);
  if (!serviceMatches) return Error{ErrorCode::Invalid, "spec.service." + serviceMatches.error().message};
  Json rules = Json::array();
  auto options = [&](Json rule) {
    if (!serviceMatches->empty()) rule["matches"] = *serviceMatches;
    if (!s.timeout.empty()) rule["timeouts"] = {{"request", s.timeout}};
    return rule;
  };
  // A rule for the requests matching `conditions` (HTTPRouteMatches), each within the Service's own
  // matches (Gateway API ORs a rule's matches), all to `to`.
  auto matchedRule = [&](const Json& conditions, Json to) {
    Json rule = options({{"backendRefs", Json::array({std::move(to)})}});
    Json matches = Json::array();
    for (const auto& condition : conditions) {
      if (serviceMatches->empty()) {
        matches.push_back(condition);
        continue;
      }
      for (const auto& outer : *serviceMatches) {
        Json both = outer;
        if (condition.contains("headers")) {
          Json headers = both.value("headers", Json::array());
          for (const auto& h : condition["headers"]) headers.push_back(h);
          both.update(condition);
          both["headers"] = headers;
        } else {
          both.update(condition);
        }
        matches.push_back(both);
      }
    }
    rule["matches"] = matches;
    rules.push_back(rule);
  };
  if (intent.matchToCanary) {
    auto ab = routeMatches(c.spec.analysis.match);
    if (!ab) return Error{ErrorCode::Invalid, "spec.analysis." + ab.error().message};
    matchedRule(*ab, backendRef(c, c.canaryServiceName(), 100));
  }
  // Session affinity: requests carrying a side's cookie stay on that side; a past run's cookie goes to
  // the primary, which removes it.
  Json primaryTo = backendRef(c, c.primaryServiceName(), intent.primaryWeight);
  Json canaryTo = backendRef(c, c.canaryServiceName(), intent.canaryWeight);
  auto cookieMatch = [](const std::string& cookie) {
    return Json::array({{{"headers", Json::array({{{"type", "RegularExpression"},
                                                   {"name", "Cookie"},
                                                   {"value", cookieHeaderPattern(cookie)}}})}}});
  };
  if (const auto& sa = c.spec.analysis.sessionAffinity) {
    if (!intent.canaryCookie.empty()) {
      matchedRule(cookieMatch(intent.canaryCookie), backendRef(c, c.canaryServiceName(), 100));
      canaryTo = settingCookie(canaryTo, setCookieValue(*sa, intent.canaryCookie, sa->maxAgeSeconds));
    }
    if (!intent.primaryCookie.empty()) {
      const long long interval =
          std::chrono::duration_cast<std::chrono::seconds>(c.spec.analysis.interval).count();
      matchedRule(cookieMatch(intent.primaryCookie), backendRef(c, c.primaryServiceName(), 100));
      primaryTo = settingCookie(primaryTo, setCookieValue(*sa, intent.primaryCookie, interval));
    }
    if (!intent.expiredCookie.empty()) {
      matchedRule(cookieMatch(intent.expiredCookie),
                  settingCookie(backendRef(c, c.primaryServiceName(), 100),
                                setCookieValue(*sa, intent.expiredCookie, 0)));
    }
  }
  Json weighted = options({{"backendRefs", Json::array({primaryTo, canaryTo})}});
  if (intent.mirrorPercent > 0) {
    Json mirrorRef = {{"group", ""}, {"kind", "Service"}, {"name", c.canaryServiceName()}, {"port", s.port}};
    weighted["filters"] =
        Json::array({{{"type", "RequestMirror"},
                      {"requestMirror", {{"backendRef", mirrorRef}, {"percent", intent.mirrorPercent}}}}});
  }
  rules.push_back(weighted);
  Json spec = {{"parentRefs", parents}, {"rules", rules}};
  if (!s.hosts.empty()) spec["hostnames"] = s.hosts;
  return ownedObject(kHttpRoutes, c, c.apexName(), spec, s.apex);
}

Status GatewayApiRouter::writeRoutes(const api::Canary& c, const PodSelector&, const TrafficIntent& intent) {
  auto desired = httpRoute(c, intent);
  if (!desired) return desired.error();
  if (auto r = kube::syncObject(client_, kHttpRoutes, c.ns, *desired, kHttpRouteFields); !r) return r.error();
  return {};
}

Result<TrafficIntent> GatewayApiRouter::readRoutes(const api::Canary& c) {
  auto route = client_.get(kHttpRoutes, c.ns, c.apexName());
  if (!route) return route.error();
  TrafficIntent t{0, 0};
  for (const auto& rule : route->value("/spec/rules"_json_pointer, Json::array())) {
    const Json refs = rule.value("backendRefs", Json::array());
    if (refs.size() == 1) {
      // A matched rule: A/B (matched requests to the canary), or session affinity's (a side's cookie to
      // that side; the expired cookie's, to the primary, is the one that removes a cookie).
      const std::string setCookie = setCookieOf(refs[0]);
      if (refs[0].value("name", "") == c.primaryServiceName() && expiresCookie(setCookie))
        t.expiredCookie = cookieSetBy(setCookie);
      if (refs[0].value("name", "") == c.canaryServiceName() && rule.contains("matches") &&
          !c.spec.analysis.sessionAffinity)
        t.matchToCanary = true;
      continue;
    }
    for (const auto& ref : refs) {
      if (ref.value("name", "") == c.primaryServiceName()) {
        t.primaryWeight = ref.value("weight", 1);
        t.primaryCookie = cookieSetBy(setCookieOf(ref));
      }
      if (ref.value("name", "") == c.canaryServiceName()) {
        t.canaryWeight = ref.value("weight", 1);
        t.canaryCookie = cookieSetBy(setCookieOf(ref));
      }
    }
    for (const auto& filter : rule.value("filters", Json::array())) {
      if (filter.value("type", "") == "RequestMirror" &&
          filter.value("/requestMirror/backendRef/name"_json_pointer, std::string()) == c.canaryServiceName())
        t.mirrorPercent = filter.value("/requestMirror/percent"_json_pointer, 100);
    }
    break;
  }
  return t;
}

Result<bool> GatewayApiRouter::releaseRoutes(const api::Canary& c) {
  return releaseObjects(c, {{&kHttpRoutes, c.apexName()}});
}

ProviderDescriptor descriptor() {
  ProviderDescriptor d;
  d.name = "gatewayapi";
  d.factory = [](RouterContext& context) { return std::make_unique<GatewayApiRouter>(context); };
  d.ownedTypes = {kHttpRoutes};
  d.capabilities.weighted = true;
  d.capabilities.mirroring = true;
  d.capabilities.headerMatch = true;
  d.capabilities.sessionAffinity = true;
  // The implementations' own metrics differ (Envoy, Linkerd, Cilium…): the application's are the common
  // ground; a MetricTemplate reads the implementation's.
  d.builtInQueries = appMetricQueries();
  d.counterQueries = appMetricCounters();
  return d;
}

}  // namespace aviary::mesh::gatewayapi
