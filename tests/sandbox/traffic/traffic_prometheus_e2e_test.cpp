// End to end: the sandbox's live traffic scraped by a real Prometheus server, checked with PromQL — the
// queries Flagger documents for each mesh, written out here, must work unchanged.
#include <gtest/gtest.h>

#include "tests/support/provider_policy.h"

#include <cmath>
#include <thread>

#include "analysis/checks/metric_checks.h"
#include "analysis/prometheus/prometheus_client.h"
#include "sandbox/sandbox.h"
#include "sandbox/yaml_json.h"
#include "tests/support/eventually.h"
#include "tests/support/mesh_scenarios.h"

namespace aviary::sandbox {
namespace {

using analysis::PrometheusClient;
using aviary::testing::Mesh;
using aviary::testing::MeshScenario;

constexpr int kRps = 2000;
constexpr auto kObservation = std::chrono::seconds(32);  // the queries use [30s] windows

// Flagger's built-in checks (fluxcd/flagger pkg/metrics/observers), one per metrics family.
struct BuiltInQueries {
  const char* successRate;
  const char* duration;
  double durationScaleMs;  // what the duration query's unit is in ms
  std::vector<double> bucketsMs;
};

const BuiltInQueries& queriesFor(Mesh mesh) {
  static const std::vector<double> envoyBuckets = {0.5, 1,   5,    10,   25,   50,   100,
                                                   250, 500, 1000, 2500, 5000, 10000};
  static const BuiltInQueries istio{
      R"q(sum(rate(istio_requests_total{reporter="destination",destination_workload_namespace="{{ namespace }}",destination_workload=~"{{ target }}",response_code!~"5.*"}[{{ interval }}])) / sum(rate(istio_requests_total{reporter="destination",destination_workload_namespace="{{ namespace }}",destination_workload=~"{{ target }}"}[{{ interval }}])) * 100)q",
      R"q(histogram_quantile(0.99, sum(rate(istio_request_duration_milliseconds_bucket{reporter="destination",destination_workload_namespace="{{ namespace }}",destination_workload=~"{{ target }}"}[{{ interval }}])) by (le)))q",
      1, envoyBuckets};
  static const BuiltInQueries appMesh{
      R"q(sum(rate(envoy_cluster_upstream_rq{kubernetes_namespace="{{ namespace }}",kubernetes_pod_name=~"{{ target }}-[0-9a-zA-Z]+(-[0-9a-zA-Z]+)",envoy_response_code!~"5.*"}[{{ interval }}])) / sum(rate(envoy_cluster_upstream_rq{kubernetes_namespace="{{ namespace }}",kubernetes_pod_name=~"{{ target }}-[0-9a-zA-Z]+(-[0-9a-zA-Z]+)"}[{{ interval }}])) * 100)q",
      R"q(histogram_quantile(0.99, sum(rate(envoy_cluster_upstream_rq_time_bucket{kubernetes_namespace="{{ namespace }}",kubernetes_pod_name=~"{{ target }}-[0-9a-zA-Z]+(-[0-9a-zA-Z]+)"}[{{ interval }}])) by (le)))q",
      1, envoyBuckets};
  static const BuiltInQueries traefik{
      R"q(sum(rate(traefik_service_request_duration_seconds_bucket{service=~"{{ namespace }}-{{ service }}-[0-9a-zA-Z-]+@kubernetescrd",code!~"5..",le="+Inf"}[{{ interval }}])) / sum(rate(traefik_service_request_duration_seconds_bucket{service=~"{{ namespace }}-{{ service }}-[0-9a-zA-Z-]+@kubernetescrd",le="+Inf"}[{{ interval }}])) * 100)q",
      R"q(histogram_quantile(0.99, sum(rate(traefik_service_request_duration_seconds_bucket{service=~"{{ namespace }}-{{ service }}-[0-9a-zA-Z-]+@kubernetescrd"}[{{ interval }}])) by (le)))q",
      1000,
      {100, 300, 1200, 5000}};
  static const BuiltInQueries http{
      R"q(sum(rate(http_request_duration_seconds_count{kubernetes_namespace="{{ namespace }}",kubernetes_pod_name=~"{{ target }}-[0-9a-zA-Z]+(-[0-9a-zA-Z]+)",status!~"5.*"}[{{ interval }}])) / sum(rate(http_request_duration_seconds_count{kubernetes_namespace="{{ namespace }}",kubernetes_pod_name=~"{{ target }}-[0-9a-zA-Z]+(-[0-9a-zA-Z]+)"}[{{ interval }}])) * 100)q",
      R"q(histogram_quantile(0.99, sum(rate(http_request_duration_seconds_bucket{kubernetes_namespace="{{ namespace }}",kubernetes_pod_name=~"{{ target }}-[0-9a-zA-Z]+(-[0-9a-zA-Z]+)"}[{{ interval }}])) by (le)))q",
      1000,
      {5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000}};
  switch (mesh) {
    case Mesh::Istio:
      return istio;
    case Mesh::AppMesh:
      return appMesh;
    case Mesh::Traefik:
      return traefik;
    default:
      return http;
  }
}

std::string render(std::string query, const std::map<std::string, std::string>& vars) {
  for (const auto& [k, v] : vars) {
    std::string key = "{{ " + k + " }}";
    for (auto at = query.find(key); at != std::string::npos; at = query.find(key))
      query.replace(at, key.size(), v);
  }
  return query;
}

std::string ns(Mesh mesh) {
  return std::string("e2e-") + aviary::testing::meshName(mesh);
}

// One sandbox, one Prometheus and one 30 s observation for the whole binary (a gtest Environment runs
// once per process; ctest runs this binary as a single test).
class TrafficEnvironment : public ::testing::Environment {
 public:
  void SetUp() override {
    SandboxOptions options;
    options.api.defaultReadyAfter = std::chrono::milliseconds(200);
    options.prometheus = true;
    sandbox_ = new Sandbox(options);
    if (auto st = sandbox_->start(); !st) {
      setupError_ = new std::string(st.error().message);
      return;
    }
    auto fail = [](const std::string& m) { setupError_ = new std::string(m); };
    auto crds = loadManifests(std::string(AVIARY_SOURCE_DIR) + "/sandbox/crds");
    if (!crds) return fail(crds.error().message);
    std::vector<Json> objects = *crds;
    for (Mesh mesh : {Mesh::Istio, Mesh::AppMesh, Mesh::Traefik, Mesh::GatewayApi, Mesh::NoMesh}) {
      MeshScenario s{
          .mesh = mesh, .ns = ns(mesh), .canaryWeight = mesh == Mesh::NoMesh ? 1 : 10, .rps = kRps};
      s.primaryAnnotations = "{sandbox.aviary.io/latency-ms: \"p50=30,p99=400\"}";
      s.canaryAnnotations = "{sandbox.aviary.io/error-rate: \"0.2\"}";
      for (auto& o : aviary::testing::scenarioManifests(s)) objects.push_back(o);
    }
    // A split that the last test moves.
    for (auto& o : aviary::testing::scenarioManifests(
             {.mesh = Mesh::Istio, .ns = "e2e-shift", .canaryWeight = 10, .rps = kRps})) {
      objects.push_back(o);
    }
    // A/B: 10% of requests carry the header that routes to the canary.
    MeshScenario ab{.mesh = Mesh::Istio,
                    .ns = "e2e-ab",
                    .canaryWeight = 0,
                    .rps = kRps,
                    .apexAnnotations = "    sandbox.aviary.io/traffic-headers: \"x-canary=insider:10%\"\n"};
    for (auto& o : aviary::testing::scenarioManifests(ab)) objects.push_back(o);
    // Mirroring: every request is copied to a canary that fails half the time.
    MeshScenario mirror{.mesh = Mesh::Istio,
                        .ns = "e2e-mirror",
                        .canaryWeight = 0,
                        .rps = kRps,
                        .canaryAnnotations = "{sandbox.aviary.io/error-rate: \"0.5\"}"};
    for (auto& o : aviary::testing::scenarioManifests(mirror)) objects.push_back(o);
    auto routes = yamlDocumentsToJson(R"(
apiVersion: networking.istio.io/v1beta1
kind: VirtualService
metadata: {name: app, namespace: e2e-ab}
spec:
  hosts: [app]
  http:
  - match: [{headers: {x-canary: {exact: insider}}}]
    route: [{destination: {host: app-canary}}]
  - route: [{destination: {host: app-primary}}]
---
apiVersion: networking.istio.io/v1beta1
kind: VirtualService
metadata: {name: app, namespace: e2e-mirror}
spec:
  hosts: [app]
  http:
  - route: [{destination: {host: app-primary}, weight: 100}]
    mirror: {host: app-canary}
    mirrorPercentage: {value: 100.0}
)",
                                      "routes");
    for (auto& o : *routes) objects.push_back(o);
    for (const auto& o : objects) {
      if (auto r = sandbox_->api().apply(o); !r) return fail(r.error().message);
    }
    // Pods are ready 200 ms after creation; observe from then on.
    std::this_thread::sleep_for(std::chrono::milliseconds(500) + kObservation);
    client_ = new PrometheusClient({.url = sandbox_->prometheusUrl()});
  }

