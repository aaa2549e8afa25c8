// The Deployment cache's projection (DESIGN §4): what it keeps is enough for every decision the
// reconciler makes from the cache, and what it drops is what makes whole Deployments large.
#include <gtest/gtest.h>

#include "operator/controller/workloads.h"

namespace aviary::controller {
namespace {

const Json kDeployment = Json::parse(R"({
  "apiVersion": "apps/v1", "kind": "Deployment",
  "metadata": {"name": "podinfo", "namespace": "test", "uid": "u-1", "resourceVersion": "42", "generation": 3,
               "labels": {"app": "podinfo"},
               "annotations": {"kubectl.kubernetes.io/last-applied-configuration": "{\"a very\":\"long copy\"}",
                               "team": "payments"},
               "managedFields": [{"manager": "kubectl", "operation": "Apply", "fieldsV1": {"f:spec": {}}}]},
  "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "podinfo"}},
           "strategy": {"type": "RollingUpdate"},
           "template": {"metadata": {"labels": {"app": "podinfo", "aviary.io/arm": "canary"}},
                        "spec": {"containers": [{"name": "podinfod", "image": "podinfo:6.5.0",
                                                 "envFrom": [{"secretRef": {"name": "creds"}}]}],
                                 "volumes": [{"name": "cfg", "configMap": {"name": "settings"}}]}}},
  "status": {"observedGeneration": 3, "replicas": 2, "updatedReplicas": 2, "availableReplicas": 2,
             "readyReplicas": 2,
             "conditions": [{"type": "Available", "status": "True", "reason": "MinimumReplicasAvailable",
                             "message": "Deployment has minimum availability."},
                            {"type": "Progressing", "status": "False", "reason": "ProgressDeadlineExceeded",
                             "message": "ReplicaSet \"podinfo-7d\" has timed out progressing."}]}
})");

TEST(DeploymentProjection, KeepsWhatTheReconcilerDecidesFrom) {
  const Json p = deploymentProjection(kDeployment);
  const WorkloadState whole = observeDeployment(&kDeployment, false), projected = observeDeployment(&p, false);
  EXPECT_EQ(projected.templateHash, templateHash(kDeployment));
  EXPECT_EQ(projected.templateHash, whole.templateHash);
  EXPECT_EQ(projected.replicas, 2);
  EXPECT_EQ(projected.ready, whole.ready);
  EXPECT_TRUE(projected.ready);
  EXPECT_TRUE(projected.progressDeadlineExceeded);
  EXPECT_EQ(selectorLabel(p, {"app"}), selectorLabel(kDeployment, {"app"}));
  EXPECT_EQ(selectorProblem(p, {"name"}), selectorProblem(kDeployment, {"name"}));
  EXPECT_FALSE(selectorProblem(p, {"name"}).empty());
  EXPECT_EQ(deploymentConfigRefs(p), deploymentConfigRefs(kDeployment));
  EXPECT_EQ(deploymentConfigRefs(p).size(), 2u);
  EXPECT_EQ(p["metadata"]["resourceVersion"], "42");
  EXPECT_EQ(p["metadata"]["annotations"]["team"], "payments");
}

TEST(DeploymentProjection, DropsTheTemplateAndWhatMakesObjectsLarge) {
  const Json p = deploymentProjection(kDeployment);
  EXPECT_FALSE(p["metadata"].contains("managedFields"));
  EXPECT_FALSE(p["metadata"]["annotations"].contains("kubectl.kubernetes.io/last-applied-configuration"));
  EXPECT_FALSE(p["spec"]["template"].contains("spec"));
  EXPECT_FALSE(p["spec"].contains("strategy"));
  EXPECT_EQ(p["status"]["conditions"].size(), 1u);
  EXPECT_FALSE(p["status"]["conditions"][0].contains("message"));
  EXPECT_LT(p.dump().size(), kDeployment.dump().size());
}

TEST(DeploymentProjection, AFreshPrimaryIsObservedTheSameWay) {
  Json primary = kDeployment;
  primary["metadata"]["annotations"][kTemplateHashAnnotation] = "abc";
  primary["metadata"]["annotations"][kConfigsChecksumAnnotation] = "def";
  const Json p = deploymentProjection(primary);
  EXPECT_EQ(observeDeployment(&p, true).templateHash, "abc");
  EXPECT_EQ(observeDeployment(&p, true).configsChecksum, "def");
}

}  // namespace
}  // namespace aviary::controller
