// The shapes of the objects each provider writes (issue 11); what every provider must do is the
// conformance suite's (router_conformance_test.cpp).
#include <gtest/gtest.h>

#include <algorithm>
#include <regex>

#include "mesh-adapters/appmesh/appmesh_router.h"
#include "mesh-adapters/common/request_match.h"
#include "mesh-adapters/common/session_cookie.h"
#include "mesh-adapters/gatewayapi/gatewayapi_router.h"
#include "mesh-adapters/istio/istio_router.h"
#include "mesh-adapters/kubernetes/kubernetes_router.h"
#include "mesh-adapters/replicas/replicas_router.h"
#include "mesh-adapters/traefik/traefik_router.h"
#include "tests/support/sandbox_with_crds.h"

namespace aviary::mesh {
namespace {

using kube::Json;

api::Canary canary() {
  api::Canary c;
  c.ns = "test";
  c.name = "podinfo";
  c.uid = "0f1e2d3c-0000-4000-8000-0000000000d1";
  c.spec.targetRef = {"apps/v1", "Deployment", "podinfo", ""};
  c.spec.service.port = 9898;
  c.spec.analysis.match = Json::parse(R"([{"headers": {"x-canary": {"exact": "insider"}}},
                                          {"headers": {"cookie": {"regex": "^(.*?;)?(canary=always)(;.*)?$"}}}])");
  return c;
}

TEST(SessionCookie, SetCookieCarriesTheSpecsAttributesAndThePatternFindsTheCookieAmongOthers) {
  api::SessionAffinitySpec sa;
  sa.cookieName = "aviary";
  EXPECT_EQ(setCookieValue(sa, "aviary=0a1b", 86400), "aviary=0a1b; Max-Age=86400");
  sa.domain = "example.com";
  sa.path = "/";
  sa.secure = sa.httpOnly = sa.partitioned = true;
  sa.sameSite = "None";
  EXPECT_EQ(
      setCookieValue(sa, "aviary=0a1b", 0),
      "aviary=0a1b; Max-Age=0; Domain=example.com; Path=/; Secure; HttpOnly; SameSite=None; Partitioned");
  EXPECT_EQ(cookieSetBy("aviary=0a1b; Max-Age=0"), "aviary=0a1b");
  EXPECT_TRUE(expiresCookie("aviary=0a1b; Max-Age=0"));
  EXPECT_FALSE(expiresCookie("aviary=0a1b; Max-Age=60"));
  // A token may hold regex metacharacters (RFC 6265 allows '.', '*', '+', '|', '^', '$' in names).
  const std::regex pattern(cookieHeaderPattern("a.b*c=0a1b"));
  for (const char* carries :
       {"a.b*c=0a1b", "theme=dark; a.b*c=0a1b", "a.b*c=0a1b;theme=dark", "x=1; a.b*c=0a1b; y=2"})
    EXPECT_TRUE(std::regex_match(carries, pattern)) << carries;
  for (const char* lacks : {"", "a.b*c=0a1", "aXbbbc=0a1b", "xa.b*c=0a1b", "a.b*c=0a1bz", "theme=a.b*c=0a1b"})
    EXPECT_FALSE(std::regex_match(lacks, pattern)) << lacks;
}

TEST(IstioShape, SessionAffinityRoutesEachSidesCookieBackToItAndExpiresAPastRunsCookie) {
  api::Canary c = canary();
  c.spec.analysis.match = Json();
  c.spec.analysis.interval = std::chrono::seconds(30);
  c.spec.service.match = Json::parse(R"([{"uri": {"prefix": "/api"}}])");
  api::SessionAffinitySpec sa;
  sa.cookieName = "aviary";
  sa.primaryCookieName = "aviary-primary";
  sa.maxAgeSeconds = 3600;
  c.spec.analysis.sessionAffinity = sa;
  TrafficIntent t{80, 20};
  t.canaryCookie = "aviary=0a1b";
  t.primaryCookie = "aviary-primary=2c3d";
  Json http = istio::IstioRouter::virtualService(c, t)["spec"]["http"];
  ASSERT_EQ(http.size(), 3u);
  EXPECT_EQ(http[0]["match"], Json::parse(R"([{"uri": {"prefix": "/api"},
      "headers": {"cookie": {"regex": "(.*;\\s*)?aviary=0a1b(\\s*;.*)?"}}}])"))
      << "within the Service's own match";
  EXPECT_EQ(http[0]["route"], Json::parse(R"([{"destination": {"host": "podinfo-canary"}, "weight": 100}])"));
  EXPECT_EQ(http[1]["route"][0]["destination"]["host"], "podinfo-primary");
  const Json& weighted = http[2]["route"];
  EXPECT_EQ(weighted[1]["headers"]["response"]["add"]["Set-Cookie"], "aviary=0a1b; Max-Age=3600");
  EXPECT_EQ(weighted[0]["headers"]["response"]["add"]["Set-Cookie"], "aviary-primary=2c3d; Max-Age=30")
      << "the primary's cookie lasts one interval";