  void TearDown() override {
    delete client_;
    delete sandbox_;
    delete setupError_;
  }

  static inline Sandbox* sandbox_ = nullptr;
  static inline PrometheusClient* client_ = nullptr;
  static inline std::string* setupError_ = nullptr;
};
[[maybe_unused]] const auto* const kEnvironment = ::testing::AddGlobalTestEnvironment(new TrafficEnvironment);

class PrometheusTraffic : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_NE(sandbox_, nullptr);
    ASSERT_EQ(setupError_, nullptr) << *setupError_;
  }

  double value(const std::string& query) const {
    auto v = client_->queryValue(query);
    EXPECT_TRUE(v) << v.error().message;
    return v ? *v : std::nan("");
  }

  double userShare(const std::string& nsName, const std::string& deployment, const std::string& window) {
    return value("sum(rate(sandbox_user_requests_total{namespace=\"" + nsName + "\",deployment=\"" +
                 deployment + "\"}[" + window + "])) / sum(rate(sandbox_user_requests_total{namespace=\"" +
                 nsName + "\"}[" + window + "])) * 100");
  }

  Sandbox* sandbox_ = TrafficEnvironment::sandbox_;
  PrometheusClient* client_ = TrafficEnvironment::client_;
  std::string* setupError_ = TrafficEnvironment::setupError_;
};

