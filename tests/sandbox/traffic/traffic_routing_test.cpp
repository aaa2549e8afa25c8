// The traffic simulator against the sandbox API server, stepped by hand: requests go where each mesh's
// objects say, routing changes apply at the next tick, rollouts and missing endpoints behave as in a cluster.
#include <gtest/gtest.h>

#include <regex>

#include "sandbox/api/api_server.h"
#include "sandbox/traffic/routing/mesh_routing.h"
#include "sandbox/traffic/traffic_simulator.h"
#include "sandbox/yaml_json.h"
#include "tests/support/eventually.h"
#include "tests/support/mesh_scenarios.h"
#include "tests/support/metrics_text.h"

namespace aviary::sandbox::traffic {
namespace {

using aviary::testing::eventually;
using aviary::testing::Mesh;
using aviary::testing::MeshScenario;
using aviary::testing::sumSamples;

class TrafficRoutingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ApiServerOptions options;
    options.defaultReadyAfter = std::chrono::milliseconds(50);
    server_ = std::make_unique<ApiServer>(options);
    ASSERT_TRUE(server_->start());
    auto crds = loadManifests(std::string(AVIARY_SOURCE_DIR) + "/sandbox/crds");
    ASSERT_TRUE(crds) << crds.error().message;
    for (const auto& crd : *crds) ASSERT_TRUE(server_->apply(crd));
    sim_ =
        std::make_unique<TrafficSimulator>(server_->store(), server_->registry(), TrafficOptions{.seed = 42});
  }

  void apply(const std::vector<Json>& objects) {
    for (const auto& o : objects) {
      auto r = server_->apply(o);
      ASSERT_TRUE(r) << r.error().message;
    }
  }

  // Waits until every Deployment in `ns` has rolled out.
  void waitRolledOut(const std::string& ns) {
    auto kind = server_->registry().find("apps", "v1", "deployments");
    ASSERT_TRUE(eventually([&] {
      auto list = server_->store().list(*kind, ns, LabelSelector(), FieldSelector(), 0, "");
      for (const auto& d : list->items) {
        int replicas = d.value("/spec/replicas"_json_pointer, 1);
        if (d.value("/status/observedGeneration"_json_pointer, 0LL) !=
                d["metadata"].value("generation", 0LL) ||
            d.value("/status/availableReplicas"_json_pointer, 0) != replicas ||
            d.value("/status/updatedReplicas"_json_pointer, 0) != replicas)
          return false;
      }
      return true;
    }));
  }

  // Runs `seconds` of simulated traffic in 100 ms ticks.
  void run(double seconds) {
    for (int i = 0; i < static_cast<int>(seconds * 10); ++i) sim_->step(std::chrono::milliseconds(100));
  }

  double userRequests(const std::string& ns, const std::string& deployment, const std::string& outcome = "") {
    std::map<std::string, std::string> labels = {{"namespace", ns}, {"deployment", deployment}};
    if (!outcome.empty()) labels["outcome"] = outcome;
    return sumSamples(sim_->renderMetrics(), "sandbox_user_requests_total", labels);
  }

  double canaryShare(const std::string& ns) {
    double canary = userRequests(ns, "app"), primary = userRequests(ns, "app-primary");
    return canary / (canary + primary);
  }

  std::unique_ptr<ApiServer> server_;
  std::unique_ptr<TrafficSimulator> sim_;
};

class EveryMesh : public TrafficRoutingTest, public ::testing::WithParamInterface<Mesh> {};