  TrafficIntent done{100, 0};
  done.expiredCookie = "aviary=0a1b";
  http = istio::IstioRouter::virtualService(c, done)["spec"]["http"];
  ASSERT_EQ(http.size(), 2u);
  EXPECT_EQ(http[0]["route"][0]["destination"]["host"], "podinfo-primary");
  EXPECT_EQ(http[0]["route"][0]["headers"]["response"]["add"]["Set-Cookie"], "aviary=0a1b; Max-Age=0");
  EXPECT_FALSE(http[1]["route"][1].contains("headers"));
}

TEST(GatewayApiShape, SessionAffinityRulesAndResponseCookies) {
  api::Canary c = canary();
  c.spec.analysis.match = Json();
  c.spec.service.match = Json::parse(R"([{"headers": {"x-tenant": {"exact": "a"}}}])");
  api::SessionAffinitySpec sa;
  sa.cookieName = "aviary";
  sa.httpOnly = true;
  c.spec.analysis.sessionAffinity = sa;
  TrafficIntent t{80, 20};
  t.canaryCookie = "aviary=0a1b";
  auto route = gatewayapi::GatewayApiRouter::httpRoute(c, t);
  ASSERT_TRUE(route);
  const Json& rules = (*route)["spec"]["rules"];
  ASSERT_EQ(rules.size(), 2u);
  EXPECT_EQ(rules[0]["matches"][0]["headers"],
            Json::parse(R"([{"type": "Exact", "name": "x-tenant", "value": "a"},
                            {"type": "RegularExpression", "name": "Cookie",
                             "value": "(.*;\\s*)?aviary=0a1b(\\s*;.*)?"}])"))
      << "the Service's header match and the cookie's, both";
  EXPECT_EQ(rules[0]["backendRefs"][0]["name"], "podinfo-canary");
  EXPECT_EQ(rules[1]["backendRefs"][1]["filters"],
            Json::parse(R"([{"type": "ResponseHeaderModifier", "responseHeaderModifier":
                {"add": [{"name": "Set-Cookie", "value": "aviary=0a1b; Max-Age=86400; HttpOnly"}]}}])"));
  EXPECT_FALSE(rules[1]["backendRefs"][0].contains("filters"));
}