class EveryMeshInPrometheus : public PrometheusTraffic, public ::testing::WithParamInterface<Mesh> {};

TEST_P(EveryMeshInPrometheus, BuiltInSuccessRatesAndTheSplitMatchTheConfiguration) {
  const auto& q = queriesFor(GetParam());
  std::map<std::string, std::string> canary = {
      {"namespace", ns(GetParam())}, {"target", "app"}, {"service", "app-canary"}, {"interval", "30s"}};
  std::map<std::string, std::string> primary = {{"namespace", ns(GetParam())},
                                                {"target", "app-primary"},
                                                {"service", "app-primary"},
                                                {"interval", "30s"}};
  EXPECT_NEAR(value(render(q.successRate, canary)), 80, 3) << "the canary fails 20% of its requests";
  EXPECT_GE(value(render(q.successRate, primary)), 99.5);
  EXPECT_NEAR(userShare(ns(GetParam()), "app", "30s"), 10, 2) << "weight 10 (no mesh: 1 pod of 10)";
}

TEST_P(EveryMeshInPrometheus, P99FromTheMeshHistogramIsInTheBucketOfTheConfiguredP99) {
  const auto& q = queriesFor(GetParam());
  double p99 = value(render(q.duration, {{"namespace", ns(GetParam())},
                                         {"target", "app-primary"},
                                         {"service", "app-primary"},
                                         {"interval", "30s"}})) *
               q.durationScaleMs;
  auto bucketOf = [&](double ms) {
    return std::lower_bound(q.bucketsMs.begin(), q.bucketsMs.end(), ms) - q.bucketsMs.begin();
  };
  EXPECT_EQ(bucketOf(p99), bucketOf(400)) << "p99 estimate " << p99 << " ms, configured 400 ms";
}