TEST_P(EveryMesh, SplitsByTheWeightsInTheRoutingObjectAndFollowsChangesAtTheNextTick) {
  MeshScenario s{
      .mesh = GetParam(), .ns = std::string("t-") + meshName(GetParam()), .canaryWeight = 1, .rps = 1000};
  s.canaryAnnotations = "{sandbox.aviary.io/error-rate: \"0.2\"}";
  if (s.mesh != Mesh::NoMesh) s.canaryWeight = 10;
  apply(aviary::testing::scenarioManifests(s));
  waitRolledOut(s.ns);
  run(20);                                               // 20,000 requests
  double expected = s.mesh == Mesh::NoMesh ? 0.1 : 0.1;  // NoMesh: 1 canary pod of 10
  EXPECT_NEAR(canaryShare(s.ns), expected, 0.015);
  EXPECT_EQ(userRequests(s.ns, "app-primary", "error"), 0);
  double canaryErrors = userRequests(s.ns, "app", "error") / userRequests(s.ns, "app");
  EXPECT_NEAR(canaryErrors, 0.2, 0.03);
  EXPECT_EQ(userRequests(s.ns, "none"), 0) << "every request found a ready pod";

  const std::string source = sim_->routingSource(s.ns, "app");
  std::string text = sim_->renderMetrics();
  switch (s.mesh) {
    case Mesh::Istio:
      EXPECT_EQ(source, "VirtualService t-istio/app");
      EXPECT_GT(sumSamples(text, "istio_requests_total",
                           {{"destination_workload", "app"}, {"response_code", "500"}}),
                0);
      break;
    case Mesh::AppMesh:
      EXPECT_EQ(source, "App Mesh VirtualService t-appmesh/app");
      EXPECT_GT(sumSamples(text, "envoy_cluster_upstream_rq", {{"kubernetes_namespace", s.ns}}), 0);
      break;
    case Mesh::Traefik:
      EXPECT_EQ(source, "TraefikService t-traefik/app");
      EXPECT_GT(sumSamples(text, "traefik_service_requests_total",
                           {{"service", "t-traefik-app-canary-80@kubernetescrd"}}),
                0);
      break;
    case Mesh::GatewayApi:
      EXPECT_EQ(source, "HTTPRoute t-gatewayapi/app");
      break;
    case Mesh::NoMesh:
      EXPECT_EQ(source, "Service t-nomesh/app selector");
      break;
  }
  // The application's own metrics exist whatever the mesh.
  EXPECT_GT(sumSamples(text, "http_request_duration_seconds_count", {{"kubernetes_namespace", s.ns}}), 0);

  // Move to 50/50 (NoMesh: 5 pods each); the next tick routes by the new weights.
  s.canaryWeight = s.mesh == Mesh::NoMesh ? 5 : 50;
  apply(aviary::testing::routingManifests(s));
  if (s.mesh == Mesh::NoMesh) waitRolledOut(s.ns);
  sim_->step(std::chrono::milliseconds(0));
  double canaryBefore = userRequests(s.ns, "app"), primaryBefore = userRequests(s.ns, "app-primary");
  run(10);
  double canary = userRequests(s.ns, "app") - canaryBefore,
         primary = userRequests(s.ns, "app-primary") - primaryBefore;
  EXPECT_NEAR(canary / (canary + primary), 0.5, 0.03);
}

INSTANTIATE_TEST_SUITE_P(Meshes, EveryMesh,
                         ::testing::Values(Mesh::Istio, Mesh::AppMesh, Mesh::Traefik, Mesh::GatewayApi,
                                           Mesh::NoMesh),
                         [](const auto& info) { return std::string(aviary::testing::meshName(info.param)); });

// The route each kind of request takes, read from the compiled routing (no sampling involved).
std::vector<std::string> workloadsFor(const ClusterView& view, const std::string& ns,
                                      const RequestAttributes& request) {
  RouteTable table = resolveRoutes(view, *view.service(ns, "app"));
  std::vector<std::string> out;
  for (const auto& route : table.routes) {
    if (!route.accepts(request)) continue;
    for (const auto& d : route.destinations) {
      for (const auto* w : d.destination.workloads) {
        if (d.weight > 0) out.push_back(w->name);
      }
    }
    break;
  }
  return out;
}

