// Metric checks: query rendering, built-ins per provider, thresholds, and fail-safe errors.
#include <gtest/gtest.h>

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

const CheckContext kIstio{"test", "podinfo", "podinfo", "istio"};

TEST(RenderQuery, SubstitutesKnownVariablesOnly) {
  EXPECT_EQ(renderQuery("a{{namespace}}b{{ target }}c{{ other }}", {{"namespace", "N"}, {"target", "T"}}),
            "aNbTc{{ other }}");
  EXPECT_EQ(renderQuery("no vars", {}), "no vars");
  EXPECT_EQ(renderQuery("{{ unclosed", {{"unclosed", "x"}}), "{{ unclosed");
}

TEST(BuiltInQueries, RenderToFlaggersIstioQueries) {
  auto q = builtInQuery("istio", "request-success-rate");
  ASSERT_TRUE(q);
  EXPECT_EQ(renderQuery(*q, {{"namespace", "test"}, {"target", "podinfo"}, {"interval", "1m"}}),
            "sum(rate(istio_requests_total{reporter=\"destination\",destination_workload_namespace=\"test\","
            "destination_workload=~\"podinfo\",response_code!~\"5.*\"}[1m])) / sum(rate(istio_requests_total{"
            "reporter=\"destination\",destination_workload_namespace=\"test\",destination_workload=~"
            "\"podinfo\"}[1m]))"
            " * 100");
  EXPECT_TRUE(builtInQuery("gatewayapi", "request-duration"));
  auto missing = builtInQuery("istio", "error-budget");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().message,
            "provider \"istio\" has no built-in metric \"error-budget\"; use a templateRef");
}

TEST(MetricChecks, CompareWithTheThresholdRangeAndSayWhy) {
  TableProvider prometheus;
  std::string rate = renderQuery(*builtInQuery("istio", "request-success-rate"),
                                 {{"namespace", "test"}, {"target", "podinfo"}, {"interval", "1m"}});
  std::string p99 = renderQuery(*builtInQuery("istio", "request-duration"),
                                {{"namespace", "test"}, {"target", "podinfo"}, {"interval", "1m"}});
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
  EXPECT_EQ(results[1].message, "request-duration 120 within range");
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
  EXPECT_EQ(down.message, "errors: prometheus at http://p:9090 unreachable: refused");

  api::MetricCheck templated = check("error-budget", std::nullopt, 1);
  templated.templateRef = api::ObjectRef{"", "", "error-budget", ""};
  auto notYet = runCheck(templated, kIstio, prometheus);
  EXPECT_FALSE(notYet.passed);
  EXPECT_EQ(notYet.message, "error-budget: MetricTemplate references are not supported yet");
}

}  // namespace
}  // namespace aviary::analysis