TEST(GatewayApiShape, AttachesToTheServiceOrTheGatewaysAndCarriesWeightsMirrorAndMatches) {
  api::Canary c = canary();
  auto route = gatewayapi::GatewayApiRouter::httpRoute(c, {70, 30});
  ASSERT_TRUE(route);
  const Json& spec = (*route)["spec"];
  EXPECT_EQ(spec["parentRefs"],
            Json::parse(R"([{"group": "", "kind": "Service", "name": "podinfo", "port": 9898}])"))
      << "GAMMA without gatewayRefs";
  ASSERT_EQ(spec["rules"].size(), 1u);
  EXPECT_EQ(spec["rules"][0]["backendRefs"][0]["name"], "podinfo-primary");
  EXPECT_EQ(spec["rules"][0]["backendRefs"][0]["weight"], 70);
  EXPECT_EQ(spec["rules"][0]["backendRefs"][1]["weight"], 30);
  EXPECT_FALSE(spec.contains("hostnames"));

  c.spec.service.gatewayRefs = Json::parse(R"([{"name": "public", "namespace": "gateways"}])");
  c.spec.service.hosts = {"app.example.com"};
  c.spec.service.timeout = "15s";
  c.spec.service.match = Json::parse(R"([{"uri": {"prefix": "/api"}}])");
  route = gatewayapi::GatewayApiRouter::httpRoute(c, {100, 0, 50, true});
  ASSERT_TRUE(route);
  const Json& ab = (*route)["spec"];
  EXPECT_EQ(ab["parentRefs"], c.spec.service.gatewayRefs);
  EXPECT_EQ(ab["hostnames"], Json::array({"app.example.com"}));
  ASSERT_EQ(ab["rules"].size(), 2u);
  // A/B: each condition within the Service's own path match, to the canary alone.
  EXPECT_EQ(ab["rules"][0]["matches"], Json::parse(R"([
      {"path": {"type": "PathPrefix", "value": "/api"},
       "headers": [{"type": "Exact", "name": "x-canary", "value": "insider"}]},
      {"path": {"type": "PathPrefix", "value": "/api"},
       "headers": [{"type": "RegularExpression", "name": "cookie", "value": "^(.*?;)?(canary=always)(;.*)?$"}]}])"));
  EXPECT_EQ(ab["rules"][0]["backendRefs"].size(), 1u);
  EXPECT_EQ(ab["rules"][0]["backendRefs"][0]["name"], "podinfo-canary");
  EXPECT_EQ(ab["rules"][1]["matches"], Json::parse(R"([{"path": {"type": "PathPrefix", "value": "/api"}}])"));
  EXPECT_EQ(ab["rules"][1]["timeouts"]["request"], "15s");
  EXPECT_EQ(ab["rules"][1]["filters"][0]["type"], "RequestMirror");
  EXPECT_EQ(ab["rules"][1]["filters"][0]["requestMirror"]["percent"], 50);
  EXPECT_EQ(ab["rules"][1]["filters"][0]["requestMirror"]["backendRef"]["name"], "podinfo-canary");

  c.spec.analysis.match = Json::parse(R"([{"queryParams": {"v": {"exact": "2"}}}])");
  auto refused = gatewayapi::GatewayApiRouter::httpRoute(c, {100, 0, 0, true});
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().message, "spec.analysis.match[0].queryParams is not supported by this provider");
}

TEST(TraefikShape, IsWeightedOrMirroringNeverBoth) {
  api::Canary c = canary();
  auto ts = traefik::TraefikRouter::traefikService(c, {60, 40});
  ASSERT_TRUE(ts);
  EXPECT_EQ((*ts)["spec"], Json::parse(R"({"weighted": {"services": [
      {"name": "podinfo-primary", "port": 9898, "weight": 60},
      {"name": "podinfo-canary", "port": 9898, "weight": 40}]}})"));
  ts = traefik::TraefikRouter::traefikService(c, {100, 0, 25, false});
  ASSERT_TRUE(ts);
  EXPECT_EQ((*ts)["spec"], Json::parse(R"({"mirroring": {"name": "podinfo-primary", "port": 9898,
      "mirrors": [{"name": "podinfo-canary", "port": 9898, "percent": 25}]}})"));
  EXPECT_FALSE(traefik::TraefikRouter::traefikService(c, {90, 10, 25, false}));
}

