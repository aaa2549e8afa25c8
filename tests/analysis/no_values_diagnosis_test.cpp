// Issue 12 §5: a check with no values says why. The selectors are read from real check queries, and the
// diagnosis is judged on crafted Prometheus answers (the follow-up queries against a real Prometheus run
// in tests/sandbox/traffic/traffic_prometheus_e2e_test.cpp).
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <string>

#include "analysis/prometheus/no_values_diagnosis.h"
#include "analysis/prometheus/promql_selectors.h"

namespace aviary::analysis {
namespace {

TEST(PromqlSelectors, ReadsEverySelectorOfABuiltInCheck) {
  auto selectors = vectorSelectors(
      R"(sum(rate(istio_requests_total{reporter="destination",destination_workload_namespace="test",)"
      R"(destination_workload=~"podinfo",response_code!~"5.*"}[1m])) / sum(rate(istio_requests_total{)"
      R"(reporter="destination",destination_workload_namespace="test",destination_workload=~"podinfo"}[1m])) * 100)");
  ASSERT_EQ(selectors.size(), 2u);
  EXPECT_EQ(selectors[0].metric, "istio_requests_total");
  ASSERT_EQ(selectors[0].matchers.size(), 4u);
  EXPECT_EQ(selectors[0].matchers[2].label, "destination_workload");
  EXPECT_EQ(selectors[0].matchers[2].op, "=~");
  EXPECT_EQ(selectors[0].matchers[2].value, "\"podinfo\"");
  EXPECT_EQ(selectors[0].matchers[3].promql(), "response_code!~\"5.*\"");
  EXPECT_EQ(selectors[0].range, "1m");
  EXPECT_EQ(selectors[1].promql(2),
            "istio_requests_total{reporter=\"destination\",destination_workload_namespace=\"test\"}");
}

TEST(PromqlSelectors, LabelListsFunctionsStringsAndKeywordsAreNotSelectors) {
  auto selectors = vectorSelectors(
      "histogram_quantile(0.99, sum by (le) (rate(http_seconds_bucket{pod=~'a-.*', path=\"/x\\\"y\"}[5m] "
      "offset 1m))) # comment naming not_a_metric\n"
      " > on (job) group_left (team) max without (instance) (up{job=`api`}) and bool 2 "
      "or label_replace(vector(1), \"dst\", \"$1\", \"src\", \"(.*)\") unless {__name__=\"svc_up\", "
      "zone=\"b\"} + avg_over_time(temp[10m:1m])");
  ASSERT_EQ(selectors.size(), 4u) << "histogram bucket, up, svc_up and temp";
  EXPECT_EQ(selectors[0].metric, "http_seconds_bucket");
  EXPECT_EQ(selectors[0].matchers[0].text(), "a-.*");
  EXPECT_EQ(selectors[0].matchers[1].text(), "/x\"y");
  EXPECT_EQ(selectors[0].range, "5m");
  EXPECT_EQ(selectors[1].promql(), "up{job=`api`}");
  EXPECT_FALSE(selectors[1].range);
  EXPECT_EQ(selectors[2].metric, "svc_up") << "__name__=\"…\" names the metric";
  EXPECT_EQ(selectors[2].promql(), "svc_up{zone=\"b\"}");
  EXPECT_EQ(selectors[3].metric, "temp");
  EXPECT_EQ(selectors[3].range, "10m:1m");
}

TEST(PromqlSelectors, AnUnfinishedExpressionGivesWhatWasRead) {
  auto selectors = vectorSelectors("sum(a{x=\"1\"}) + b{y=\"2");
  ASSERT_EQ(selectors.size(), 1u);
  EXPECT_EQ(selectors[0].promql(), "a{x=\"1\"}");
}

// Answers the follow-up queries from a table; what is not in it has no series.
struct CraftedPrometheus {
  std::map<std::string, Result<PromQueryResult>> answers;
  std::vector<std::string> asked;

