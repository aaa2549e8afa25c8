// PackedJson: what the caches keep instead of parsed objects (packed_json.h).
#include <gtest/gtest.h>

#include "operator/kube/packed_json.h"

namespace aviary::kube {
namespace {

TEST(PackedJson, UnpacksToTheSameObject) {
  const Json object = Json::parse(R"({
    "metadata": {"name": "podinfo", "namespace": "test", "resourceVersion": "42", "generation": 3,
                 "labels": {"app": "podinfo"}, "annotations": {}},
    "spec": {"replicas": 2, "paused": false, "weights": [0, 12.5, -1, 18446744073709551615],
             "none": null, "text": "ünïcödé \"quoted\"\n"},
    "empty": [], "nested": [[{"a": [{}]}]]
  })");
  const PackedJson packed(object);
  EXPECT_EQ(packed.unpack(), object);
  // Integers stay integers (a float would write "2.0" where the API server expects 2).
  EXPECT_TRUE(packed.unpack()["spec"]["replicas"].is_number_integer());
  EXPECT_TRUE(packed.unpack()["spec"]["weights"][3].is_number_unsigned());
}

TEST(PackedJson, IsSmallerThanTheText) {
  // A Deployment's projection as the cache keeps it: MessagePack drops the quotes, colons and commas.
  const Json object = Json::parse(R"({"apiVersion":"apps/v1","kind":"Deployment",
    "metadata":{"name":"podinfo-primary","namespace":"scale-3","uid":"6f1d2c3e-8a9b-4c5d-9e0f-112233445566",
                "resourceVersion":"123456","generation":3,"labels":{"app":"podinfo-primary"}},
    "spec":{"replicas":1,"selector":{"matchLabels":{"app":"podinfo-primary"}}},
    "status":{"observedGeneration":3,"replicas":1,"updatedReplicas":1,"availableReplicas":1}})");
  const PackedJson packed(object);
  EXPECT_GT(packed.size(), 0u);
  EXPECT_LT(packed.size(), object.dump().size());
}

TEST(PackedJson, NullPointersStayNull) {
  EXPECT_EQ(unpacked(nullptr), nullptr);
  auto one = unpacked(std::make_shared<const PackedJson>(Json{{"a", 1}}));
  ASSERT_NE(one, nullptr);
  EXPECT_EQ((*one)["a"], 1);
}

}  // namespace
}  // namespace aviary::kube