INSTANTIATE_TEST_SUITE_P(Meshes, EveryMeshInPrometheus,
                         ::testing::Values(Mesh::Istio, Mesh::AppMesh, Mesh::Traefik, Mesh::GatewayApi,
                                           Mesh::NoMesh),
                         [](const auto& info) { return std::string(aviary::testing::meshName(info.param)); });

// Aviary's own built-in checks, run against what the sandbox's Istio mesh reported.
TEST_F(PrometheusTraffic, AviarysBuiltInIstioChecksSeeTheFaultyCanary) {
  api::MetricCheck successRate;
  successRate.name = "request-success-rate";
  successRate.intervalText = "30s";
  successRate.range.min = 99;
  api::MetricCheck duration;
  duration.name = "request-duration";
  duration.intervalText = "30s";
  duration.range.max = 500;
  const auto istio = aviary::testing::builtInQueriesOf("istio");
  auto canary =
      analysis::runChecks({successRate, duration}, {"e2e-istio", "app", "app", "istio", "", istio}, *client_);
  EXPECT_FALSE(canary[0].passed) << canary[0].message;
  EXPECT_NEAR(canary[0].value.value_or(0), 80, 3);
  EXPECT_TRUE(canary[1].passed) << canary[1].message;
  auto primary = analysis::runChecks({successRate, duration},
                                     {"e2e-istio", "app-primary", "app", "istio", "", istio}, *client_);
  EXPECT_TRUE(primary[0].passed) << primary[0].message;
  EXPECT_TRUE(primary[1].passed) << primary[1].message << " (p99 400 ms configured)";
}

// Issue 12 §5: a check with no values asks the real Prometheus why, and says it.
TEST_F(PrometheusTraffic, ACheckWithNoValuesSaysWhatIsMissing) {
  api::MetricCheck c;
  c.name = "errors";
  c.intervalText = "30s";
  c.range.max = 1;
  const analysis::CheckContext context{"e2e-istio", "app", "app", "istio", "app"};
  c.query =
      R"q(sum(rate(istio_requests_total{destination_workload_namespace="{{ namespace }}",destination_workload="podinfo"}[{{ interval }}])))q";
  auto mislabelled = analysis::runCheck(c, context, *client_);
  EXPECT_FALSE(mislabelled.passed);
  EXPECT_NE(mislabelled.message.find(
                "no series of istio_requests_total matches destination_workload=\"podinfo\" together with "
                "destination_workload_namespace=\"e2e-istio\"; values of destination_workload found: "),
            std::string::npos)
      << mislabelled.message;
  EXPECT_NE(mislabelled.message.find("\"app-primary\""), std::string::npos) << mislabelled.message;
  EXPECT_EQ(mislabelled.message.substr(mislabelled.message.size() - 7), "(max 1)") << mislabelled.message;

  c.query =
      R"q(sum(rate(istio_request_total{destination_workload_namespace="{{ namespace }}"}[{{ interval }}])))q";
  auto misspelt = analysis::runCheck(c, context, *client_);
  EXPECT_NE(misspelt.message.find("Prometheus has no series named \"istio_request_total\""),
            std::string::npos)
      << misspelt.message;

  // The mirror scenario's canary serves no user: a rate of its user requests divided by itself is 0/0.
  c.query =
      R"q(sum(rate(sandbox_user_requests_total{namespace="e2e-mirror",deployment="app"}[{{ interval }}])) / sum(rate(sandbox_user_requests_total{namespace="e2e-mirror",deployment="app"}[{{ interval }}])))q";
  auto noTraffic = analysis::runCheck(c, context, *client_);
  EXPECT_NE(
      noTraffic.message.find("sandbox_user_requests_total{namespace=\"e2e-mirror\",deployment=\"app\"} did "
                             "not increase in the last 30s: no requests reached them"),
      std::string::npos)
      << noTraffic.message;
}