  void series(const std::string& query, std::vector<std::map<std::string, std::string>> labels,
              double value = 1) {
    PromQueryResult r{"vector", {}, {}};
    for (auto& l : labels) r.samples.push_back({std::move(l), value});
    answers.insert_or_assign(query, r);
  }
  std::string diagnose(const std::string& promql) {
    std::string why = "(not answered)";
    diagnoseNoValues(
        promql,
        [this](const std::string& q, std::function<void(Result<PromQueryResult>)> done) {
          asked.push_back(q);
          auto it = answers.find(q);
          done(it != answers.end() ? it->second : Result<PromQueryResult>(PromQueryResult{"vector", {}, {}}));
        },
        [&why](std::string w) { why = std::move(w); });
    return why;
  }
};

const std::string kRate =
    R"(sum(rate(istio_requests_total{destination_workload_namespace="test",destination_workload=~"podinfo"}[1m])))";

TEST(NoValuesDiagnosis, AMetricThatDoesNotExist) {
  CraftedPrometheus prometheus;
  EXPECT_EQ(prometheus.diagnose(kRate),
            "Prometheus has no series named \"istio_requests_total\" (is the metric scraped? its name is "
            "spelled as the exporter does?)");
}

TEST(NoValuesDiagnosis, ALabelValueNoSeriesHasListsTheNearestValuesFound) {
  CraftedPrometheus prometheus;
  prometheus.series("count(istio_requests_total)", {{}});
  prometheus.series(R"(count(istio_requests_total{destination_workload_namespace="test"}))", {{}});
  prometheus.series(
      R"(count by (destination_workload) (istio_requests_total{destination_workload_namespace="test"}))",
      {{{"destination_workload", "frontend"}},
       {{"destination_workload", "podinfo-primary"}},
       {{"destination_workload", "podinf"}},
       {{"destination_workload", "cart"}},
       {{"destination_workload", "payments"}},
       {{"destination_workload", "podinfo-canary-old"}},
       {{"destination_workload", "search"}}});
  std::string why = prometheus.diagnose(kRate);
  EXPECT_EQ(why.rfind("no series of istio_requests_total matches destination_workload=~\"podinfo\" together "
                      "with destination_workload_namespace=\"test\"; values of destination_workload found: "
                      "\"podinf\", \"podinfo-primary\", \"podinfo-canary-old\", ",
                      0),
            0u)
      << why;
  EXPECT_EQ(why.substr(why.size() - 9), " (2 more)") << why;
}

TEST(NoValuesDiagnosis, ALabelNoSeriesHas) {
  CraftedPrometheus prometheus;
  prometheus.series("count(istio_requests_total)", {{}});
  prometheus.series(R"(count by (destination_workload_namespace) (istio_requests_total{}))", {{}, {}});
  EXPECT_EQ(prometheus.diagnose(kRate),
            "no series of istio_requests_total matches destination_workload_namespace=\"test\"; no such "
            "series has the label \"destination_workload_namespace\"");
}

TEST(NoValuesDiagnosis, SeriesThatSawNoRequestsInTheWindow) {
  CraftedPrometheus prometheus;
  const std::string selector =
      R"(istio_requests_total{destination_workload_namespace="test",destination_workload=~"podinfo"})";
  prometheus.series("count(istio_requests_total)", {{}});
  prometheus.series(R"(count(istio_requests_total{destination_workload_namespace="test"}))", {{}});
  prometheus.series("count(" + selector + ")", {{}});
  prometheus.series("max(count_over_time(" + selector + "[1m]))", {{}}, 12);
  prometheus.series("sum(increase(" + selector + "[1m]))", {{}}, 0);
  EXPECT_EQ(prometheus.diagnose(kRate), "the series of " + selector +
                                            " did not increase in the last 1m: no requests reached them "
                                            "(does traffic reach the canary?)");

  prometheus.series("max(count_over_time(" + selector + "[1m]))", {{}}, 1);
  EXPECT_EQ(prometheus.diagnose(kRate), "the series of " + selector +
                                            " have fewer than 2 samples in [1m]: the window must span at "
                                            "least two scrapes");
}

TEST(NoValuesDiagnosis, NaNFromArithmeticOnSelectorsThatHaveData) {
  CraftedPrometheus prometheus;
  const std::string query = "sum(rate(errors[1m])) / sum(rate(requests[1m]))";
  for (const char* metric : {"errors", "requests"}) {
    prometheus.series(std::string("count(") + metric + ")", {{}});
    prometheus.series(std::string("max(count_over_time(") + metric + "{}[1m]))", {{}}, 6);
    prometheus.series(std::string("sum(increase(") + metric + "{}[1m]))", {{}}, 3);
  }
  EXPECT_EQ(prometheus.diagnose(query), "") << "data arrived since: nothing to explain";
  prometheus.series(query, {{}}, std::nan(""));
  EXPECT_EQ(prometheus.diagnose(query),
            "its selectors have data but the query's arithmetic gives NaN (zero divided by zero: no "
            "requests in the window?)");
}

TEST(NoValuesDiagnosis, FollowUpsThatFailSayNothingAndAllAreSentAtOnce) {
  CraftedPrometheus prometheus;
  prometheus.answers.insert_or_assign("count(istio_requests_total)",
                                      Result<PromQueryResult>(Error{ErrorCode::Unavailable, "refused"}));
  prometheus.answers.insert_or_assign(R"(count(istio_requests_total{destination_workload_namespace="test"}))",
                                      Result<PromQueryResult>(Error{ErrorCode::Unavailable, "refused"}));
  prometheus.series(
      R"(count(istio_requests_total{destination_workload_namespace="test",destination_workload=~"podinfo"}))",
      {{}});
  EXPECT_EQ(prometheus.diagnose(kRate), "");
  // The query again, count(metric), two prefixes, two label listings, samples and increase.
  EXPECT_EQ(prometheus.asked.size(), 8u);
}

TEST(NoValuesDiagnosis, NearestValuesComeFirst) {
  EXPECT_EQ(nearestValues({"web", "podinfo-primary", "podinfo", "podinfo", "api"}, "podinfo", 3),
            (std::vector<std::string>{"podinfo", "podinfo-primary", "api"}));
}

}  // namespace
}  // namespace aviary::analysis
