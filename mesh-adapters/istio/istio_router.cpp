#include "mesh-adapters/istio/istio_router.h"

#include "mesh-adapters/common/owned_metadata.h"
#include "mesh-adapters/common/session_cookie.h"

namespace aviary::mesh::istio {
namespace {

using kube::Json;

// The VirtualService fields Aviary owns; anything else a user put in spec (exportTo, tcp, tls…) stays.
const kube::ManagedFields kVirtualServiceFields{{"hosts", "gateways", "http"}};
const kube::ManagedFields kDestinationRuleFields{{"host", "trafficPolicy"}};

Json destination(const std::string& host, int weight) {
  return {{"destination", {{"host", host}}}, {"weight", weight}};
}

// A destination whose responses set a cookie (Istio HTTPRouteDestination.headers.response.add).
Json settingCookie(Json destination, const std::string& setCookie) {
  destination["headers"] = {{"response", {{"add", {{"Set-Cookie", setCookie}}}}}};
  return destination;
}

std::string setCookieOf(const Json& destination) {
  return destination.value("/headers/response/add/Set-Cookie"_json_pointer, std::string());
}

// `conditions` (HTTPMatchRequests) each within every spec.service.match condition, when there are some.
Json withinServiceMatch(const Json& serviceMatch, const Json& conditions) {
  Json match = Json::array();
  for (const auto& condition : conditions) {
    if (!serviceMatch.is_array() || serviceMatch.empty()) {
      match.push_back(condition);
      continue;
    }
    for (const auto& outer : serviceMatch) {
      Json both = outer;
      if (both.is_object() && condition.is_object()) {
        for (const auto& [field, value] : condition.items()) {
          // Maps keyed by header, parameter or label name hold one requirement per key: both sets apply.
          // Any other field (uri, method, port…) is one StringMatch or value: the condition's own wins.
          const bool keyed = field == "headers" || field == "withoutHeaders" || field == "queryParams" ||
                             field == "sourceLabels";
          if (keyed && value.is_object() && both.contains(field) && both[field].is_object()) {
            both[field].update(value);
          } else {
            both[field] = value;
          }
        }
      }
      match.push_back(both);
    }
  }
  return match;
}

Json cookieMatch(const std::string& cookie) {
  return Json::array({{{"headers", {{"cookie", {{"regex", cookieHeaderPattern(cookie)}}}}}}});
}

// The route options the user set in spec.service, on every route Aviary writes.
void addRouteOptions(const api::ServiceSpec& s, Json& route) {
  if (!s.rewrite.is_null()) {
    route["rewrite"] = s.rewrite;
    // Flagger's rewrite.type is for Gateway API; Istio has no such field.
    if (route["rewrite"].is_object()) route["rewrite"].erase("type");
  }
  if (!s.retries.is_null()) route["retries"] = s.retries;
  if (!s.headers.is_null()) route["headers"] = s.headers;
  if (!s.corsPolicy.is_null()) route["corsPolicy"] = s.corsPolicy;
  if (!s.timeout.empty()) route["timeout"] = s.timeout;
}

}  // namespace

Json IstioRouter::virtualService(const api::Canary& c, const TrafficIntent& intent) {
  const api::ServiceSpec& s = c.spec.service;
  Json hosts = Json::array({c.apexName()});
  for (const auto& h : s.hosts) {
    if (h != c.apexName()) hosts.push_back(h);
  }
  Json http = Json::array();
  // A route for the requests matching `conditions` (within service.match), all to `host`.
  auto matchedRoute = [&](const Json& conditions, Json to) {
    Json r = {{"match", withinServiceMatch(s.match, conditions)}, {"route", Json::array({std::move(to)})}};
    addRouteOptions(s, r);
    http.push_back(r);
  };
  // A/B: requests matching any analysis.match condition reach the canary whatever the weights.
  if (intent.matchToCanary && c.spec.analysis.match.is_array())
    matchedRoute(c.spec.analysis.match, destination(c.canaryServiceName(), 100));
  // Session affinity: requests carrying a side's cookie stay on that side; a past run's cookie goes to
  // the primary, which removes it.
  Json primaryTo = destination(c.primaryServiceName(), intent.primaryWeight);
  Json canaryTo = destination(c.canaryServiceName(), intent.canaryWeight);
  if (const auto& sa = c.spec.analysis.sessionAffinity) {
    if (!intent.canaryCookie.empty()) {
      matchedRoute(cookieMatch(intent.canaryCookie), destination(c.canaryServiceName(), 100));
      canaryTo = settingCookie(canaryTo, setCookieValue(*sa, intent.canaryCookie, sa->maxAgeSeconds));
    }
    if (!intent.primaryCookie.empty()) {
      const long long interval =
          std::chrono::duration_cast<std::chrono::seconds>(c.spec.analysis.interval).count();
      matchedRoute(cookieMatch(intent.primaryCookie), destination(c.primaryServiceName(), 100));
      primaryTo = settingCookie(primaryTo, setCookieValue(*sa, intent.primaryCookie, interval));
    }
    if (!intent.expiredCookie.empty()) {
      matchedRoute(cookieMatch(intent.expiredCookie),
                   settingCookie(destination(c.primaryServiceName(), 100),
                                 setCookieValue(*sa, intent.expiredCookie, 0)));
    }
  }
  Json route = {{"route", Json::array({primaryTo, canaryTo})}};
  if (!s.match.is_null()) route["match"] = s.match;
  if (intent.mirrorPercent > 0) {
    route["mirror"] = {{"host", c.canaryServiceName()}};
    route["mirrorPercentage"] = {{"value", intent.mirrorPercent}};
  }
  addRouteOptions(s, route);
  http.push_back(route);
  Json spec = {{"http", http}};
  // A delegate VirtualService (spec.service.delegation) is reached only through the VirtualService that
  // delegates to it, so it has neither hosts nor gateways (Istio refuses a delegate that has them).
  if (!s.delegation) {
    spec["hosts"] = hosts;
    if (!s.gateways.empty()) spec["gateways"] = s.gateways;
  }
  return ownedObject(kVirtualServices, c, c.apexName(), spec, s.apex);
}

Json IstioRouter::destinationRule(const api::Canary& c, const std::string& host) {
  Json spec = {{"host", host}};
  if (!c.spec.service.trafficPolicy.is_null()) spec["trafficPolicy"] = c.spec.service.trafficPolicy;
  return ownedObject(kDestinationRules, c, host, spec);
}

Status IstioRouter::writeRoutes(const api::Canary& c, const PodSelector&, const TrafficIntent& intent) {
  for (const auto& host : {c.primaryServiceName(), c.canaryServiceName()}) {
    if (auto r = kube::syncObject(client_, kDestinationRules, c.ns, destinationRule(c, host),
                                  kDestinationRuleFields);
        !r) {
      return r.error();
    }
  }
  auto vs =
      kube::syncObject(client_, kVirtualServices, c.ns, virtualService(c, intent), kVirtualServiceFields);
  if (!vs) return vs.error();
  return {};
}

Result<TrafficIntent> IstioRouter::readRoutes(const api::Canary& c) {
  auto vs = client_.get(kVirtualServices, c.ns, c.apexName());
  if (!vs) return vs.error();
  TrafficIntent t{0, 0};
  for (const auto& http : vs->value("/spec/http"_json_pointer, Json::array())) {
    const Json routes = http.value("route", Json::array());
    auto hostOf = [](const Json& r) { return r.value("/destination/host"_json_pointer, std::string()); };
    if (routes.size() == 1) {
      // A matched route: A/B (matched requests to the canary), or session affinity's (a side's cookie to
      // that side; the expired cookie's, to the primary, is the one that removes a cookie).
      const std::string setCookie = setCookieOf(routes[0]);
      if (hostOf(routes[0]) == c.primaryServiceName() && expiresCookie(setCookie))
        t.expiredCookie = cookieSetBy(setCookie);
      if (http.contains("match") && hostOf(routes[0]) == c.canaryServiceName() &&
          !c.spec.analysis.sessionAffinity)
        t.matchToCanary = true;
      continue;
    }
    for (const auto& r : routes) {
      const std::string host = hostOf(r);
      if (host == c.primaryServiceName()) {
        t.primaryWeight = r.value("weight", 0);
        t.primaryCookie = cookieSetBy(setCookieOf(r));
      }
      if (host == c.canaryServiceName()) {
        t.canaryWeight = r.value("weight", 0);
        t.canaryCookie = cookieSetBy(setCookieOf(r));
      }
    }
    if (http.value("/mirror/host"_json_pointer, std::string()) == c.canaryServiceName())
      t.mirrorPercent = static_cast<int>(http.value("/mirrorPercentage/value"_json_pointer, 100.0));
    break;  // the weighted route is the last one Aviary writes
  }
  return t;
}

Result<bool> IstioRouter::releaseRoutes(const api::Canary& c) {
  return releaseObjects(c, {{&kVirtualServices, c.apexName()},
                         {&kDestinationRules, c.primaryServiceName()},
                         {&kDestinationRules, c.canaryServiceName()}});
}

ProviderDescriptor descriptor() {
  ProviderDescriptor d;
  d.name = "istio";
  d.factory = [](RouterContext& context) { return std::make_unique<IstioRouter>(context); };
  d.ownedTypes = {kVirtualServices, kDestinationRules};
  d.capabilities.weighted = true;
  d.capabilities.mirroring = true;
  d.capabilities.headerMatch = true;
  d.capabilities.sessionAffinity = true;
  // Istio's reporter="destination" series, as Flagger's built-ins read them.
  d.builtInQueries = {
      {"request-success-rate",
       "sum(rate(istio_requests_total{reporter=\"destination\",destination_workload_namespace=\"{{ namespace "
       "}}\","
       "destination_workload=~\"{{ target }}\",response_code!~\"5.*\"}[{{ interval }}])) / "
       "sum(rate(istio_requests_total{reporter=\"destination\",destination_workload_namespace=\"{{ namespace "
       "}}\","
       "destination_workload=~\"{{ target }}\"}[{{ interval }}])) * 100"},
      {"request-duration",
       "histogram_quantile(0.99, "
       "sum(rate(istio_request_duration_milliseconds_bucket{reporter=\"destination\","
       "destination_workload_namespace=\"{{ namespace }}\",destination_workload=~\"{{ target }}\"}"
       "[{{ interval }}])) by (le))"},
  };
  const std::string arm =
      "reporter=\"destination\",destination_workload_namespace=\"{{ namespace }}\","
      "destination_workload=\"{{ workload }}\"";
  d.counterQueries = analysis::CounterQueryTemplates{
      "sum(istio_requests_total{" + arm + "})",
      "sum(istio_requests_total{" + arm + ",response_code=~\"5..\"})",
      "sum(istio_request_duration_milliseconds_count{" + arm +
          "}) - sum(istio_request_duration_milliseconds_bucket{" + arm + ",le=~\"{{ le }}\"})",
      1};
  return d;
}

}  // namespace aviary::mesh::istio
