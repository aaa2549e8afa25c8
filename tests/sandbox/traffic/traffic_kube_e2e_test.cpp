// End to end on the real test bed (issue 9 §3): a real control plane (kube-apiserver, etcd,
// kube-controller-manager, kube-scheduler, kwok) runs the scenario the sandbox's traffic tests use; the
// traffic simulator follows it as a client (RemoteTraffic: watches of Services, Pods, EndpointSlices and
// the Istio objects), a real Prometheus scrapes it, and the same checks as on the sandbox bed hold:
// Flagger's built-in Istio success rate sees the faulty canary at 80 %, the users' share at the canary is
// the VirtualService's 10 %. One control plane for the whole binary (ctest runs it as one test).
#include <gtest/gtest.h>

#include "tests/support/provider_policy.h"

#include <cmath>
#include <iostream>
#include <sstream>
#include <thread>

#include "analysis/checks/metric_checks.h"
#include "analysis/prometheus/prometheus_client.h"
#include "sandbox/prometheus/prometheus_server.h"
#include "sandbox/traffic/remote/remote_traffic.h"
#include "tests/support/control_plane.h"
#include "tests/support/eventually.h"
#include "tests/support/kubectl_runner.h"
#include "tests/support/mesh_scenarios.h"
#include "tests/support/metrics_text.h"

namespace aviary::sandbox::traffic {
namespace {

using analysis::PrometheusClient;
using aviary::testing::Mesh;
using aviary::testing::MeshScenario;
using Seconds = std::chrono::duration<double>;

constexpr char kNs[] = "traffic-kube";
constexpr int kRps = 2000;
// Long enough for ±3 points on an 80 % success rate at 200 canary requests per second; short enough to
// keep the whole binary under a minute.
constexpr int kWindowSeconds = 15;

double secondsSince(std::chrono::steady_clock::time_point t) {
  return Seconds(std::chrono::steady_clock::now() - t).count();
}

class KubeTrafficEnvironment : public ::testing::Environment {
 public:
  void SetUp() override {
    controlPlane_ = new aviary::testing::ControlPlane();
    if (auto st = controlPlane_->start(); !st) return fail(st.error().message);
    kubectl_ = new aviary::testing::Kubectl(controlPlane_->adminKubeconfig());
    if (std::string e = applyScenario(); !e.empty()) return fail(e);

    auto started = std::chrono::steady_clock::now();
    traffic_ = new RemoteTraffic();
    if (auto st = traffic_->start(controlPlane_->adminKubeconfig()); !st) return fail(st.error().describe());
    prometheus_ = new PrometheusServer(PrometheusOptions{.scrapeTargets = {traffic_->metricsTarget()}});
    if (auto st = prometheus_->start(); !st) return fail(st.error().describe());  // returns after a scrape
    firstScrapeSeconds_ = secondsSince(started);
    client_ = new PrometheusClient({.url = prometheus_->url()});

    // Observe from when every version serves users (all pods ready and in their EndpointSlices).
    bool serving = aviary::testing::eventually(
        [&] {
          std::string text = traffic_->simulator().renderMetrics();
          return aviary::testing::sumSamples(text, "sandbox_user_requests_total", {{"deployment", "app"}}) >
                     0 &&
                 aviary::testing::sumSamples(text, "sandbox_user_requests_total",
                                             {{"deployment", "app-primary"}}) > 0;
        },
        std::chrono::seconds(20));
    if (!serving)
      return fail("no user requests reached both versions:\n" + traffic_->simulator().renderMetrics());
    std::this_thread::sleep_for(std::chrono::seconds(kWindowSeconds) + std::chrono::milliseconds(1500));
  }

  void TearDown() override {
    delete client_;
    delete prometheus_;
    delete traffic_;
    delete kubectl_;
    delete controlPlane_;  // stops it and removes its folder
    delete setupError_;
  }

  static inline aviary::testing::ControlPlane* controlPlane_ = nullptr;
  static inline aviary::testing::Kubectl* kubectl_ = nullptr;
  static inline RemoteTraffic* traffic_ = nullptr;
  static inline PrometheusServer* prometheus_ = nullptr;
  static inline PrometheusClient* client_ = nullptr;
  static inline std::string* setupError_ = nullptr;
  static inline double firstScrapeSeconds_ = 0;

