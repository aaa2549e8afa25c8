#include "operator/kube/write_through_cache.h"

#include <gtest/gtest.h>

#include "tests/support/memory_kube_client.h"

namespace aviary::kube {
namespace {

// The real API server returns managedFields on every object (the sandbox sets none): a Service the
// operator created carries its field manager's entry, about as large as the rest of the object.
TEST(WriteThroughCache, KeepsNoManagedFieldsButEveryAnnotation) {
  testing::MemoryKubeClient server;
  const Json service = Json::parse(R"({"apiVersion": "v1", "kind": "Service",
    "metadata": {"name": "podinfo", "namespace": "apps",
                 "annotations": {"kubectl.kubernetes.io/last-applied-configuration": "{}", "team": "a"},
                 "managedFields": [{"manager": "aviary", "operation": "Update", "apiVersion": "v1",
                                    "fieldsType": "FieldsV1", "fieldsV1": {"f:spec": {"f:ports": {}}}}]},
    "spec": {"selector": {"app": "podinfo"}, "ports": [{"port": 9898}]}})");
  ASSERT_TRUE(server.create(resources::kServices, "apps", service));
  WriteThroughCache cache(server, {resources::kServices});
  for (int read = 0; read < 2; ++read) {  // the answer, then the cached copy
    auto got = cache.get(resources::kServices, "apps", "podinfo");
    ASSERT_TRUE(got) << got.error().message;
    EXPECT_FALSE((*got)["metadata"].contains("managedFields")) << "read " << read;
    // A PUT built from the copy must not drop a user's annotation (only managedFields may be omitted).
    EXPECT_EQ((*got)["metadata"]["annotations"], service["metadata"]["annotations"]) << "read " << read;
    EXPECT_EQ((*got)["spec"], service["spec"]);
  }
  EXPECT_EQ(cache.misses(), 1u);
  EXPECT_EQ(cache.hits(), 1u);
}

}  // namespace
}  // namespace aviary::kube
