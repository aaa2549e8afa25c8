// Metric checks: query rendering, built-ins per provider, templated checks, thresholds, and fail-safe
// errors.
#include <gtest/gtest.h>

#include "tests/support/provider_policy.h"

#include <cmath>

#include "analysis/checks/metric_checks.h"

namespace aviary::analysis {
namespace {

// Answers from a table (the real Prometheus is exercised end to end in sandbox_traffic_prometheus_e2e).
class TableProvider : public MetricProvider {
 public:
  std::map<std::string, Result<double>> answers;
  mutable std::vector<std::string> asked;
  Result<double> queryValue(const std::string& query) const override {
    asked.push_back(query);
    auto it = answers.find(query);
    if (it == answers.end()) return Error{ErrorCode::NotFound, "no values for " + query};
    return it->second;
  }
};

api::MetricCheck check(const std::string& name, std::optional<double> min, std::optional<double> max) {
  api::MetricCheck c;
  c.name = name;
  c.intervalText = "1m";
  c.range = {min, max};
  return c;
}

// A built-in provider's context for podinfo in namespace test.
CheckContext contextOf(const std::string& provider) {
  return {"test", "podinfo", "podinfo", provider, "", testing::builtInQueriesOf(provider)};
}
const CheckContext kIstio = contextOf("istio");

// A built-in query as the checks render it for podinfo in namespace test.
std::string rendered(const std::string& provider, const std::string& metric) {
  auto query = builtInQuery(contextOf(provider), metric);
  EXPECT_TRUE(query);
  auto text = renderTemplateQuery(query ? *query : "", {.ns = "test", .target = "podinfo", .interval = "1m"});
  EXPECT_TRUE(text) << text.error().message;
  return text ? *text : "";
}

TEST(BuiltInQueries, RenderToFlaggersIstioQueries) {
  EXPECT_EQ(rendered("istio", "request-success-rate"),
            "sum(rate(istio_requests_total{reporter=\"destination\",destination_workload_namespace=\"test\","
            "destination_workload=~\"podinfo\",response_code!~\"5.*\"}[1m])) / sum(rate(istio_requests_total{"
            "reporter=\"destination\",destination_workload_namespace=\"test\",destination_workload=~"
            "\"podinfo\"}[1m]))"
            " * 100");
  EXPECT_TRUE(builtInQuery(contextOf("gatewayapi"), "request-duration"));
  auto missing = builtInQuery(kIstio, "error-budget");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().message,
            "provider \"istio\" has no built-in metric \"error-budget\"; use a templateRef");
}

TEST(BuiltInQueries, EveryOneRendersWithTheCheckVariables) {
  for (const char* provider : {"istio", "appmesh", "traefik", "kubernetes", "gatewayapi"}) {
    for (const char* metric : {"request-success-rate", "request-duration"}) {
      std::string query = rendered(provider, metric);
      EXPECT_EQ(query.find("{{"), std::string::npos) << provider << " " << metric << ": " << query;
    }
  }
}

TEST(MetricChecks, InlineQueriesUseTheTemplateVariablesStrictly) {
  TableProvider prometheus;
  api::MetricCheck inline_ = check("errors", std::nullopt, 1);
  inline_.query = "sum(errors{ns=\"{{ namespace }}\",dir=\"{{ variables.direction }}\"})";
  inline_.templateVariables = {{"direction", "inbound"}};
  prometheus.answers.emplace("sum(errors{ns=\"test\",dir=\"inbound\"})", 0.0);
  EXPECT_TRUE(runCheck(inline_, kIstio, prometheus).passed);

  inline_.query = "sum(errors{pod=\"{{ pod }}\"})";
  auto unknown = runCheck(inline_, kIstio, prometheus);
  EXPECT_FALSE(unknown.passed);
  EXPECT_EQ(unknown.message.rfind("errors: query names unknown template variable \"{{ pod }}\"", 0), 0u)
      << unknown.message;
  EXPECT_EQ(prometheus.asked.size(), 1u);  // a query that does not render is not sent
}

TEST(MetricChecks, CompareWithTheThresholdRangeAndSayWhy) {
  TableProvider prometheus;
  std::string rate = rendered("istio", "request-success-rate");
  std::string p99 = rendered("istio", "request-duration");
  prometheus.answers.emplace(rate, 91.2);
  prometheus.answers.emplace(p99, 120.0);
  auto results = runChecks(
      {check("request-success-rate", 99, std::nullopt), check("request-duration", std::nullopt, 500)}, kIstio,
      prometheus);
  ASSERT_EQ(results.size(), 2u);
  EXPECT_FALSE(results[0].passed);
  EXPECT_EQ(results[0].message, "request-success-rate 91.20 < 99");
  EXPECT_EQ(*results[0].value, 91.2);
  EXPECT_TRUE(results[1].passed);
  EXPECT_EQ(results[1].message, "request-duration 120 within max 500");
  prometheus.answers.at(p99) = 612.0;
  EXPECT_EQ(runCheck(check("request-duration", std::nullopt, 500), kIstio, prometheus).message,
            "request-duration 612 > 500");
}

TEST(MetricChecks, MissingDataAndUnreachableServersFail) {
  TableProvider prometheus;
  auto noData = runCheck(check("request-success-rate", 99, std::nullopt), kIstio, prometheus);
  EXPECT_FALSE(noData.passed);
  EXPECT_FALSE(noData.value);
  EXPECT_EQ(noData.message.rfind("request-success-rate: no values for sum(rate(istio_requests_total", 0), 0u);

  api::MetricCheck inline_ = check("errors", std::nullopt, 1);
  inline_.query = "sum(rate(errors{ns=\"{{ namespace }}\"}[{{ interval }}]))";
  prometheus.answers.emplace(
      "sum(rate(errors{ns=\"test\"}[1m]))",
      Error{ErrorCode::Unavailable, "prometheus at http://p:9090 unreachable: refused"});
  auto down = runCheck(inline_, kIstio, prometheus);
  EXPECT_FALSE(down.passed);
  EXPECT_EQ(down.message, "errors: prometheus at http://p:9090 unreachable: refused (max 1)");

  api::MetricCheck templated = check("error-budget", std::nullopt, 1);
  templated.templateRef = api::ObjectRef{"", "", "error-budget", ""};
  auto unresolved = runCheck(templated, kIstio, prometheus);
  EXPECT_FALSE(unresolved.passed) << "a templated check runs only on its resolved template";
  EXPECT_EQ(unresolved.message, "error-budget: its MetricTemplate was not resolved");
}

TEST(TemplateCheck, RendersTheTemplatesQueryWithTheChecksVariables) {
  MetricTemplate errorRate{.ns = "monitoring", .name = "error-rate"};
  errorRate.provider.type = "prometheus";
  errorRate.query =
      "sum(rate(requests{ns=\"{{ namespace }}\",canary=\"{{ name }}\",svc=\"{{ service }}\","
      "dir=\"{{ variables.direction }}\"}[{{ interval }}]))";
  api::MetricCheck templated = check("requests", std::nullopt, 10);
  templated.intervalText = "2m";
  templated.templateRef = api::ObjectRef{.name = "error-rate", .ns = "monitoring"};
  templated.templateVariables = {{"direction", "inbound"}};
  CheckContext context{
      .ns = "apps", .target = "podinfo", .service = "web", .provider = "istio", .name = "pi"};
  TableProvider prometheus;
  prometheus.answers.emplace("sum(rate(requests{ns=\"apps\",canary=\"pi\",svc=\"web\",dir=\"inbound\"}[2m]))",
                             4.0);
  auto result = runTemplateCheck(templated, errorRate, context, prometheus);
  EXPECT_TRUE(result.passed) << result.message;
  EXPECT_EQ(result.message, "requests 4 within max 10");

  templated.templateVariables.clear();
  auto missing = runTemplateCheck(templated, errorRate, context, prometheus);
  EXPECT_FALSE(missing.passed);
  EXPECT_EQ(missing.message.rfind("requests: metric template \"monitoring/error-rate\": query names "
                                  "\"{{ variables.direction }}\"",
                                  0),
            0u)
      << missing.message;
  EXPECT_EQ(prometheus.asked.size(), 1u);  // nothing is sent for a query that does not render
}

}  // namespace
}  // namespace aviary::analysis
