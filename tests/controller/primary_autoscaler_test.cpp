// The primary's HorizontalPodAutoscaler as Aviary writes it: a copy of the target's aimed at the primary,
// with spec.autoscalerRef.primaryScalerReplicas replacing the replica bounds when set.
#include "operator/controller/primary_autoscaler.h"

#include <gtest/gtest.h>

#include "sandbox/yaml_json.h"

namespace aviary::controller {
namespace {

using Json = nlohmann::json;

Json targetsHpa() {
  auto docs = sandbox::yamlDocumentsToJson(R"(
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: podinfo, namespace: test, resourceVersion: "7"}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: podinfo}
  minReplicas: 2
  maxReplicas: 4
  metrics: [{type: Resource, resource: {name: cpu, target: {type: Utilization, averageUtilization: 90}}}]
  behavior: {scaleDown: {stabilizationWindowSeconds: 60}}
)",
                                           "hpa");
  EXPECT_TRUE(docs);
  return docs->at(0);
}

api::Canary canary() {
  api::Canary c;
  c.ns = "test";
  c.name = "podinfo";
  c.uid = "0f1e2d3c-0000-4000-8000-000000000003";
  c.spec.targetRef = {"apps/v1", "Deployment", "podinfo", ""};
  api::AutoscalerRef ref;
  ref.apiVersion = "autoscaling/v2";
  ref.kind = "HorizontalPodAutoscaler";
  ref.name = "podinfo";
  c.spec.autoscalerRef = ref;
  return c;
}

TEST(PrimaryAutoscaler, CopiesTheTargetsAimedAtThePrimary) {
  Json hpa = primaryAutoscaler(canary(), targetsHpa());
  EXPECT_EQ(hpa["metadata"]["name"], "podinfo-primary");
  EXPECT_FALSE(hpa["metadata"].contains("resourceVersion"));
  EXPECT_EQ(hpa["metadata"]["ownerReferences"][0]["uid"], "0f1e2d3c-0000-4000-8000-000000000003");
  EXPECT_EQ(hpa["spec"]["scaleTargetRef"]["name"], "podinfo-primary");
  EXPECT_EQ(hpa["spec"]["minReplicas"], 2);
  EXPECT_EQ(hpa["spec"]["maxReplicas"], 4);
  EXPECT_EQ(hpa["spec"]["metrics"], targetsHpa()["spec"]["metrics"]);
  EXPECT_EQ(hpa["spec"]["behavior"], targetsHpa()["spec"]["behavior"]);
}

TEST(PrimaryAutoscaler, PrimaryScalerReplicasReplaceTheBounds) {
  api::Canary c = canary();
  c.spec.autoscalerRef->primaryMinReplicas = 3;
  c.spec.autoscalerRef->primaryMaxReplicas = 12;
  Json hpa = primaryAutoscaler(c, targetsHpa());
  EXPECT_EQ(hpa["spec"]["minReplicas"], 3);
  EXPECT_EQ(hpa["spec"]["maxReplicas"], 12);

  c.spec.autoscalerRef->primaryMinReplicas.reset();  // each bound on its own, as in Flagger
  hpa = primaryAutoscaler(c, targetsHpa());
  EXPECT_EQ(hpa["spec"]["minReplicas"], 2);
  EXPECT_EQ(hpa["spec"]["maxReplicas"], 12);
}

}  // namespace
}  // namespace aviary::controller
