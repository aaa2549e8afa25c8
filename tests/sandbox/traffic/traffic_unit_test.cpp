// Unit tests of the traffic simulator's pieces: latency model, annotations, names, matching, exposition.
#include <gtest/gtest.h>

#include <cmath>
#include <regex>

#include "sandbox/traffic/cluster_view.h"
#include "sandbox/traffic/latency_model.h"
#include "sandbox/traffic/route_table.h"
#include "sandbox/traffic/series_registry.h"
#include "sandbox/traffic/session_clients.h"
#include "sandbox/traffic/traffic_plan.h"
#include "tests/support/metrics_text.h"

namespace aviary::sandbox::traffic {
namespace {

// RFC 6265 as a browser applies it: Max-Age in seconds, ≤ 0 removes, a same-named cookie replaces.
TEST(SimulatedClient, KeepsCookiesUntilTheyExpireOrAreRemoved) {
  SimulatedClient c;
  EXPECT_EQ(c.cookieHeader(0), "");
  c.receive("canary=abc; Max-Age=60; Path=/; HttpOnly; SameSite=Lax", 0);
  c.receive("theme=dark", 0);  // no Max-Age: kept for the session
  EXPECT_EQ(c.cookieHeader(10), "canary=abc; theme=dark");
  c.receive("canary=def; max-age=60", 10);  // replaces, attribute names are case-insensitive
  EXPECT_EQ(c.cookieHeader(69), "canary=def; theme=dark") << "the first cookie's expiry no longer applies";
  EXPECT_EQ(c.cookieHeader(70), "theme=dark") << "expired at 10 + 60 s";
  c.receive("theme=dark; Max-Age=0", 70);
  EXPECT_EQ(c.cookieHeader(70), "");
  c.receive("no-equals-sign; Max-Age=10", 70);
  c.receive("=value", 70);
  EXPECT_EQ(c.cookieHeader(70), "") << "values without a name are ignored";
  c.receive("late=1; Max-Age=soon", 70);
  EXPECT_EQ(c.cookieHeader(1e9), "late=1") << "an unparsable Max-Age is ignored (RFC 6265 §5.2.2)";
}

TEST(SessionClients, CountsAMoveWhenAnotherDeploymentServesAClient) {
  SeriesRegistry series;
  SessionClients clients("ns", "app", 2);
  clients.served(clients[0], "app-primary", series);
  clients.served(clients[0], "app-primary", series);
  clients.served(clients[0], "app", series);
  clients.served(clients[1], "app", series);
  clients.served(clients[0], "app-primary", series);
  std::string text;
  series.render(text);
  EXPECT_EQ(
      testing::sumSamples(text, "sandbox_user_session_moves_total", {{"from", "app-primary"}, {"to", "app"}}),
      1);
  EXPECT_EQ(
      testing::sumSamples(text, "sandbox_user_session_moves_total", {{"from", "app"}, {"to", "app-primary"}}),
      1);
}

TEST(LatencyModel, FitsTheRequestedQuantiles) {
  LatencyModel m(20, 150);
  EXPECT_NEAR(m.quantileMs(0.5), 20, 0.01);
  EXPECT_NEAR(m.quantileMs(0.99), 150, 0.1);
  double total = 0;
  for (std::size_t b = 0; b < kFineBins; ++b) total += m.binProbability(b);
  EXPECT_NEAR(total, 1, 1e-9);
}

TEST(LatencyModel, SampledRequestsReproduceP50AndP99Bins) {
  LatencyModel m(20, 150);
  FastRandom random(7);
  std::array<uint64_t, kFineBins> counts{};
  const int n = 200'000;
  double sum = 0;
  for (int i = 0; i < n; ++i) {
    auto bin = m.binFor(random.uniform());
    ++counts[bin];
    sum += m.binMeanMs(bin);
  }
  // The fine bin holding the 50th and 99th percentiles of the samples must hold p50 and p99.
  auto binOfQuantile = [&](double q) {
    uint64_t cumulative = 0;
    for (std::size_t b = 0; b < kFineBins; ++b) {
      cumulative += counts[b];
      if (cumulative >= q * n) return b;
    }
    return kFineBins - 1;
  };
  auto binOfValue = [](double ms) {
    return static_cast<std::size_t>(std::lower_bound(kFineBoundsMs.begin(), kFineBoundsMs.end(), ms) -
                                    kFineBoundsMs.begin());
  };
  EXPECT_EQ(binOfQuantile(0.5), binOfValue(20));
  EXPECT_EQ(binOfQuantile(0.99), binOfValue(150));
  // The mean of a log-normal is exp(mu + sigma²/2).
  double sigma = std::log(150.0 / 20) / 2.3263478740408408;
  EXPECT_NEAR(sum / n, 20 * std::exp(sigma * sigma / 2), 0.5);
}

TEST(LatencyModel, ParsesAnnotationsAndRejectsNonsense) {
  auto m = LatencyModel::parse("p50=20, p99=150ms");
  ASSERT_TRUE(m);
  EXPECT_DOUBLE_EQ(m->p50Ms(), 20);
  EXPECT_DOUBLE_EQ(m->p99Ms(), 150);
  EXPECT_DOUBLE_EQ(LatencyModel::parse("p99=400")->p50Ms(), 100);
  EXPECT_FALSE(LatencyModel::parse("p50=200,p99=100"));  // p99 below p50
  EXPECT_FALSE(LatencyModel::parse("p50=fast"));
  EXPECT_FALSE(LatencyModel::parse("p75=3"));
  EXPECT_FALSE(LatencyModel::parse(""));
}

TEST(ClusterView, ParsesTrafficHeaderMixes) {
  auto mix = ClusterView::parseHeaderMix("x-canary=insider:10%, Cookie=user=beta:0.05, broken, x=y:lots");
  ASSERT_EQ(mix.size(), 2u);
  EXPECT_EQ(mix[0].name, "x-canary");
  EXPECT_EQ(mix[0].value, "insider");
  EXPECT_DOUBLE_EQ(mix[0].share, 0.10);
  EXPECT_EQ(mix[1].name, "cookie");
  EXPECT_EQ(mix[1].value, "user=beta");
  EXPECT_DOUBLE_EQ(mix[1].share, 0.05);
}

TEST(ClusterView, PodNamesLookLikeTheDeploymentControllersAndMatchFlaggersPattern) {
  nlohmann::json templ = {{"metadata", {{"labels", {{"app", "podinfo"}}}}}};
  std::string hash = ClusterView::podTemplateHash(templ);
  EXPECT_EQ(hash, ClusterView::podTemplateHash(templ)) << "stable";
  templ["metadata"]["annotations"] = {{"x", "y"}};
  EXPECT_NE(hash, ClusterView::podTemplateHash(templ)) << "changes with the template";
  std::string canaryPod = ClusterView::podName("podinfo", hash, 0);
  std::string primaryPod = ClusterView::podName("podinfo-primary", hash, 0);
  EXPECT_NE(canaryPod, ClusterView::podName("podinfo", hash, 1));
  // The pattern Flagger's built-in queries use for kubernetes_pod_name, anchored as PromQL anchors it.
  std::regex canaryPattern("podinfo-[0-9a-zA-Z]+(-[0-9a-zA-Z]+)");
  EXPECT_TRUE(std::regex_match(canaryPod, canaryPattern)) << canaryPod;
  EXPECT_FALSE(std::regex_match(primaryPod, canaryPattern)) << primaryPod;
  EXPECT_TRUE(std::regex_match(primaryPod, std::regex("podinfo-primary-[0-9a-zA-Z]+(-[0-9a-zA-Z]+)")));
}

TEST(RouteTable, ResolvesKubernetesHostNames) {
  using P = std::pair<std::string, std::string>;
  EXPECT_EQ(resolveServiceHost("app", "test"), P("test", "app"));
  EXPECT_EQ(resolveServiceHost("app.prod", "test"), P("prod", "app"));
  EXPECT_EQ(resolveServiceHost("app.prod.svc", "test"), P("prod", "app"));
  EXPECT_EQ(resolveServiceHost("app.prod.svc.cluster.local", "test"), P("prod", "app"));
  EXPECT_FALSE(resolveServiceHost("app.example.com", "test"));
  EXPECT_FALSE(resolveServiceHost("", "test"));
}

TEST(RouteTable, StringMatchesFollowEnvoy) {
  std::string cookie = "session=1;canary=always; theme=dark";
  // Flagger's documented A/B cookie match: a full-string regex.
  auto re = StringMatch::regexOf("^(.*?;)?(canary=always)(;.*)?$");
  EXPECT_TRUE(re.matches(&cookie));
  auto partial = StringMatch::regexOf("canary=always");
  EXPECT_FALSE(partial.matches(&cookie)) << "regex matches are full matches";
  EXPECT_FALSE(StringMatch::regexOf("([").matches(&cookie)) << "an invalid pattern matches nothing";
  EXPECT_FALSE(StringMatch::exact("x").matches(nullptr));
  auto absent = StringMatch::present();
  absent.invert = true;
  EXPECT_TRUE(absent.matches(nullptr));
  std::string path = "/api/v1";
  EXPECT_TRUE(StringMatch::prefix("/api").matches(&path));
  EXPECT_TRUE(StringMatch::suffix("v1").matches(&path));
}

TEST(SeriesRegistry, RendersEachFamilyAsItsExporterDoes) {
  SeriesRegistry registry;
  Series* istio =
      registry.series(Family::Istio, {{"destination_workload", "app"}, {"reporter", "destination"}}, "");
  Series* traefik = registry.series(Family::Traefik, {{"service", "ns-app-80@kubernetescrd"}}, "");
  Series* user = registry.series(Family::UserOutcome, {{"deployment", "app"}}, "");
  LatencyModel m(20, 150);
  for (int i = 0; i < 100; ++i) {
    std::size_t bin = m.binFor(i / 100.0);
    istio->record(i < 10 ? 500 : 200, bin, m.binMeanMs(bin));
    traefik->record(200, bin, m.binMeanMs(bin));
    user->recordOutcome(i < 10 ? 500 : 200);
  }
  std::string text;
  registry.render(text);
  using testing::sumSamples;
  EXPECT_EQ(sumSamples(text, "istio_requests_total", {{"response_code", "500"}}), 10);
  EXPECT_EQ(sumSamples(text, "istio_requests_total"), 100);
  EXPECT_EQ(sumSamples(text, "istio_request_duration_milliseconds_bucket", {{"le", "+Inf"}}), 100);
  EXPECT_EQ(sumSamples(text, "istio_request_duration_milliseconds_count"), 100);
  // Cumulative buckets: everything at or under 250 ms (p99 is 150).
  EXPECT_GE(sumSamples(text, "istio_request_duration_milliseconds_bucket", {{"le", "250"}}), 99);
  EXPECT_EQ(sumSamples(text, "traefik_service_request_duration_seconds_bucket", {{"le", "0.3"}}), 100);
  EXPECT_GT(sumSamples(text, "traefik_service_request_duration_seconds_sum"), 1.0);  // seconds, not ms
  EXPECT_LT(sumSamples(text, "traefik_service_request_duration_seconds_sum"), 10.0);
  EXPECT_EQ(sumSamples(text, "sandbox_user_requests_total", {{"outcome", "error"}}), 10);
  EXPECT_EQ(sumSamples(text, "sandbox_user_requests_total", {{"outcome", "success"}}), 90);
  // One TYPE line per family, before its samples.
  EXPECT_EQ(text.find("# TYPE istio_requests_total counter"),
            text.rfind("# TYPE istio_requests_total counter"));
  EXPECT_LT(text.find("# TYPE istio_requests_total"), text.find("istio_requests_total{"));
}

TEST(SeriesRegistry, DropsTheSeriesOfPodsThatAreGone) {
  SeriesRegistry registry;
  registry.series(Family::App, {{"kubernetes_pod_name", "a-1"}}, "pod:ns/a-1")->record(200, 3, 7);
  registry.series(Family::App, {{"kubernetes_pod_name", "a-2"}}, "pod:ns/a-2")->record(200, 3, 7);
  registry.series(Family::UserOutcome, {{"deployment", "a"}}, "")->recordOutcome(200);
  registry.collectGarbage({"pod:ns/a-2"});
  EXPECT_EQ(registry.size(), 2u);
  std::string text;
  registry.render(text);
  EXPECT_EQ(text.find("a-1"), std::string::npos);
  EXPECT_NE(text.find("a-2"), std::string::npos);
}

}  // namespace
}  // namespace aviary::sandbox::traffic