TEST(AppMeshShape, NodesRouterAndServices) {
  api::Canary c = canary();
  c.spec.service.meshName = "global";
  c.spec.service.backends = {"backend.test", "arn:aws:appmesh:eu-west-1:123:mesh/global/virtualService/x"};
  c.spec.service.retries = {{"attempts", 3}, {"perTryTimeout", "2s"}};
  c.spec.service.timeout = "30s";
  Json node = appmesh::AppMeshRouter::virtualNode(c, "podinfo-primary", "app", "podinfo-primary");
  EXPECT_EQ(node["spec"]["podSelector"]["matchLabels"]["app"], "podinfo-primary");
  EXPECT_EQ(node["spec"]["serviceDiscovery"]["dns"]["hostname"], "podinfo-primary.test.svc.cluster.local");
  EXPECT_EQ(node["spec"]["listeners"][0]["portMapping"]["port"], 9898);
  EXPECT_EQ(node["spec"]["meshRef"]["name"], "global");
  EXPECT_EQ(node["spec"]["backends"][0]["virtualService"]["virtualServiceRef"]["name"], "backend.test");
  EXPECT_EQ(node["spec"]["backends"][1]["virtualService"]["virtualServiceARN"], c.spec.service.backends[1]);

  auto router = appmesh::AppMeshRouter::virtualRouter(c, {80, 20, 0, true});
  ASSERT_TRUE(router);
  const Json& routes = (*router)["spec"]["routes"];
  ASSERT_EQ(routes.size(), 3u) << "two A/B conditions, then the weighted route";
  EXPECT_EQ(routes[0]["priority"], 0);
  EXPECT_EQ(routes[0]["httpRoute"]["match"]["headers"][0],
            Json::parse(R"({"name": "x-canary", "match": {"exact": "insider"}})"));
  EXPECT_EQ(routes[0]["httpRoute"]["action"]["weightedTargets"],
            Json::parse(R"([{"virtualNodeRef": {"name": "podinfo-canary"}, "weight": 100}])"));
  EXPECT_EQ(routes[2]["priority"], 10);
  EXPECT_EQ(routes[2]["httpRoute"]["action"]["weightedTargets"][0]["weight"], 80);
  EXPECT_EQ(routes[2]["httpRoute"]["action"]["weightedTargets"][1]["weight"], 20);
  EXPECT_EQ(routes[2]["httpRoute"]["retryPolicy"]["maxRetries"], 3);
  EXPECT_EQ(routes[2]["httpRoute"]["retryPolicy"]["perRetryTimeout"],
            Json::parse(R"({"unit": "ms", "value": 2000})"));
  EXPECT_EQ(routes[2]["httpRoute"]["timeout"]["perRequest"],
            Json::parse(R"({"unit": "ms", "value": 30000})"));
}

// The Service switch has only 0 and 100: anything else is refused, never rounded.
class KubernetesShape : public testing::SandboxWithCrds {
 protected:
  KubernetesShape() : SandboxWithCrds(std::string(AVIARY_SOURCE_DIR) + "/sandbox/crds") {}
};

TEST_F(KubernetesShape, RefusesASplitItCannotRoute) {
  RouteSettleClock settle{std::chrono::milliseconds(0)};
  RouterContext context{*client_, settle};
  kubernetes::KubernetesRouter router(context);
  auto st = router.reconcile(canary(), {"app", "podinfo"}, {50, 50});
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code, ErrorCode::Invalid);
  EXPECT_EQ(
      st.error().message,
      "routes: provider kubernetes switches all traffic at once; a canary weight of 50 cannot be routed");
}

TEST(RequestMatch, ReadsIstiosShapeAndRefusesWhatItCannotRender) {
  auto m = parseRequestMatches(Json::parse(R"([{"headers": {"user-agent": {"prefix": "Mozilla.5"}},
                                                  "uri": {"exact": "/login"}, "method": {"exact": "POST"}}])"));
  ASSERT_TRUE(m);
  ASSERT_EQ(m->size(), 1u);
  EXPECT_EQ(asRegex((*m)[0].headers[0].second), "^Mozilla\\.5.*") << "a prefix as an anchored, escaped regex";
  EXPECT_EQ((*m)[0].uri->value, "/login");
  EXPECT_EQ(*(*m)[0].method, "POST");
  EXPECT_FALSE(parseRequestMatches(Json::parse(R"([{"headers": {"x": {"contains": "y"}}}])")));
  EXPECT_FALSE(parseRequestMatches(Json::parse(R"({"headers": {}})")));
}

