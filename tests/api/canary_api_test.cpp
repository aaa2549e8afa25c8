// The Canary API: decoding with Flagger's defaults and field paths, semantic validation, status round
// trips, canonical hashing.
#include <gtest/gtest.h>

#include "tests/support/provider_policy.h"

#include "operator/api/canary.h"
#include "operator/core/duration.h"
#include "sandbox/yaml_json.h"
#include "tests/support/yaml_fixture.h"

namespace aviary::api {
namespace {

Json load(const std::string& yaml) {
  return testing::loadYaml(yaml);
}

const char* kFlaggerTutorial = R"(
apiVersion: aviary.io/v1beta1
kind: Canary
metadata: {name: podinfo, namespace: test, generation: 3}
spec:
  provider: istio
  targetRef: {apiVersion: apps/v1, kind: Deployment, name: podinfo}
  progressDeadlineSeconds: 60
  service:
    port: 9898
    gateways: [mesh]
    retries: {attempts: 3, perTryTimeout: 1s}
  analysis:
    interval: 1m
    threshold: 5
    maxWeight: 50
    stepWeight: 10
    metrics:
    - {name: request-success-rate, thresholdRange: {min: 99}, interval: 1m}
    - {name: request-duration, threshold: 500, interval: 30s}
)";

TEST(Duration, ParsesGoDurations) {
  EXPECT_EQ(parseDuration("30s")->count(), 30'000);
  EXPECT_EQ(parseDuration("1m30s")->count(), 90'000);
  EXPECT_EQ(parseDuration("500ms")->count(), 500);
  EXPECT_EQ(parseDuration("1.5h")->count(), 5'400'000);
  EXPECT_FALSE(parseDuration("one minute"));
  EXPECT_FALSE(parseDuration("10"));
  EXPECT_FALSE(parseDuration(""));
  EXPECT_EQ(formatDuration(std::chrono::milliseconds(90'000)), "1m30s");
  EXPECT_EQ(formatDuration(std::chrono::milliseconds(1500)), "1500ms");
}

TEST(CanaryDecode, AFlaggerManifestDecodesWithFlaggersDefaults) {
  auto r = decodeCanary(load(kFlaggerTutorial));
  ASSERT_TRUE(r.errors.empty()) << r.errors[0].describe();
  const Canary& c = r.canary;
  EXPECT_EQ(c.key(), "test/podinfo");
  EXPECT_EQ(c.generation, 3);
  EXPECT_EQ(c.apexName(), "podinfo");
  EXPECT_EQ(c.primaryName(), "podinfo-primary");
  EXPECT_EQ(c.canaryServiceName(), "podinfo-canary");
  EXPECT_EQ(c.spec.service.portName, "http");
  EXPECT_EQ(c.spec.service.targetPort, 9898) << "targetPort defaults to port";
  EXPECT_EQ(c.spec.analysis.interval.count(), 60'000);
  EXPECT_EQ(c.spec.analysis.maxWeight, 50);
  ASSERT_EQ(c.spec.analysis.metrics.size(), 2u);
  EXPECT_EQ(*c.spec.analysis.metrics[0].range.min, 99);
  // Flagger's deprecated `threshold` on request-duration is a maximum.
  EXPECT_EQ(*c.spec.analysis.metrics[1].range.max, 500);
  EXPECT_FALSE(c.spec.analysis.metrics[1].range.min);
  EXPECT_EQ(c.spec.analysis.metrics[1].interval.count(), 30'000);
  EXPECT_EQ(c.spec.service.retries["attempts"], 3) << "Istio fields pass through";
  EXPECT_TRUE(c.spec.unsupported.empty());
  EXPECT_TRUE(validateCanary(c.spec, c.ns, ValidationPolicy{testing::providersNamed({"istio"})}).empty());
}

TEST(CanaryDecode, ReportsEveryTypeErrorWithItsFieldPath) {
  auto r = decodeCanary(load(R"(
metadata: {name: bad, namespace: test}
spec:
  targetRef: {kind: Deployment}
  service: {port: 70000, hosts: [ok, 3]}
  analysis: {interval: soon, stepWeights: [5, "ten"], threshold: 0, metrics: [{thresholdRange: {min: high}}]}
  suspend: "yes"
)"));
  std::vector<std::string> got;
  for (const auto& e : r.errors) got.push_back(e.describe());
  auto has = [&](const std::string& s) { return std::find(got.begin(), got.end(), s) != got.end(); };
  EXPECT_TRUE(has("spec.targetRef.name: is required"));
  EXPECT_TRUE(has("spec.service.port: must be between 1 and 65535, got 70000"));
  EXPECT_TRUE(has("spec.service.hosts[1]: must be a string"));
  EXPECT_TRUE(has("spec.analysis.interval: \"soon\" is not a duration like 30s, 1m or 1m30s"));
  EXPECT_TRUE(has("spec.analysis.stepWeights[1]: must be an integer from 0 to 100"));
  EXPECT_TRUE(has("spec.analysis.threshold: must be between 1 and 1000000, got 0"));
  EXPECT_TRUE(has("spec.analysis.metrics[0].name: is required"));
  EXPECT_TRUE(has("spec.analysis.metrics[0].thresholdRange.min: must be a number"));
  EXPECT_TRUE(has("spec.suspend: must be true or false"));
  EXPECT_EQ(got.size(), 9u) << ::testing::PrintToString(got);
}

TEST(CanaryValidate, ChecksWhatTheSchemaCannot) {
  auto r = decodeCanary(load(R"(
metadata: {name: c, namespace: test}
spec:
  provider: linkerd2
  targetRef: {apiVersion: apps/v1, kind: DaemonSet, name: app}
  service: {port: 80}
  analysis:
    maxWeight: 30
    stepWeights: [5, 20, 10, 40]
    metrics:
    - {name: error-budget, thresholdRange: {max: 1}}
    - {name: request-success-rate}
    - {name: request-duration, thresholdRange: {min: 10, max: 5}}
)"));
  ASSERT_TRUE(r.errors.empty());
  std::vector<std::string> got;
  for (const auto& e : validateCanary(r.canary.spec, "test",
                                      ValidationPolicy{testing::providersNamed({"istio", "kubernetes"})}))
    got.push_back(e.describe());
  std::vector<std::string> expected = {
      "spec.provider: unknown provider \"linkerd2\" (known: istio, kubernetes)",
      "spec.targetRef.kind: \"DaemonSet\" is not supported yet; use Deployment",
      "spec.analysis.stepWeights[2]: must be greater than the previous step",
      "spec.analysis.metrics[0].name: \"error-budget\" is not a built-in check (request-success-rate, "
      "request-duration); give it a templateRef",
      "spec.analysis.metrics[1].thresholdRange: needs min or max",
      "spec.analysis.metrics[2].thresholdRange: min must not exceed max",
  };
  EXPECT_EQ(got, expected);
}

TEST(CanaryDecode, FeaturesOfLaterReleasesAreAcceptedAndListed) {
  auto r = decodeCanary(load(R"(
metadata: {name: c, namespace: test}
spec:
  targetRef: {apiVersion: apps/v1, kind: Deployment, name: app}
  service: {port: 80}
  analysis:
    stepWeight: 10
    webhooks: [{name: load, url: "http://loadtester/"}]
    alerts: [{name: slack, providerRef: {name: on-call}}]
    mirror: true
  autoscalerRef: {apiVersion: keda.sh/v1alpha1, kind: ScaledObject, name: app}
  revertOnDeletion: true
)"));
  ASSERT_TRUE(r.errors.empty());
  EXPECT_EQ(r.canary.spec.unsupported, (std::vector<std::string>{"spec.autoscalerRef (kind ScaledObject)"}));
  EXPECT_TRUE(r.canary.spec.analysis.mirror) << "mirroring is built: validation asks the provider";
  EXPECT_EQ(r.canary.spec.analysis.alerts[0].severity, "info") << "empty severity means info";
}

TEST(CanaryStatus, RoundTripsThroughJson) {
  CanaryStatus s;
  s.phase = Phase::Progressing;
  s.canaryWeight = 20;
  s.failedChecks = 1;
  s.lastAppliedSpec = "abc";
  s.lastTransitionTime = "2026-11-22T10:00:00Z";
  s.trackedConfigs = {{"configmap/podinfo-config", "123"}};
  s.analysisMetrics.push_back(
      {"request-success-rate", 91.5, {99, std::nullopt}, false, "request-success-rate 91.5 < 99"});
  s.analysisMetrics.push_back(
      {"request-duration", std::nullopt, {std::nullopt, 500}, false, "no values for q"});
  s.setCondition({"Promoted", "Unknown", "Progressing", "msg", 3, "", ""}, "2026-11-22T10:00:00Z");
  CanaryStatus back = decodeStatus(encodeStatus(s));
  EXPECT_EQ(encodeStatus(back), encodeStatus(s));
  EXPECT_EQ(back.phase, Phase::Progressing);
  EXPECT_FALSE(back.analysisMetrics[1].value);
  EXPECT_EQ(*back.analysisMetrics[0].range.min, 99);
}

TEST(CanaryStatus, ConditionsKeepTheirTransitionTimeUnlessTheStatusChanges) {
  CanaryStatus s;
  s.setCondition({"Promoted", "Unknown", "Progressing", "a", 1, "", ""}, "t1");
  s.setCondition({"Promoted", "Unknown", "Progressing", "b", 1, "", ""}, "t2");
  EXPECT_EQ(s.condition("Promoted")->lastTransitionTime, "t1");
  EXPECT_EQ(s.condition("Promoted")->message, "b");
  s.setCondition({"Promoted", "True", "Succeeded", "b", 1, "", ""}, "t3");
  EXPECT_EQ(s.condition("Promoted")->lastTransitionTime, "t3");
  EXPECT_EQ(s.conditions.size(), 1u);
}

TEST(CanonicalHash, IgnoresKeyOrderAndFormattingButNotValues) {
  Json a = Json::parse(
      R"({"spec":{"containers":[{"name":"app","image":"x:1"}]},"metadata":{"labels":{"app":"a"}}})");
  Json b = Json::parse(
      R"({ "metadata": {"labels": {"app": "a"}}, "spec": {"containers": [{"image": "x:1", "name": "app"}]} })");
  EXPECT_EQ(canonicalHash(a), canonicalHash(b));
  b["spec"]["containers"][0]["image"] = "x:2";
  EXPECT_NE(canonicalHash(a), canonicalHash(b));
  // Stable across operator versions: pinned.
  EXPECT_EQ(canonicalHash(Json::parse(R"({"b":1,"a":[true,null,"x"]})")),
            canonicalHash(Json::parse(R"({"a":[true,null,"x"],"b":1})")));
  EXPECT_EQ(canonicalHash(Json::object()),
            "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a");
}

}  // namespace
}  // namespace aviary::api

namespace aviary::api {
namespace {

// Issue 11: a provider that cannot carry out the strategy the spec asks for rejects the Canary, naming
// what it lacks; it never silently degrades (validation reads the registry's capabilities).
TEST(CanaryValidate, AProviderRejectsAStrategyItCannotCarryOut) {
  auto errorsFor = [](const std::string& provider, const std::string& analysis) {
    auto r = decodeCanary(Json::parse(R"({"metadata": {"name": "c", "namespace": "test"}, "spec": {
        "provider": ")" + provider + R"(", "targetRef": {"apiVersion": "apps/v1", "kind": "Deployment",
        "name": "app"}, "service": {"port": 80}, "analysis": )" +
                                      analysis + "}}"));
    EXPECT_TRUE(r.errors.empty());
    std::vector<std::string> out;
    for (const auto& e : validateCanary(r.canary.spec, "test",
                                        ValidationPolicy{testing::providersNamed(
                                            {"istio", "kubernetes", "traefik", "appmesh", "gatewayapi"})}))
      out.push_back(e.describe());
    return out;
  };
  const std::string ab = R"({"iterations": 5, "match": [{"headers": {"x-canary": {"exact": "insider"}}}]})";
  EXPECT_TRUE(errorsFor("istio", ab).empty());
  EXPECT_TRUE(errorsFor("appmesh", ab).empty());
  EXPECT_TRUE(errorsFor("gatewayapi", ab).empty());
  EXPECT_EQ(errorsFor("traefik", ab),
            std::vector<std::string>{
                "spec.analysis.match: provider \"traefik\" does not support request matching (A/B testing)"});
  EXPECT_EQ(errorsFor("appmesh", R"({"iterations": 5, "mirror": true})"),
            std::vector<std::string>{
                "spec.analysis.mirror: provider \"appmesh\" does not support traffic mirroring"});
  EXPECT_TRUE(errorsFor("kubernetes", R"({"iterations": 5})").empty()) << "blue/green by selector";
  EXPECT_EQ(errorsFor("kubernetes", R"({"stepWeight": 10, "maxWeight": 50})"),
            std::vector<std::string>{
                "spec.analysis: provider \"kubernetes\" switches all traffic at once (blue/green by the apex "
                "Service's selector): set analysis.iterations instead of stepWeight or stepWeights"});
  EXPECT_EQ(
      errorsFor("istio", R"({"iterations": 5, "sequential": {"errorRate": true}})"),
      std::vector<std::string>{
          "spec.analysis.sequential: compares the canary's and the primary's shares of one weighted split: "
          "it needs stepWeight or stepWeights, not iterations"});
  EXPECT_TRUE(errorsFor("traefik", R"({"stepWeight": 10, "mirror": true, "mirrorWeight": 50})").empty());

  const std::string sticky =
      R"({"stepWeight": 10, "sessionAffinity": {"cookieName": "canary", "maxAge": 60}})";
  EXPECT_TRUE(errorsFor("istio", sticky).empty());
  EXPECT_TRUE(errorsFor("gatewayapi", sticky).empty());
  EXPECT_EQ(errorsFor("traefik", sticky),
            std::vector<std::string>{"spec.analysis.sessionAffinity: provider \"traefik\" does not support "
                                     "session affinity (cookie-based routing)"});
  EXPECT_EQ(errorsFor("istio", R"({"iterations": 5, "sessionAffinity": {"cookieName": "canary"}})"),
            std::vector<std::string>{
                "spec.analysis.sessionAffinity: keeps users on the canary while its share of the traffic "
                "grows: it needs stepWeight or stepWeights, not iterations"});
  EXPECT_EQ(
      errorsFor("istio", R"({"stepWeight": 10, "match": [{"headers": {"x-canary": {"exact": "insider"}}}],
                             "sessionAffinity": {"cookieName": "canary"}})"),
      std::vector<std::string>{"spec.analysis.sessionAffinity: cannot be combined with analysis.match: both "
                               "decide which requests reach the canary"});
  EXPECT_EQ(errorsFor("istio", R"({"stepWeight": 10, "sessionAffinity": {"cookieName": "can ary;",
                                   "primaryCookieName": "p", "path": "/a;b", "sameSite": "Loose"}})"),
            (std::vector<std::string>{
                "spec.analysis.sessionAffinity.cookieName: must be a cookie name (an RFC 6265 token)",
                "spec.analysis.sessionAffinity.path: must not contain ';' or controls",
                "spec.analysis.sessionAffinity.sameSite: must be Strict, Lax or None"}));
  EXPECT_EQ(errorsFor("istio", R"({"stepWeight": 10, "sessionAffinity": {"cookieName": "c",
                                   "primaryCookieName": "c"}})"),
            std::vector<std::string>{"spec.analysis.sessionAffinity.primaryCookieName: must differ from "
                                     "cookieName"});
}

}  // namespace
}  // namespace aviary::api

namespace aviary::api {
namespace {

// Every sample in config/samples is a Canary this operator accepts as it ships (every built-in provider,
// the default tenant policy): a sample that drifts from the code fails here.
TEST(Samples, EveryShippedSampleIsValid) {
  auto samples = sandbox::loadManifests(std::string(AVIARY_SOURCE_DIR) + "/config/samples");
  ASSERT_TRUE(samples) << samples.error().message;
  ASSERT_GE(samples->size(), 6u);
  const auto providers = mesh::builtInRouters().capabilities();
  for (const auto& sample : *samples) {
    auto r = decodeCanary(sample);
    const std::string name = sample.value("/spec/provider"_json_pointer, std::string("?"));
    EXPECT_TRUE(r.errors.empty()) << name << ": " << r.errors[0].describe();
    EXPECT_TRUE(r.canary.spec.unsupported.empty()) << name;
    for (const auto& e : validateCanary(r.canary.spec, r.canary.ns, ValidationPolicy{providers}))
      ADD_FAILURE() << name << ": " << e.describe();
  }
}

}  // namespace
}  // namespace aviary::api