TEST_F(TrafficRoutingTest, ABTestingSendsOnlyMatchingRequestsToTheCanary) {
  apply(aviary::testing::scenarioManifests({.mesh = Mesh::Istio, .ns = "ab", .canaryWeight = 0}));
  apply(aviary::testing::scenarioManifests({.mesh = Mesh::GatewayApi, .ns = "ab-gw", .canaryWeight = 0}));
  apply(*yamlDocumentsToJson(R"(
apiVersion: networking.istio.io/v1beta1
kind: VirtualService
metadata: {name: app, namespace: ab}
spec:
  hosts: [app.ab.svc.cluster.local]
  http:
  - match:
    - headers: {x-canary: {exact: insider}}
    - headers: {cookie: {regex: "^(.*?;)?(canary=always)(;.*)?$"}}
    route: [{destination: {host: app-canary}}]
  - route: [{destination: {host: app-primary}}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: app, namespace: ab-gw}
spec:
  parentRefs: [{kind: Service, name: app}]
  rules:
  - backendRefs: [{name: app-primary, port: 80}]
  - matches: [{headers: [{name: X-Canary, value: insider}]}]
    backendRefs: [{name: app-canary, port: 80}]
)",
                             "ab"));
  ClusterView view;
  view.sync(server_->store(), server_->registry());
  RequestAttributes plain, header, cookie, other;
  header.headers["x-canary"] = "insider";
  cookie.headers["cookie"] = "canary=always; theme=dark";
  other.headers["x-canary"] = "outsider";
  using V = std::vector<std::string>;
  EXPECT_EQ(workloadsFor(view, "ab", plain), V{"app-primary"});
  EXPECT_EQ(workloadsFor(view, "ab", header), V{"app"});
  EXPECT_EQ(workloadsFor(view, "ab", cookie), V{"app"});
  EXPECT_EQ(workloadsFor(view, "ab", other), V{"app-primary"});
  // Gateway API: the rule with a header match takes precedence over the catch-all listed before it.
  EXPECT_EQ(workloadsFor(view, "ab-gw", plain), V{"app-primary"});
  EXPECT_EQ(workloadsFor(view, "ab-gw", header), V{"app"});

  // With 10% of the load carrying the header, the canary gets that 10% and nothing else.
  auto annotate = *yamlDocumentsToJson(
      "apiVersion: v1\nkind: Service\nmetadata: {name: app, namespace: ab, annotations: "
      "{sandbox.aviary.io/traffic-headers: \"x-canary=insider:10%\"}}\n",
      "annotate");
  apply(annotate);
  waitRolledOut("ab");
  run(20);
  EXPECT_NEAR(canaryShare("ab"), 0.10, 0.015);
}

// Set-Cookie on responses, per destination and per route (Istio headers.response; Gateway API
// ResponseHeaderModifier on a backendRef or a rule), as written by hand, not by Aviary's routers.
TEST_F(TrafficRoutingTest, ResponseCookiesAreReadFromEveryPlaceAMeshSetsThem) {
  apply(aviary::testing::scenarioManifests({.mesh = Mesh::Istio, .ns = "ck", .canaryWeight = 0}));
  apply(aviary::testing::scenarioManifests({.mesh = Mesh::GatewayApi, .ns = "ck-gw", .canaryWeight = 0}));
  apply(*yamlDocumentsToJson(R"(
apiVersion: networking.istio.io/v1beta1
kind: VirtualService
metadata: {name: app, namespace: ck}
spec:
  hosts: [app.ck.svc.cluster.local]
  http:
  - headers: {response: {set: {x-route: "1", set-cookie: "route=1"}}}
    route:
    - {destination: {host: app-primary}, weight: 50}
    - destination: {host: app-canary}
      weight: 50
      headers: {response: {add: {Set-Cookie: "sticky=c; Max-Age=60"}}}
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: app, namespace: ck-gw}
spec:
  parentRefs: [{kind: Service, name: app}]
  rules:
  - filters: [{type: ResponseHeaderModifier, responseHeaderModifier: {set: [{name: Set-Cookie, value: "rule=1"}]}}]
    backendRefs:
    - {name: app-primary, port: 80, weight: 50}
    - name: app-canary
      port: 80
      weight: 50
      filters: [{type: ResponseHeaderModifier, responseHeaderModifier: {add: [{name: set-cookie, value: "sticky=g"}]}}]
)",
                             "ck"));
  ClusterView view;
  view.sync(server_->store(), server_->registry());
  using V = std::vector<std::string>;
  RouteTable istio = resolveRoutes(view, *view.service("ck", "app"));
  ASSERT_EQ(istio.routes.size(), 1u);
  ASSERT_EQ(istio.routes[0].destinations.size(), 2u);
  EXPECT_EQ(istio.routes[0].destinations[0].setCookies, V{"route=1"});
  EXPECT_EQ(istio.routes[0].destinations[1].setCookies, (V{"sticky=c; Max-Age=60", "route=1"}));
  RouteTable gateway = resolveRoutes(view, *view.service("ck-gw", "app"));
  ASSERT_EQ(gateway.routes.size(), 1u);
  ASSERT_EQ(gateway.routes[0].destinations.size(), 2u);
  EXPECT_EQ(gateway.routes[0].destinations[0].setCookies, V{"rule=1"});
  EXPECT_EQ(gateway.routes[0].destinations[1].setCookies, (V{"sticky=g", "rule=1"}));
}

