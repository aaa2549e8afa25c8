// What the Canary cache keeps (cached_canary.h): the keys its indexes and handlers read, and the object
// without the bookkeeping a reconcile never reads.
#include <gtest/gtest.h>

#include "operator/controller/cached_canary.h"

namespace aviary::controller {
namespace {

const kube::Json kCanary = kube::Json::parse(R"({
  "apiVersion": "aviary.io/v1beta1", "kind": "Canary",
  "metadata": {"name": "podinfo", "namespace": "test", "resourceVersion": "7", "uid": "u-1",
               "annotations": {"kubectl.kubernetes.io/last-applied-configuration": "{\"whole\":\"copy\"}",
                               "team": "payments"},
               "managedFields": [{"manager": "kubectl", "operation": "Apply", "fieldsV1": {"f:spec": {}}}]},
  "spec": {"targetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "podinfo-app"},
           "service": {"port": 9898},
           "analysis": {"interval": "10s", "threshold": 2, "stepWeight": 10, "maxWeight": 50}},
  "status": {"phase": "Progressing", "canaryWeight": 20, "failedChecks": 1}
})");

TEST(CachedCanary, KeepsTheKeysItsIndexesRead) {
  const CachedCanary c = CachedCanary::of(kCanary);
  EXPECT_EQ(c.key, "test/podinfo");
  EXPECT_EQ(c.resourceVersion, "7");
  EXPECT_EQ(c.targetKey, "test/podinfo-app");
  EXPECT_EQ(c.apexKey, "test/podinfo-app") << "no service.name: the apex is named after the target";
  kube::Json named = kCanary;
  named["spec"]["service"]["name"] = "frontend";
  EXPECT_EQ(CachedCanary::of(named).apexKey, "test/frontend");
}

TEST(CachedCanary, TheObjectIsTheCanaryWithoutItsBookkeeping) {
  const kube::Json object = CachedCanary::of(kCanary).object.unpack();
  EXPECT_EQ(object["spec"], kCanary["spec"]);
  EXPECT_EQ(object["status"], kCanary["status"]);
  EXPECT_EQ(object["metadata"]["uid"], "u-1");
  EXPECT_EQ(object["metadata"]["annotations"], kube::Json({{"team", "payments"}}));
  EXPECT_FALSE(object["metadata"].contains("managedFields"));
}

}  // namespace
}  // namespace aviary::controller
