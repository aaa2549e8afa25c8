#include "operator/kube/status_patch.h"

#include <gtest/gtest.h>

namespace aviary::kube {
namespace {

Json canaryAt(const std::string& resourceVersion) {
  return Json::parse(R"({"apiVersion": "aviary.io/v1beta1", "kind": "Canary",
    "metadata": {"name": "podinfo", "namespace": "apps", "resourceVersion": ")" +
                     resourceVersion + R"("},
    "spec": {"targetRef": {"name": "podinfo"}},
    "status": {"phase": "Progressing", "canaryWeight": 10, "achievedWeight": 8,
               "conditions": [{"type": "Promoted", "status": "Unknown", "reason": "Progressing"}]}})");
}

TEST(StatusPatch, TurnsTheStatusIntoTheNewOneAndTouchesNothingElse) {
  const Json object = canaryAt("41");
  Json next = object["status"];
  next["canaryWeight"] = 20;
  next.erase("achievedWeight");
  next["conditions"][0]["message"] = "Advance podinfo.apps canary weight 20";
  const Json patch = statusPatch(object, next);
  ASSERT_TRUE(patch.is_array());
  EXPECT_EQ(patch[0], Json({{"op", "test"}, {"path", "/metadata/resourceVersion"}, {"value", "41"}}));
  for (std::size_t i = 1; i < patch.size(); ++i)
    EXPECT_EQ(patch[i]["path"].get<std::string>().rfind("/status/", 0), 0u) << patch.dump();
  Json patched = object.patch(patch);
  EXPECT_EQ(patched["status"], next);
  patched["status"] = object["status"];
  EXPECT_EQ(patched, object) << "only the status may change";
}

TEST(StatusPatch, AStatusThatDidNotChangeIsTheTestAlone) {
  const Json object = canaryAt("7");
  EXPECT_EQ(statusPatch(object, object["status"]).size(), 1u);
}

TEST(StatusPatch, AnObjectWithoutAStatusGetsItWhole) {
  Json object = canaryAt("3");
  object.erase("status");
  const Json status = {{"phase", "Initializing"}};
  EXPECT_EQ(object.patch(statusPatch(object, status))["status"], status);
  object["status"] = nullptr;  // as some clients write it
  EXPECT_EQ(object.patch(statusPatch(object, status))["status"], status);
}

TEST(StatusPatch, DoesNotApplyToAnotherVersionOfTheObject) {
  const Json planned = canaryAt("41");
  Json next = planned["status"];
  next["canaryWeight"] = 20;
  // The Canary changed after the status was planned from version 41: the patch must not apply.
  EXPECT_THROW(canaryAt("42").patch(statusPatch(planned, next)), Json::exception);
}

}  // namespace
}  // namespace aviary::kube
