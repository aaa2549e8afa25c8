#include "sandbox/api/schema.h"

#include <gtest/gtest.h>

namespace aviary::sandbox {
namespace {

const Json kSchema = Json::parse(R"({
  "type": "object",
  "properties": {
    "spec": {
      "type": "object",
      "required": ["targetRef"],
      "properties": {
        "targetRef": {"type": "object", "properties": {"name": {"type": "string", "maxLength": 10}}},
        "provider": {"type": "string", "enum": ["istio", "appmesh"], "default": "istio"},
        "stepWeight": {"type": "integer", "minimum": 1, "maximum": 100},
        "interval": {"type": "string", "pattern": "^[0-9]+(s|m|h)$"},
        "weights": {"type": "array", "maxItems": 3, "items": {"type": "integer"}},
        "port": {"x-kubernetes-int-or-string": true},
        "labels": {"type": "object", "additionalProperties": {"type": "string"}},
        "free": {"type": "object", "x-kubernetes-preserve-unknown-fields": true}
      }
    },
    "status": {"type": "object", "x-kubernetes-preserve-unknown-fields": true}
  }
})");

Json canary(Json spec) {
  return {{"apiVersion", "aviary.io/v1beta1"},
          {"kind", "Canary"},
          {"metadata", {{"name", "web"}}},
          {"spec", spec}};
}

TEST(Schema, ValidObjectGetsDefaultsAndUnknownFieldsPruned) {
  Json o = canary({{"targetRef", {{"name", "web"}}},
                   {"stepWeight", 10},
                   {"bogus", 1},
                   {"port", "http"},
                   {"labels", {{"a", "b"}}},
                   {"free", {{"anything", {{"goes", true}}}}}});
  auto report = applySchema(o, kSchema);
  EXPECT_TRUE(report.errors.empty()) << report.errors[0];
  ASSERT_EQ(report.pruned.size(), 1u);
  EXPECT_EQ(report.pruned[0], "spec.bogus");
  EXPECT_FALSE(o["spec"].contains("bogus"));
  EXPECT_EQ(o["spec"]["provider"], "istio");
  EXPECT_TRUE(o["spec"]["free"]["anything"]["goes"]);
  EXPECT_EQ(o["metadata"]["name"], "web");  // metadata is never pruned
}

TEST(Schema, ErrorsCarryFieldPathsAndKubernetesWording) {
  Json o = canary({{"stepWeight", "x"},
                   {"provider", "linkerd"},
                   {"interval", "soon"},
                   {"weights", {1, 2, 3, 4}},
                   {"labels", {{"a", 1}}},
                   {"port", true}});
  auto report = applySchema(o, kSchema);
  auto has = [&](const std::string& text) {
    return std::any_of(report.errors.begin(), report.errors.end(),
                       [&](const std::string& e) { return e == text; });
  };
  EXPECT_TRUE(has("spec.targetRef: Required value"));
  EXPECT_TRUE(
      has("spec.stepWeight: Invalid value: \"string\": spec.stepWeight in body must be of type integer: "
          "\"string\""));
  EXPECT_TRUE(has("spec.provider: Unsupported value: \"linkerd\": supported values: \"istio\", \"appmesh\""));
  EXPECT_TRUE(
      has("spec.interval: Invalid value: \"soon\": spec.interval in body should match '^[0-9]+(s|m|h)$'"));
  EXPECT_TRUE(has("spec.weights: Too many: 4: must have at most 3 items"));
  EXPECT_TRUE(
      has("spec.labels.a: Invalid value: \"integer\": spec.labels.a in body must be of type string: "
          "\"integer\""));
  EXPECT_TRUE(has("spec.port: Invalid value: true: spec.port in body must be of type integer or string"));
  EXPECT_EQ(report.errors.size(), 7u);
}

TEST(Schema, NumericBoundsAndLengths) {
  Json o = canary({{"targetRef", {{"name", "a-very-long-name"}}}, {"stepWeight", 0}});
  auto report = applySchema(o, kSchema);
  ASSERT_EQ(report.errors.size(), 2u);
  EXPECT_EQ(
      report.errors[0],
      "spec.stepWeight: Invalid value: 0: spec.stepWeight in body should be greater than or equal to 1");
  EXPECT_EQ(report.errors[1], "spec.targetRef.name: Too long: may not be longer than 10");
}

}  // namespace
}  // namespace aviary::sandbox
