// Every field of Flagger's Canary spec (pkg/apis/flagger/v1beta1/canary.go) is declared by crds/canary.yaml
// (a real API server prunes an undeclared field: it would be ignored without a word) and is either
// decoded or reported as not supported yet. Also the fields issue 10 brought: appProtocol, headless,
// delegation, unmanagedMetadata, primaryScalerReplicas and the deprecated spec.canaryAnalysis.
#include <gtest/gtest.h>

#include "tests/support/provider_policy.h"

#include "operator/api/canary.h"
#include "sandbox/api/schema.h"
#include "sandbox/yaml_json.h"
#include "tests/support/yaml_fixture.h"

namespace aviary::api {
namespace {

Json load(const std::string& yaml) {
  return testing::loadYaml(yaml);
}

Json shippedSchema() {
  auto crd = sandbox::loadManifests(std::string(AVIARY_SOURCE_DIR) + "/crds/canary.yaml");
  EXPECT_TRUE(crd);
  return crd->at(0)["spec"]["versions"][0]["schema"]["openAPIV3Schema"];
}

// One Canary with every field Flagger's CanarySpec has (as of fluxcd/flagger main, July 2026).
const char* kEveryFlaggerField = R"yaml(
apiVersion: aviary.io/v1beta1
kind: Canary
metadata: {name: podinfo, namespace: test}
spec:
  provider: istio
  metricsServer: http://prometheus.monitoring:9090
  targetRef: {apiVersion: apps/v1, kind: Deployment, name: podinfo}
  autoscalerRef:
    apiVersion: autoscaling/v2
    kind: HorizontalPodAutoscaler
    name: podinfo
    primaryScalerQueries: {q1: "sum(rate(x[1m]))"}
    primaryScalerReplicas: {minReplicas: 2, maxReplicas: 8}
  ingressRef: {apiVersion: networking.k8s.io/v1, kind: Ingress, name: podinfo}
  routeRef: {apiVersion: apisix.apache.org/v2, kind: ApisixRoute, name: podinfo}
  upstreamRef: {apiVersion: gloo.solo.io/v1, kind: Upstream, name: podinfo, namespace: gloo}
  progressDeadlineSeconds: 60
  skipAnalysis: false
  revertOnDeletion: true
  suspend: false
  service:
    name: podinfo
    port: 9898
    portName: http
    targetPort: 9898
    appProtocol: http
    trafficDistribution: PreferClose
    portDiscovery: false
    headless: true
    timeout: 5s
    backendTimeout: 2s
    gateways: [mesh]
    gatewayRefs: [{name: public, namespace: gateways}]
    hosts: [podinfo.example.com]
    delegation: false
    trafficPolicy: {tls: {mode: ISTIO_MUTUAL}}
    match: [{uri: {prefix: /}}]
    rewrite: {uri: /, authority: podinfo, type: ReplacePrefixMatch}
    retries: {attempts: 3, perTryTimeout: 1s, retryOn: "gateway-error"}
    headers: {request: {add: {x-some-header: value}}}
    mirror: [{backendRef: {name: podinfo-shadow, port: 9898}}]
    corsPolicy: {allowOrigins: [{exact: "https://example.com"}]}
    meshName: global
    backends: [backend.test]
    apex: {labels: {tier: web}, annotations: {note: apex}}
    primary: {labels: {tier: web}, annotations: {note: primary}}
    canary: {labels: {tier: web}, annotations: {note: canary}}
    unmanagedMetadata: {labels: [team], annotations: [lb.example.com/pool]}
  analysis:
    interval: 1m
    iterations: 0
    mirror: false
    mirrorWeight: 0
    maxWeight: 50
    stepWeight: 10
    stepWeightPromotion: 0
    threshold: 5
    primaryReadyThreshold: 100
    canaryReadyThreshold: 100
    alerts:
    - name: on-call
      severity: error
      providerRef: {apiVersion: aviary.io/v1beta1, kind: AlertProvider, name: on-call, namespace: test}
    metrics:
    - name: request-success-rate
      interval: 1m
      threshold: 99
      thresholdRange: {min: 99}
    - name: error-budget
      query: "sum(rate(errors[1m]))"
      templateRef: {apiVersion: aviary.io/v1beta1, kind: MetricTemplate, name: error-budget, namespace: test}
      templateVariables: {app: podinfo}
      thresholdRange: {max: 1}
    webhooks:
    - type: pre-rollout
      name: load
      url: http://loadtester.test/
      muteAlert: true
      timeout: 15s
      metadata: {cmd: "hey http://podinfo:9898/"}
      retries: 2
      disableTLS: true
    match: [{headers: {x-canary: {exact: insider}}}]
    sessionAffinity:
      cookieName: canary
      primaryCookieName: primary
      domain: example.com
      httpOnly: true
      maxAge: 3600
      partitioned: true
      path: /
      sameSite: Lax
      secure: true
)yaml";

TEST(FlaggerFields, EveryFieldOfFlaggersSpecIsDeclaredInTheShippedCrd) {
  Json canary = load(kEveryFlaggerField);
  sandbox::SchemaReport report = sandbox::applySchema(canary, shippedSchema());
  EXPECT_TRUE(report.errors.empty()) << ::testing::PrintToString(report.errors);
  EXPECT_TRUE(report.pruned.empty()) << "a real API server would drop: "
                                     << ::testing::PrintToString(report.pruned);

  // The deprecated spec.canaryAnalysis is declared with the same schema as spec.analysis.
  Json old = load(kEveryFlaggerField);
  old["spec"]["canaryAnalysis"] = old["spec"]["analysis"];
  old["spec"].erase("analysis");
  report = sandbox::applySchema(old, shippedSchema());
  EXPECT_TRUE(report.errors.empty()) << ::testing::PrintToString(report.errors);
  EXPECT_TRUE(report.pruned.empty()) << ::testing::PrintToString(report.pruned);
}

TEST(FlaggerFields, EveryFieldIsDecodedOrReportedAsNotSupportedYet) {
  auto r = decodeCanary(load(kEveryFlaggerField));
  ASSERT_TRUE(r.errors.empty()) << r.errors[0].describe();
  const CanarySpec& s = r.canary.spec;
  EXPECT_EQ(s.unsupported,
            (std::vector<std::string>{"spec.service.trafficDistribution", "spec.service.backendTimeout",
                                      "spec.service.mirror", "spec.ingressRef", "spec.routeRef",
                                      "spec.upstreamRef"}));
  // Session affinity (issue 11) is decoded, every cookie attribute.
  ASSERT_TRUE(s.analysis.sessionAffinity);
  const SessionAffinitySpec& sa = *s.analysis.sessionAffinity;
  EXPECT_EQ(sa.cookieName, "canary");
  EXPECT_EQ(sa.primaryCookieName, "primary");
  EXPECT_EQ(sa.maxAgeSeconds, 3600);
  EXPECT_EQ(sa.domain, "example.com");
  EXPECT_EQ(sa.path, "/");
  EXPECT_EQ(sa.sameSite, "Lax");
  EXPECT_TRUE(sa.httpOnly && sa.secure && sa.partitioned);
  // The fields of the App Mesh and Gateway API routers and of A/B testing are decoded.
  EXPECT_FALSE(s.service.gatewayRefs.empty());
  EXPECT_FALSE(s.service.meshName.empty());
  EXPECT_FALSE(s.service.backends.empty());
  EXPECT_TRUE(s.analysis.match.is_array());
  EXPECT_EQ(s.service.appProtocol, "http");
  EXPECT_TRUE(s.service.headless);
  EXPECT_FALSE(s.service.delegation);
  EXPECT_EQ(s.service.unmanagedMetadata.labels, std::vector<std::string>{"team"});
  EXPECT_EQ(s.service.unmanagedMetadata.annotations, std::vector<std::string>{"lb.example.com/pool"});
  ASSERT_TRUE(s.autoscalerRef);
  EXPECT_EQ(s.autoscalerRef->name, "podinfo");
  EXPECT_EQ(s.autoscalerRef->primaryMinReplicas, 2);
  EXPECT_EQ(s.autoscalerRef->primaryMaxReplicas, 8);
}

TEST(FlaggerFields, PrimaryScalerReplicasAreOptionalEachAndOrdered) {
  auto onlyMax = decodeCanary(load(R"(
metadata: {name: c, namespace: test}
spec:
  targetRef: {apiVersion: apps/v1, kind: Deployment, name: app}
  autoscalerRef: {apiVersion: autoscaling/v2, kind: HorizontalPodAutoscaler, name: app,
                  primaryScalerReplicas: {maxReplicas: 4}}
  service: {port: 80}
)"));
  ASSERT_TRUE(onlyMax.errors.empty());
  EXPECT_FALSE(onlyMax.canary.spec.autoscalerRef->primaryMinReplicas);
  EXPECT_EQ(onlyMax.canary.spec.autoscalerRef->primaryMaxReplicas, 4);
  EXPECT_TRUE(onlyMax.canary.spec.unsupported.empty());

  auto bad = decodeCanary(load(R"(
metadata: {name: c, namespace: test}
spec:
  targetRef: {apiVersion: apps/v1, kind: Deployment, name: app}
  autoscalerRef: {apiVersion: autoscaling/v2, kind: HorizontalPodAutoscaler, name: app,
                  primaryScalerReplicas: {minReplicas: 5, maxReplicas: 4}}
  service: {port: 80}
)"));
  ASSERT_EQ(bad.errors.size(), 1u);
  EXPECT_EQ(bad.errors[0].describe(),
            "spec.autoscalerRef.primaryScalerReplicas.minReplicas: must not exceed maxReplicas 4");
}

TEST(FlaggerFields, TheDeprecatedCanaryAnalysisIsReadWhenAnalysisIsAbsent) {
  const char* yaml = R"(
metadata: {name: c, namespace: test}
spec:
  targetRef: {apiVersion: apps/v1, kind: Deployment, name: app}
  service: {port: 80}
  canaryAnalysis: {interval: 30s, maxWeight: 40, stepWeight: 20, threshold: 3}
)";
  auto r = decodeCanary(load(yaml));
  ASSERT_TRUE(r.errors.empty());
  EXPECT_EQ(r.canary.spec.analysis.interval.count(), 30'000);
  EXPECT_EQ(r.canary.spec.analysis.maxWeight, 40);
  EXPECT_EQ(r.canary.spec.analysis.stepWeight, 20);
  EXPECT_EQ(r.canary.spec.analysis.threshold, 3);

  Json both = load(yaml);
  both["spec"]["analysis"] = {{"interval", "2m"}, {"stepWeight", 5}};
  auto preferred = decodeCanary(both);
  EXPECT_EQ(preferred.canary.spec.analysis.stepWeight, 5) << "analysis wins, as in Flagger's GetAnalysis()";
  EXPECT_EQ(preferred.canary.spec.analysis.maxWeight, 100);

  Json badOld = load(yaml);
  badOld["spec"]["canaryAnalysis"]["threshold"] = "three";
  auto errors = decodeCanary(badOld).errors;
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].path, "spec.canaryAnalysis.threshold") << "errors name the field the user wrote";
}

TEST(FlaggerFields, DelegationExcludesHostsAndGateways) {
  auto r = decodeCanary(load(R"(
metadata: {name: c, namespace: test}
spec:
  targetRef: {apiVersion: apps/v1, kind: Deployment, name: app}
  service: {port: 80, delegation: true, gateways: [mesh]}
  analysis: {stepWeight: 10}
)"));
  ASSERT_TRUE(r.errors.empty());
  EXPECT_TRUE(r.canary.spec.service.delegation);
  auto errors = validateCanary(r.canary.spec, "test", ValidationPolicy{testing::providersNamed({"istio"})});
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].describe(),
            "spec.service.delegation: cannot be combined with spec.service.hosts or gateways");
}

TEST(FlaggerFields, AppProtocolTcpIsReportedUntilTcpRoutesExist) {
  auto r = decodeCanary(load(R"(
metadata: {name: c, namespace: test}
spec:
  targetRef: {apiVersion: apps/v1, kind: Deployment, name: app}
  service: {port: 80, appProtocol: TCP}
)"));
  ASSERT_TRUE(r.errors.empty());
  EXPECT_EQ(r.canary.spec.unsupported, std::vector<std::string>{"spec.service.appProtocol tcp (TCP routes)"});
}

}  // namespace
}  // namespace aviary::api