TEST_F(TrafficRoutingTest, MirroredCopiesReachTheCanaryButUsersOnlySeeThePrimary) {
  apply(aviary::testing::scenarioManifests({.mesh = Mesh::Istio,
                                            .ns = "mirror",
                                            .canaryWeight = 0,
                                            .rps = 1000,
                                            .canaryAnnotations = "{sandbox.aviary.io/error-rate: \"0.5\"}"}));
  apply(*yamlDocumentsToJson(R"(
apiVersion: networking.istio.io/v1beta1
kind: VirtualService
metadata: {name: app, namespace: mirror}
spec:
  hosts: [app]
  http:
  - route: [{destination: {host: app-primary}, weight: 100}]
    mirror: {host: app-canary}
    mirrorPercentage: {value: 100}
)",
                             "mirror"));
  waitRolledOut("mirror");
  run(5);
  std::string text = sim_->renderMetrics();
  double mirrored = sumSamples(text, "istio_requests_total", {{"destination_workload", "app"}});
  double primary = sumSamples(text, "istio_requests_total", {{"destination_workload", "app-primary"}});
  EXPECT_EQ(mirrored, primary) << "every request is mirrored";
  EXPECT_GT(
      sumSamples(text, "istio_requests_total", {{"destination_workload", "app"}, {"response_code", "500"}}),
      0);
  EXPECT_EQ(userRequests("mirror", "app"), 0) << "mirrored copies are not user requests";
  EXPECT_EQ(userRequests("mirror", "app-primary", "error"), 0);
  EXPECT_EQ(userRequests("mirror", "app-primary"), 5000);
}

TEST_F(TrafficRoutingTest, OldPodsKeepServingUntilTheRolloutCompletesAndEmptyDestinationsFail) {
  MeshScenario s{.mesh = Mesh::Istio, .ns = "rollout", .canaryWeight = 50, .rps = 1000};
  apply(aviary::testing::scenarioManifests(s));
  waitRolledOut("rollout");
  run(1);
  // A bad version that never becomes ready: the old canary pods keep serving, without errors.
  auto bad = *yamlDocumentsToJson(
      "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: app, namespace: rollout}\nspec:\n  template:\n"
      "    metadata: {annotations: {sandbox.aviary.io/error-rate: \"1\", sandbox.aviary.io/never-ready: "
      "\"true\"}}\n",
      "bad");
  apply(bad);
  run(2);
  EXPECT_EQ(userRequests("rollout", "app", "error"), 0);
  EXPECT_GT(userRequests("rollout", "app", "success"), 0);

  // Scaled to zero, the canary Service has no endpoints: its share of requests fails with 503.
  std::smatch found;
  std::string before = sim_->renderMetrics();
  ASSERT_TRUE(
      std::regex_search(before, found, std::regex("kubernetes_pod_name=\"(app-[a-z0-9]+-[a-z0-9]+)\"")));
  std::vector<std::string> canaryPods = {found[1].str()};
  auto scaleDown = *yamlDocumentsToJson(
      "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: app, namespace: rollout}\nspec: {replicas: "
      "0}\n",
      "down");
  apply(scaleDown);
  ASSERT_TRUE(eventually([&] {
    sim_->step(std::chrono::milliseconds(0));
    return sim_->renderMetrics().find(canaryPods[0]) == std::string::npos;
  })) << "the canary pods' series are gone";
  run(10);
  EXPECT_NEAR(userRequests("rollout", "none", "error") / 10000, 0.5, 0.03);
}

}  // namespace
}  // namespace aviary::sandbox::traffic