TEST_F(PrometheusTraffic, ABTestingRoutesOnlyTheHeaderShareToTheCanary) {
  EXPECT_NEAR(userShare("e2e-ab", "app", "30s"), 10, 2);
}

TEST_F(PrometheusTraffic, MirroredCopiesHitTheCanaryWhileUsersOnlySeeThePrimary) {
  double canaryRate = value(
      R"q(sum(rate(istio_requests_total{reporter="destination",destination_workload_namespace="e2e-mirror",destination_workload="app"}[30s])))q");
  EXPECT_NEAR(canaryRate, kRps, kRps * 0.05) << "every request is mirrored";
  auto served = client_->query(
      R"(sum(rate(sandbox_user_requests_total{namespace="e2e-mirror",deployment="app"}[30s])))");
  ASSERT_TRUE(served) << served.error().message;
  ASSERT_EQ(served->samples.size(), 1u);
  EXPECT_EQ(served->samples[0].value, 0) << "mirrored copies are not user requests";
  EXPECT_EQ(value(R"(sum(rate(sandbox_user_requests_total{namespace="e2e-mirror",outcome="error"}[30s])))"),
            0);
}

TEST_F(PrometheusTraffic, AWeightChangeShowsInPrometheusWithinTwoScrapeIntervals) {
  MeshScenario s{.mesh = Mesh::Istio, .ns = "e2e-shift", .canaryWeight = 50};
  for (const auto& o : aviary::testing::routingManifests(s)) ASSERT_TRUE(sandbox_->api().apply(o));
  auto changed = std::chrono::steady_clock::now();
  // irate uses the last two scrapes: once both were taken after the change, it shows the new split.
  const std::string query =
      R"q(sum(irate(sandbox_user_requests_total{namespace="e2e-shift",deployment="app"}[5s])) / sum(irate(sandbox_user_requests_total{namespace="e2e-shift"}[5s])) * 100)q";
  bool seen = aviary::testing::eventually(
      [&] {
        auto v = client_->queryValue(query);
        return v && std::abs(*v - 50) < 6;
      },
      std::chrono::seconds(10));
  double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - changed).count();
  ASSERT_TRUE(seen);
  RecordProperty("seconds_until_visible", std::to_string(elapsed));
  // Two 1 s scrape intervals, plus the 100 ms tick and the polling above.
  EXPECT_LT(elapsed, 2.6) << "visible after " << elapsed << " s";
}

TEST(PrometheusClientErrors, ReportBadQueriesMissingDataAndUnreachableServers) {
  PrometheusServer prometheus(PrometheusOptions{});
  ASSERT_TRUE(prometheus.start());
  PrometheusClient client({.url = prometheus.url()});
  auto bad = client.query("sum(rate(x[5m])");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, ErrorCode::Invalid);
  EXPECT_NE(bad.error().message.find("bad_data"), std::string::npos) << bad.error().message;
  auto empty = client.queryValue("sum(rate(no_such_metric[1m]))");
  ASSERT_FALSE(empty);
  EXPECT_EQ(empty.error().message, "no values for sum(rate(no_such_metric[1m]))");
  auto nan = client.queryValue("0/0");
  ASSERT_FALSE(nan) << "NaN is missing data, never a value";
  auto scalar = client.queryValue("scalar(vector(42))");
  ASSERT_TRUE(scalar) << scalar.error().message;
  EXPECT_EQ(*scalar, 42);
  std::string url = prometheus.url();
  prometheus.kill();
  PrometheusClient gone({.url = url, .timeout = std::chrono::milliseconds(2000)});
  auto down = gone.queryValue("vector(1)");
  ASSERT_FALSE(down);
  EXPECT_EQ(down.error().code, ErrorCode::Unavailable) << down.error().message;
}

TEST(PrometheusServerLauncher, FailsClearlyWhenTheBinaryIsMissing) {
  PrometheusServer prometheus(PrometheusOptions{.binary = "no-such-prometheus-binary"});
  auto st = prometheus.start();
  ASSERT_FALSE(st);
  EXPECT_NE(st.error().message.find("run make deps"), std::string::npos);
}

}  // namespace
}  // namespace aviary::sandbox
