// MetricTemplates: decoding with field paths, and where a templateRef points.
#include <gtest/gtest.h>

#include "analysis/templates/metric_template.h"
#include "analysis/templates/template_ref.h"

namespace aviary::analysis {
namespace {

Json templateObject(Json spec) {
  return {{"apiVersion", "aviary.io/v1beta1"},
          {"kind", "MetricTemplate"},
          {"metadata", {{"name", "error-rate"}, {"namespace", "monitoring"}, {"resourceVersion", "7"}}},
          {"spec", spec}};
}

std::vector<std::string> described(const std::vector<api::FieldError>& errors) {
  std::vector<std::string> out;
  for (const auto& e : errors) out.push_back(e.describe());
  return out;
}

TEST(MetricTemplateDecode, ReadsEveryField) {
  auto decoded = decodeMetricTemplate(templateObject(Json::parse(R"json({
    "provider": {"type": "prometheus", "address": "https://prom.monitoring:9090", "secretRef": {"name": "prom-auth"},
                 "region": "eu-west-1", "insecureSkipVerify": true,
                 "headers": {"X-Scope-OrgID": ["tenant-a"], "Accept": ["application/json", "text/plain"]}},
    "query": "sum(rate(errors{ns=\"{{ namespace }}\"}[{{ interval }}]))"})json")));
  ASSERT_TRUE(decoded.errors.empty()) << described(decoded.errors)[0];
  const MetricTemplate& t = decoded.metricTemplate;
  EXPECT_EQ(t.key(), "monitoring/error-rate");
  EXPECT_EQ(t.resourceVersion, "7");
  EXPECT_EQ(t.provider.type, "prometheus");
  EXPECT_EQ(t.provider.address, "https://prom.monitoring:9090");
  EXPECT_EQ(t.provider.secretName, "prom-auth");
  EXPECT_EQ(t.provider.region, "eu-west-1");
  EXPECT_TRUE(t.provider.insecureSkipVerify);
  using Header = std::pair<std::string, std::string>;
  EXPECT_EQ(t.provider.headers,
            (std::vector<Header>{
                {"Accept", "application/json"}, {"Accept", "text/plain"}, {"X-Scope-OrgID", "tenant-a"}}));
  EXPECT_EQ(t.query, "sum(rate(errors{ns=\"{{ namespace }}\"}[{{ interval }}]))");
}

TEST(MetricTemplateDecode, ReportsEveryProblemWithItsPath) {
  auto decoded = decodeMetricTemplate(templateObject(Json::parse(R"json({
    "provider": {"type": "graphana", "address": 9090, "secretRef": {}, "insecureSkipVerify": "yes",
                 "headers": {"X-A": "one", "X-B": [1, "two"]}},
    "query": ""})json")));
  EXPECT_EQ(
      described(decoded.errors),
      (std::vector<std::string>{
          "spec.provider.type: unknown provider type \"graphana\"; one of prometheus, influxdb, datadog, "
          "externalmetrics, stackdriver, cloudwatch, newrelic, graphite, dynatrace, keptn, splunk",
          "spec.provider.address: must be a string",
          "spec.provider.secretRef.name: is required",
          "spec.provider.insecureSkipVerify: must be true or false",
          "spec.provider.headers.X-A: must be a list of strings",
          "spec.provider.headers.X-B[0]: must be a string",
          "spec.query: must not be empty",
      }));
  EXPECT_EQ(described(decodeMetricTemplate(templateObject(Json::object())).errors),
            (std::vector<std::string>{"spec.provider: is required", "spec.query: is required"}));
  EXPECT_EQ(
      described(
          decodeMetricTemplate(templateObject({{"provider", {{"address", "x"}}}, {"query", 3}})).errors),
      (std::vector<std::string>{"spec.provider.type: is required", "spec.query: must be a string"}));
  EXPECT_EQ(described(decodeMetricTemplate(Json::parse(R"({"metadata": {"name": "x"}})")).errors),
            (std::vector<std::string>{"spec: is required"}));
  EXPECT_EQ(described(decodeMetricTemplate(Json("not an object")).errors),
            (std::vector<std::string>{"spec: is required"}));
  EXPECT_EQ(
      described(decodeMetricTemplate(templateObject({{"provider", "prometheus"}, {"query", "up"}})).errors),
      (std::vector<std::string>{"spec.provider: must be an object", "spec.provider.type: is required"}));
}

TEST(MetricTemplateDecode, BoundsWhatATemplateMayHold) {
  Json headers = Json::object();
  for (int i = 0; i <= static_cast<int>(kMaxTemplateHeaders); ++i) headers["X-" + std::to_string(i)] = {"v"};
  auto decoded =
      decodeMetricTemplate(templateObject({{"provider", {{"type", "prometheus"}, {"headers", headers}}},
                                           {"query", std::string(16 * 1024 + 1, 'x')}}));
  EXPECT_EQ(described(decoded.errors),
            (std::vector<std::string>{"spec.provider.headers: must have at most 32 items, has 33",
                                      "spec.query: must be at most 16384 bytes, has 16385"}));
}

TEST(TemplateRef, WithoutANamespaceMeansTheCanarysNamespace) {
  auto ns = resolveTemplateNamespace({.name = "error-rate"}, "apps", {});
  ASSERT_TRUE(ns);
  EXPECT_EQ(*ns, "apps");
  auto same =
      resolveTemplateNamespace({.name = "error-rate", .ns = "apps"}, "apps", {.crossNamespaceRefs = false});
  ASSERT_TRUE(same);
  EXPECT_EQ(*same, "apps");
  auto other = resolveTemplateNamespace({.name = "error-rate", .ns = "monitoring"}, "apps", {});
  ASSERT_TRUE(other);
  EXPECT_EQ(*other, "monitoring");
}

TEST(TemplateRef, CrossNamespaceRefsAreRefusedWhenTheOperatorSaysSo) {
  auto refused = resolveTemplateNamespace({.name = "error-rate", .ns = "monitoring"}, "apps",
                                          {.crossNamespaceRefs = false});
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::Forbidden);
  EXPECT_EQ(refused.error().message,
            "metric template \"monitoring/error-rate\" is outside the Canary's namespace \"apps\": "
            "cross-namespace references are refused (--no-cross-namespace-refs)");

  api::CanarySpec spec;
  spec.analysis.metrics.resize(3);
  spec.analysis.metrics[0].templateRef = api::ObjectRef{.name = "local"};
  spec.analysis.metrics[2].templateRef = api::ObjectRef{.name = "shared", .ns = "monitoring"};
  auto errors = templateRefErrors(spec, "apps", {.crossNamespaceRefs = false});
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].path, "spec.analysis.metrics[2].templateRef.namespace");
  EXPECT_NE(errors[0].message.find("--no-cross-namespace-refs"), std::string::npos);
  EXPECT_TRUE(templateRefErrors(spec, "apps", {}).empty());
}

}  // namespace
}  // namespace aviary::analysis