// Every type a provider writes is granted by the shipped ClusterRole (which the Helm chart links), with the
// verbs the router and the drift watch use: a provider added without its RBAC fails here, not in a cluster.
TEST(ProviderRbac, TheShippedClusterRoleGrantsEveryOwnedType) {
  auto role = sandbox::loadManifests(std::string(AVIARY_SOURCE_DIR) + "/config/rbac/cluster_role.yaml");
  ASSERT_TRUE(role) << role.error().message;
  ASSERT_EQ(role->size(), 1u);
  auto granted = [&](const kube::ResourceType& type, const std::string& verb) {
    for (const auto& rule : (*role)[0]["rules"]) {
      const Json groups = rule.value("apiGroups", Json::array()),
                 resources = rule.value("resources", Json::array()),
                 verbs = rule.value("verbs", Json::array());
      auto has = [](const Json& list, const std::string& v) {
        return std::find(list.begin(), list.end(), v) != list.end();
      };
      if (has(groups, type.group) && has(resources, type.plural) && has(verbs, verb)) return true;
    }
    return false;
  };
  const auto registry = builtInRouters();
  for (const auto& type : registry.ownedTypes()) {
    for (const char* verb : {"get", "list", "watch", "create", "update", "patch", "delete"})
      EXPECT_TRUE(granted(type, verb)) << type.qualifiedName() << " " << verb;
  }
}

}  // namespace
}  // namespace aviary::mesh

namespace aviary::mesh {
namespace {

// The sequential tests' counters come from the provider's descriptor: Istio's series, the application's
// own histogram in seconds for the Gateway API, and none for a provider without them (an error naming it).
TEST(CounterQueries, ComeFromTheProvidersDescriptor) {
  const auto registry = builtInRouters();
  const analysis::ArmWorkloads arms{"test", "podinfo", "podinfo-primary"};
  auto istio = analysis::counterQueries(registry.find("istio")->counterQueries, "istio", arms, 500);
  ASSERT_TRUE(istio);
  EXPECT_EQ(istio->at("canary.requests"),
            "sum(istio_requests_total{reporter=\"destination\",destination_workload_namespace=\"test\","
            "destination_workload=\"podinfo\"})");
  EXPECT_NE(istio->at("primary.slow").find("le=~\"500(\\\\.0+)?\""), std::string::npos)
      << istio->at("primary.slow");
  auto gateway =
      analysis::counterQueries(registry.find("gatewayapi")->counterQueries, "gatewayapi", arms, 500);
  ASSERT_TRUE(gateway);
  EXPECT_NE(gateway->at("canary.slow").find("le=~\"0.5(\\\\.0+)?\""), std::string::npos) << "seconds";
  auto none =
      analysis::counterQueries(registry.find("traefik")->counterQueries, "traefik", arms, std::nullopt);
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().message, "sequential analysis has no counter queries for provider \"traefik\" yet");
}

}  // namespace
}  // namespace aviary::mesh

namespace aviary::mesh {
namespace {

// Weight → canary pods beside N primary pods: the nearest ratio, never 0 pods for a positive weight.
TEST(ReplicaRatio, MapsAWeightToTheNearestAchievablePodCount) {
  EXPECT_EQ(replicas::canaryReplicasFor(0, 4), 0);
  EXPECT_EQ(replicas::canaryReplicasFor(5, 4), 1) << "0.21 pods round to 0; a canary needs one";
  EXPECT_EQ(replicas::canaryReplicasFor(20, 4), 1);    // 1 of 5 = 20%
  EXPECT_EQ(replicas::canaryReplicasFor(25, 2), 1);    // 1 of 3 = 33%
  EXPECT_EQ(replicas::canaryReplicasFor(50, 4), 4);    // 4 of 8 = 50%
  EXPECT_EQ(replicas::canaryReplicasFor(60, 10), 15);  // 15 of 25 = 60%
  EXPECT_EQ(replicas::canaryReplicasFor(100, 3), 3);
}

}  // namespace
}  // namespace aviary::mesh