 private:
  static void fail(const std::string& message) { setupError_ = new std::string(message); }

  // The sandbox traffic tests' Istio scenario: Deployments app-primary (2 pods, p99 400 ms) and app (the
  // canary, 1 pod failing 20 %), Services app (apex, 2000 rps), app-primary and app-canary, and a
  // VirtualService sending 90/10.
  static std::string applyScenario() {
    auto& kubectl = *kubectl_;
    auto crds = kubectl("apply -f " + std::string(AVIARY_SOURCE_DIR) + "/sandbox/crds/istio.yaml");
    if (crds.exitCode != 0) return "istio CRDs: " + crds.output;
    auto established = kubectl(
        "wait --for condition=established --timeout=30s crd/virtualservices.networking.istio.io "
        "crd/destinationrules.networking.istio.io");
    if (established.exitCode != 0) return "istio CRDs not established: " + established.output;
    MeshScenario s{.mesh = Mesh::Istio, .ns = kNs, .canaryWeight = 10, .rps = kRps};
    s.primaryAnnotations = "{sandbox.aviary.io/latency-ms: \"p50=30,p99=400\"}";
    s.canaryAnnotations = "{sandbox.aviary.io/error-rate: \"0.2\"}";
    Json list = {{"apiVersion", "v1"}, {"kind", "List"}, {"items", aviary::testing::scenarioManifests(s)}};
    auto applied = kubectl("apply -f -", list.dump());
    if (applied.exitCode != 0) return "scenario: " + applied.output;
    return {};
  }
};
[[maybe_unused]] const auto* const kEnvironment =
    ::testing::AddGlobalTestEnvironment(new KubeTrafficEnvironment);

class KubeTraffic : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(KubeTrafficEnvironment::setupError_, nullptr) << *KubeTrafficEnvironment::setupError_;
  }

  double value(const std::string& query) const {
    auto v = client_->queryValue(query);
    EXPECT_TRUE(v) << v.error().message;
    return v ? *v : std::nan("");
  }

  // Flagger's built-in Istio request-success-rate, as Aviary's analysis runs it.
  double successRate(const std::string& target) const {
    const auto queries = testing::builtInQueriesOf("istio");
    auto query = queries.find("request-success-rate");
    EXPECT_NE(query, queries.end());
    if (query == queries.end()) return std::nan("");
    auto rendered = analysis::renderTemplateQuery(
        query->second, {.ns = kNs, .target = target, .interval = std::to_string(kWindowSeconds) + "s"});
    if (!rendered) {
      ADD_FAILURE() << rendered.error().message;
      return std::nan("");
    }
    return value(*rendered);
  }

  // The share of user requests (ground truth) that a Deployment's pods served, in percent.
  double userShare(const std::string& deployment) const {
    std::string window = "[" + std::to_string(kWindowSeconds) + "s]";
    return value("sum(rate(sandbox_user_requests_total{namespace=\"" + std::string(kNs) + "\",deployment=\"" +
                 deployment + "\"}" + window + ")) / sum(rate(sandbox_user_requests_total{namespace=\"" +
                 kNs + "\"}" + window + ")) * 100");
  }

  PrometheusClient* client_ = KubeTrafficEnvironment::client_;
  RemoteTraffic* traffic_ = KubeTrafficEnvironment::traffic_;
};

