#include "sandbox/api/patch.h"

#include <gtest/gtest.h>

namespace aviary::sandbox {
namespace {

Json deployment() {
  return Json::parse(R"({
    "spec": {
      "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%"}},
      "template": {"spec": {
        "containers": [
          {"name": "c", "image": "img:4", "env": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}],
           "ports": [{"containerPort": 80, "protocol": "TCP"}]},
          {"name": "sidecar", "image": "proxy:1"}
        ],
        "volumes": [{"name": "v", "emptyDir": {}}]
      }}
    },
    "metadata": {"finalizers": ["a"]}
  })");
}

TEST(StrategicMergePatch, RealClientSideApplyPatch) {
  // Sent by kubectl apply after removing env B and the sidecar, dropping volumes and switching strategy.
  Json patch =
      Json::parse(R"({"spec":{"strategy":{"$retainKeys":["type"],"rollingUpdate":null,"type":"Recreate"},
    "template":{"spec":{"$setElementOrder/containers":[{"name":"c"}],
    "containers":[{"$setElementOrder/env":[{"name":"A"}],"env":[{"$patch":"delete","name":"B"}],"image":"img:5","name":"c"},
                  {"$patch":"delete","name":"sidecar"}],"volumes":null}}}})");
  auto result = applyStrategicMergePatch(deployment(), patch);
  ASSERT_TRUE(result.ok()) << result.error().describe();
  const Json& spec = (*result)["spec"];
  EXPECT_EQ(spec["strategy"], Json::parse(R"({"type":"Recreate"})"));
  ASSERT_EQ(spec["template"]["spec"]["containers"].size(), 1u);
  const Json& c = spec["template"]["spec"]["containers"][0];
  EXPECT_EQ(c["image"], "img:5");
  EXPECT_EQ(c["env"], Json::parse(R"([{"name":"A","value":"1"}])"));
  EXPECT_EQ(c["ports"][0]["containerPort"], 80);  // untouched fields stay
  EXPECT_FALSE(spec["template"]["spec"].contains("volumes"));
  EXPECT_EQ(result->dump().find('$'), std::string::npos) << "directives must not be stored";
}

TEST(StrategicMergePatch, SetImageMergesContainerByName) {
  Json patch = Json::parse(
      R"({"spec":{"template":{"spec":{"$setElementOrder/containers":[{"name":"c"},{"name":"sidecar"}],"containers":[{"image":"img:2","name":"c"}]}}}})");
  auto result = applyStrategicMergePatch(deployment(), patch);
  ASSERT_TRUE(result.ok());
  const Json& containers = (*result)["spec"]["template"]["spec"]["containers"];
  ASSERT_EQ(containers.size(), 2u);
  EXPECT_EQ(containers[0]["image"], "img:2");
  EXPECT_EQ(containers[0]["env"].size(), 2u);
  EXPECT_EQ(containers[1]["image"], "proxy:1");
}

TEST(StrategicMergePatch, AddsNewListItemsAndFinalizersAsASet) {
  Json patch = Json::parse(R"({"metadata":{"finalizers":["a","b"]},
    "spec":{"template":{"spec":{"containers":[{"name":"new","image":"x"}]}}}})");
  auto result = applyStrategicMergePatch(deployment(), patch);
  ASSERT_TRUE(result.ok());
  EXPECT_EQ((*result)["metadata"]["finalizers"], Json::parse(R"(["a","b"])"));
  EXPECT_EQ((*result)["spec"]["template"]["spec"]["containers"].size(), 3u);
}

TEST(StrategicMergePatch, ReplaceDirectiveOnAMapAndAList) {
  Json patch = Json::parse(R"({"spec":{"strategy":{"$patch":"replace","type":"Recreate"},
    "template":{"spec":{"containers":[{"$patch":"replace"},{"name":"only","image":"z"}]}}}})");
  auto result = applyStrategicMergePatch(deployment(), patch);
  ASSERT_TRUE(result.ok());
  EXPECT_EQ((*result)["spec"]["strategy"], Json::parse(R"({"type":"Recreate"})"));
  EXPECT_EQ((*result)["spec"]["template"]["spec"]["containers"],
            Json::parse(R"([{"name":"only","image":"z"}])"));
}

TEST(StrategicMergePatch, DeleteFromPrimitiveList) {
  Json original = Json::parse(R"({"metadata":{"finalizers":["a","b","c"]}})");
  auto result = applyStrategicMergePatch(
      original, Json::parse(R"({"metadata":{"$deleteFromPrimitiveList/finalizers":["b"]}})"));
  ASSERT_TRUE(result.ok());
  EXPECT_EQ((*result)["metadata"]["finalizers"], Json::parse(R"(["a","c"])"));
}

TEST(StrategicMergePatch, ListItemWithoutMergeKeyIsInvalid) {
  auto result = applyStrategicMergePatch(
      deployment(), Json::parse(R"({"spec":{"template":{"spec":{"containers":[{"image":"x"}]}}}})"));
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().httpStatus, 422);
}

TEST(MergePatch, NullDeletesAndArraysReplace) {
  Json out = applyMergePatch(deployment(),
                             Json::parse(R"({"metadata":{"finalizers":["z"]},"spec":{"strategy":null}})"));
  EXPECT_EQ(out["metadata"]["finalizers"], Json::parse(R"(["z"])"));
  EXPECT_FALSE(out["spec"].contains("strategy"));
}

TEST(JsonPatch, OperationsAndFailures) {
  Json original = Json::parse(R"({"spec":{"replicas":1,"list":[1,2]}})");
  auto ok = applyJsonPatch(
      original,
      Json::parse(
          R"([{"op":"test","path":"/spec/replicas","value":1},{"op":"replace","path":"/spec/replicas","value":3},
          {"op":"add","path":"/spec/list/-","value":3},{"op":"remove","path":"/spec/list/0"}])"));
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ((*ok)["spec"], Json::parse(R"({"replicas":3,"list":[2,3]})"));
  auto failedTest =
      applyJsonPatch(original, Json::parse(R"([{"op":"test","path":"/spec/replicas","value":9}])"));
  ASSERT_FALSE(failedTest.ok());
  EXPECT_EQ(failedTest.error().httpStatus, 422);
  auto badPath = applyJsonPatch(original, Json::parse(R"([{"op":"remove","path":"/nope/x"}])"));
  ASSERT_FALSE(badPath.ok());
  EXPECT_EQ(badPath.error().code, ErrorCode::Invalid);
}

}  // namespace
}  // namespace aviary::sandbox
