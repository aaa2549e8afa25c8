#include "mesh-adapters/appmesh/appmesh_router.h"

#include "mesh-adapters/common/owned_metadata.h"
#include "mesh-adapters/common/request_match.h"
#include "operator/core/duration.h"

namespace aviary::mesh::appmesh {
namespace {

using kube::Json;

const kube::ManagedFields kVirtualNodeFields{
    {"awsName", "meshRef", "podSelector", "listeners", "serviceDiscovery", "backends"}};
const kube::ManagedFields kVirtualRouterFields{{"awsName", "meshRef", "listeners", "routes"}};
const kube::ManagedFields kVirtualServiceFields{{"awsName", "meshRef", "provider"}};

// The main route's priority; A/B routes come before it (lower wins).
constexpr int kWeightedPriority = 10;

std::string fqdn(const api::Canary& c, const std::string& service) {
  return service + "." + c.ns + ".svc.cluster.local";
}

void addMeshRef(const api::Canary& c, Json& spec) {
  if (!c.spec.service.meshName.empty()) spec["meshRef"] = {{"name", c.spec.service.meshName}};
}

Json portMapping(const api::Canary& c) {
  return {{"portMapping", {{"port", c.spec.service.port}, {"protocol", "http"}}}};
}

Json target(const std::string& node, int weight) {
  return {{"virtualNodeRef", {{"name", node}}}, {"weight", weight}};
}

Json headerMatch(const std::string& name, const StringCondition& c) {
  static const char* kKeys[] = {"exact", "prefix", "suffix", "regex"};
  return {{"name", name}, {"match", {{kKeys[static_cast<int>(c.kind)], c.value}}}};
}

// An App Mesh HTTP route match for one condition (the default: every path).
Json routeMatch(const std::optional<RequestCondition>& c) {
  Json m = {{"prefix", "/"}};
  if (!c) return m;
  if (c->uri) {
    using K = StringCondition::Kind;
    if (c->uri->kind == K::Prefix) {
      m["prefix"] = c->uri->value;
    } else {
      m.erase("prefix");
      m["path"] = {{c->uri->kind == K::Exact ? "exact" : "regex",
                    c->uri->kind == K::Exact ? c->uri->value : asRegex(*c->uri)}};
    }
  }
  if (c->method) m["method"] = *c->method;
  for (const auto& [name, condition] : c->headers) {
    if (!m.contains("headers")) m["headers"] = Json::array();
    m["headers"].push_back(headerMatch(name, condition));
  }
  return m;
}

// spec.service.retries ({attempts, perTryTimeout}) and timeout as App Mesh's retryPolicy and timeout.
Result<Json> routeOptions(const api::ServiceSpec& s) {
  Json options = Json::object();
  auto millis = [](const std::string& text, const char* field) -> Result<Json> {
    auto d = parseDuration(text);
    if (!d) return Error{ErrorCode::Invalid, std::string("spec.service.") + field + ": not a duration"};
    return Json{{"unit", "ms"}, {"value", d->count()}};
  };
  if (s.retries.is_object()) {
    Json policy = {{"maxRetries", s.retries.value("attempts", 1)},
                   {"httpRetryEvents", Json::array({"server-error", "gateway-error"})},
                   {"tcpRetryEvents", Json::array({"connection-error"})}};
    auto perTry = millis(s.retries.value("perTryTimeout", "15s"), "retries.perTryTimeout");
    if (!perTry) return perTry.error();
    policy["perRetryTimeout"] = *perTry;
    options["retryPolicy"] = policy;
  }
  if (!s.timeout.empty()) {
    auto perRequest = millis(s.timeout, "timeout");
    if (!perRequest) return perRequest.error();
    options["timeout"] = {{"perRequest", *perRequest}};
  }
  return options;
}

Json virtualService(const api::Canary& c, const std::string& name, Json provider) {
  Json spec = {{"awsName", fqdn(c, name)}, {"provider", std::move(provider)}};
  addMeshRef(c, spec);
  return ownedObject(kVirtualServices, c, name, spec);
}

}  // namespace

Json AppMeshRouter::virtualNode(const api::Canary& c, const std::string& name, const std::string& podLabelKey,
                                const std::string& podLabelValue) {
  Json spec = {{"awsName", name + "-" + c.ns},
               {"podSelector", {{"matchLabels", {{podLabelKey, podLabelValue}}}}},
               {"listeners", Json::array({portMapping(c)})},
               {"serviceDiscovery", {{"dns", {{"hostname", fqdn(c, name)}}}}}};
  Json backends = Json::array();
  for (const auto& b : c.spec.service.backends) {
    if (b.rfind("arn:", 0) == 0) {
      backends.push_back({{"virtualService", {{"virtualServiceARN", b}}}});
    } else {
      backends.push_back({{"virtualService", {{"virtualServiceRef", {{"name", b}}}}}});
    }
  }
  if (!backends.empty()) spec["backends"] = backends;
  addMeshRef(c, spec);
  return ownedObject(kVirtualNodes, c, name, spec);
}

Result<Json> AppMeshRouter::virtualRouter(const api::Canary& c, const TrafficIntent& intent) {
  auto options = routeOptions(c.spec.service);
  if (!options) return options.error();
  Json routes = Json::array();
  if (intent.matchToCanary) {
    auto conditions = parseRequestMatches(c.spec.analysis.match);
    if (!conditions) return Error{ErrorCode::Invalid, "spec.analysis." + conditions.error().message};
    for (std::size_t i = 0; i < conditions->size(); ++i) {
      Json http = {{"match", routeMatch((*conditions)[i])},
                   {"action", {{"weightedTargets", Json::array({target(c.canaryServiceName(), 100)})}}}};
      http.update(*options);
      routes.push_back({{"name", c.apexName() + "-ab-" + std::to_string(i)},
                        {"priority", static_cast<int>(i)},
                        {"httpRoute", http}});
    }
  }
  Json http = {{"match", routeMatch(std::nullopt)},
               {"action",
                {{"weightedTargets", Json::array({target(c.primaryServiceName(), intent.primaryWeight),
                                                  target(c.canaryServiceName(), intent.canaryWeight)})}}}};
  http.update(*options);
  routes.push_back({{"name", c.apexName() + "-route"}, {"priority", kWeightedPriority}, {"httpRoute", http}});
  Json spec = {{"awsName", c.apexName() + "-" + c.ns},
               {"listeners", Json::array({portMapping(c)})},
               {"routes", routes}};
  addMeshRef(c, spec);
  return ownedObject(kVirtualRouters, c, c.apexName(), spec);
}

Status AppMeshRouter::prepare(const api::Canary& c, const PodSelector& pods) {
  for (const auto& [name, value] : {std::pair{c.primaryServiceName(), pods.value + "-primary"},
                                    std::pair{c.canaryServiceName(), pods.value}}) {
    if (auto r = kube::syncObject(client_, kVirtualNodes, c.ns, virtualNode(c, name, pods.key, value),
                                  kVirtualNodeFields);
        !r)
      return r.error();
  }
  return {};
}

Status AppMeshRouter::writeRoutes(const api::Canary& c, const PodSelector& pods,
                                  const TrafficIntent& intent) {
  if (auto st = prepare(c, pods); !st) return st;
  auto router = virtualRouter(c, intent);
  if (!router) return router.error();
  if (auto r = kube::syncObject(client_, kVirtualRouters, c.ns, *router, kVirtualRouterFields); !r)
    return r.error();
  const Json viaRouter = {{"virtualRouter", {{"virtualRouterRef", {{"name", c.apexName()}}}}}};
  const Json toCanary = {{"virtualNode", {{"virtualNodeRef", {{"name", c.canaryServiceName()}}}}}};
  for (const Json& vs :
       {virtualService(c, c.apexName(), viaRouter), virtualService(c, c.canaryServiceName(), toCanary)}) {
    if (auto r = kube::syncObject(client_, kVirtualServices, c.ns, vs, kVirtualServiceFields); !r)
      return r.error();
  }
  return {};
}

Result<TrafficIntent> AppMeshRouter::readRoutes(const api::Canary& c) {
  auto router = client_.get(kVirtualRouters, c.ns, c.apexName());
  if (!router) return router.error();
  TrafficIntent t{0, 0};
  for (const auto& route : router->value("/spec/routes"_json_pointer, Json::array())) {
    const Json targets = route.value("/httpRoute/action/weightedTargets"_json_pointer, Json::array());
    bool weighted = false;
    for (const auto& w : targets)
      weighted =
          weighted || w.value("/virtualNodeRef/name"_json_pointer, std::string()) == c.primaryServiceName();
    if (!weighted) {
      if (targets.size() == 1 &&
          targets[0].value("/virtualNodeRef/name"_json_pointer, std::string()) == c.canaryServiceName())
        t.matchToCanary = true;
      continue;
    }
    for (const auto& w : targets) {
      const std::string node = w.value("/virtualNodeRef/name"_json_pointer, std::string());
      if (node == c.primaryServiceName()) t.primaryWeight = w.value("weight", 0);
      if (node == c.canaryServiceName()) t.canaryWeight = w.value("weight", 0);
    }
  }
  return t;
}

Result<bool> AppMeshRouter::releaseRoutes(const api::Canary& c) {
  // The services first (they name the router and the nodes), then the router, then the nodes.
  return releaseObjects(c, {{&kVirtualServices, c.apexName()},
                         {&kVirtualServices, c.canaryServiceName()},
                         {&kVirtualRouters, c.apexName()},
                         {&kVirtualNodes, c.primaryServiceName()},
                         {&kVirtualNodes, c.canaryServiceName()}});
}

ProviderDescriptor descriptor() {
  ProviderDescriptor d;
  d.name = "appmesh";
  d.factory = [](RouterContext& context) { return std::make_unique<AppMeshRouter>(context); };
  d.ownedTypes = {kVirtualNodes, kVirtualRouters, kVirtualServices};
  d.capabilities.weighted = true;
  d.capabilities.headerMatch = true;
  d.capabilities.meshObjectsBeforePods = true;
  // Envoy's upstream counters as the App Mesh sidecar exports them, by pod.
  const std::string pods =
      "kubernetes_namespace=\"{{ namespace }}\","
      "kubernetes_pod_name=~\"{{ target }}-[0-9a-zA-Z]+(-[0-9a-zA-Z]+)\"";
  d.builtInQueries = {
      {"request-success-rate",
       "sum(rate(envoy_cluster_upstream_rq{" + pods +
           ",envoy_response_code!~\"5.*\"}[{{ interval }}])) / sum(rate(envoy_cluster_upstream_rq{" + pods +
           "}[{{ interval }}])) * 100"},
      {"request-duration", "histogram_quantile(0.99, sum(rate(envoy_cluster_upstream_rq_time_bucket{" + pods +
                               "}[{{ interval }}])) by (le))"},
  };
  return d;
}

}  // namespace aviary::mesh::appmesh