TEST_F(KubeTraffic, FlaggersIstioSuccessRateAndTheUsersSplitMatchTheConfiguration) {
  double controlPlaneSeconds = KubeTrafficEnvironment::controlPlane_->secondsToReady();
  RecordProperty("control_plane_seconds", std::to_string(controlPlaneSeconds));
  RecordProperty("seconds_to_first_scrape", std::to_string(KubeTrafficEnvironment::firstScrapeSeconds_));
  std::cout << "control plane ready in " << controlPlaneSeconds << " s; traffic start to first scrape "
            << KubeTrafficEnvironment::firstScrapeSeconds_ << " s\n";
  EXPECT_EQ(traffic_->simulator().routingSource(kNs, "app"), std::string("VirtualService ") + kNs + "/app");
  double canary = successRate("app"), primary = successRate("app-primary"), share = userShare("app");
  std::cout << "canary success " << canary << " %, primary success " << primary << " %, canary user share "
            << share << " %\n";
  RecordProperty("canary_success_percent", std::to_string(canary));
  RecordProperty("canary_user_share_percent", std::to_string(share));
  EXPECT_NEAR(canary, 80, 3) << "the canary's pods fail 20% of requests";
  EXPECT_GE(primary, 99.5);
  EXPECT_NEAR(share, 10, 2) << "VirtualService weight 10";
  EXPECT_NEAR(userShare("app-primary"), 90, 2);
}

TEST_F(KubeTraffic, SeriesNameTheRealPodsAndTheirDeployment) {
  std::string text = traffic_->simulator().renderMetrics();
  auto pods = (*KubeTrafficEnvironment::kubectl_)("get pods -n " + std::string(kNs) +
                                                  " -o jsonpath='{.items[*].metadata.name}'");
  ASSERT_EQ(pods.exitCode, 0) << pods.output;
  std::istringstream names(pods.output);
  int count = 0;
  for (std::string pod; names >> pod; ++count) {
    EXPECT_GT(aviary::testing::sumSamples(text, "http_request_duration_seconds_count",
                                          {{"kubernetes_pod_name", pod}}),
              0)
        << pod << " serves no requests";
  }
  EXPECT_EQ(count, 3);
  // Before the pods were ready their Services had no endpoints (503s, as on a real mesh); not since.
  auto none = client_->query("sum(rate(sandbox_user_requests_total{namespace=\"" + std::string(kNs) +
                             "\",deployment=\"none\"}[" + std::to_string(kWindowSeconds) + "s]))");
  ASSERT_TRUE(none) << none.error().message;
  for (const auto& sample : none->samples) EXPECT_EQ(sample.value, 0);
}

TEST_F(KubeTraffic, MeshTypesWithoutTheirCrdAreNotWatched) {
  auto feeds = traffic_->source().watchedFeeds();
  std::vector<FeedId> expected = {kServicesFeed, kPodsFeed, kEndpointSlicesFeed,
                                  meshFeed(MeshResource::IstioVirtualService),
                                  meshFeed(MeshResource::IstioDestinationRule)};
  EXPECT_EQ(feeds, expected) << "App Mesh, Traefik and Gateway API CRDs are not installed";
}

// Last: it moves the split.
TEST_F(KubeTraffic, AWeightChangeShowsInPrometheusWithinTwoScrapeIntervals) {
  MeshScenario s{.mesh = Mesh::Istio, .ns = kNs, .canaryWeight = 50};
  Json list = {{"apiVersion", "v1"}, {"kind", "List"}, {"items", aviary::testing::routingManifests(s)}};
  auto applied = (*KubeTrafficEnvironment::kubectl_)("apply -f -", list.dump());
  ASSERT_EQ(applied.exitCode, 0) << applied.output;
  auto changed = std::chrono::steady_clock::now();
  const std::string query =
      "sum(irate(sandbox_user_requests_total{namespace=\"" + std::string(kNs) +
      "\",deployment=\"app\"}[5s])) / sum(irate(sandbox_user_requests_total{namespace=\"" + kNs +
      "\"}[5s])) * 100";
  bool seen = aviary::testing::eventually(
      [&] {
        auto v = client_->queryValue(query);
        return v && std::abs(*v - 50) < 6;
      },
      std::chrono::seconds(10));
  double elapsed = secondsSince(changed);
  ASSERT_TRUE(seen);
  RecordProperty("seconds_until_visible", std::to_string(elapsed));
  std::cout << "weight change visible in Prometheus after " << elapsed << " s\n";
  // Two 1 s scrape intervals, the watch's delivery and the 100 ms tick.
  EXPECT_LT(elapsed, 3.0) << "visible after " << elapsed << " s";
}

}  // namespace
}  // namespace aviary::sandbox::traffic
