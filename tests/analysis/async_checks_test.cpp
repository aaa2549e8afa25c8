// Issue 12 §1: checks are gathered without holding the caller (a reconcile worker). Every query of a
// Canary is in flight at once, a slow Prometheus delays only its own answer, the deadline still holds, and
// a client released while its queries are in flight still answers them.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <thread>

#include "analysis/checks/metric_checks.h"
#include "analysis/prometheus/prometheus_client.h"
#include "operator/http/http_server.h"

namespace aviary::analysis {
namespace {

using namespace std::chrono_literals;

// Answers every query with `value` after `delay`.
class SlowPrometheus {
 public:
  SlowPrometheus(std::chrono::milliseconds delay, std::string value)
      : server_(http::ServerOptions{}, [delay, value](const http::Request&, http::ResponseWriter& w) {
          std::this_thread::sleep_for(delay);
          w.send(200, "application/json",
                 R"({"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1,")" +
                     value + R"("]}]}})");
        }) {
    EXPECT_TRUE(server_.start());
  }
  std::string url() const { return server_.baseUrl(); }

 private:
  http::HttpServer server_;
};

std::vector<api::MetricCheck> checks(int n) {
  std::vector<api::MetricCheck> out;
  for (int i = 0; i < n; ++i) {
    api::MetricCheck c;
    c.name = "check-" + std::to_string(i);
    c.query = "vector(" + std::to_string(i) + ")";
    c.range.max = 100;
    out.push_back(c);
  }
  return out;
}

const CheckContext kContext{"test", "podinfo", "podinfo", "istio", "podinfo"};

std::vector<PreparedCheck> prepared(const std::vector<api::MetricCheck>& checks,
                                    std::shared_ptr<const MetricProvider> metrics) {
  std::vector<PreparedCheck> out;
  for (const auto& c : checks) out.push_back(prepareCheck(c, kContext, metrics));
  return out;
}

TEST(AsyncChecks, GatheringReturnsAtOnceAndRunsEveryQueryConcurrently) {
  SlowPrometheus slow(1500ms, "42");
  auto client = std::make_shared<PrometheusClient>(PrometheusClientOptions{.url = slow.url()});
  std::promise<std::vector<api::MetricResult>> answer;
  auto start = std::chrono::steady_clock::now();
  runChecksAsync(prepared(checks(6), client), kContext,
                 [&](std::vector<api::MetricResult> r) { answer.set_value(std::move(r)); });
  EXPECT_LT(std::chrono::steady_clock::now() - start, 500ms) << "the caller is not held";
  client.reset();  // released with its queries in flight (a Canary that moved to another Prometheus)
  auto future = answer.get_future();
  ASSERT_EQ(future.wait_for(20s), std::future_status::ready);
  auto results = future.get();
  auto took = std::chrono::steady_clock::now() - start;
  ASSERT_EQ(results.size(), 6u);
  for (std::size_t i = 0; i < results.size(); ++i) {
    EXPECT_EQ(results[i].name, "check-" + std::to_string(i)) << "in the order of the checks";
    EXPECT_TRUE(results[i].passed) << results[i].message;
    EXPECT_EQ(results[i].value, 42);
  }
  // Six answers in a row would take 9 s; all at once, about one answer's 1.5 s.
  EXPECT_LT(took, 4s);
}

TEST(AsyncChecks, TheDeadlineEndsAGatheringWhoseServerNeverAnswers) {
  SlowPrometheus stuck(3s, "1");  // past the deadline (the server is joined at the end)
  auto client = std::make_shared<PrometheusClient>(
      PrometheusClientOptions{.url = stuck.url(), .timeout = 20'000ms, .deadline = 800ms});
  std::promise<std::vector<api::MetricResult>> answer;
  auto start = std::chrono::steady_clock::now();
  runChecksAsync(prepared(checks(2), client), kContext,
                 [&](std::vector<api::MetricResult> r) { answer.set_value(std::move(r)); });
  auto future = answer.get_future();
  ASSERT_EQ(future.wait_for(5s), std::future_status::ready);
  auto results = future.get();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 3s);
  ASSERT_EQ(results.size(), 2u);
  for (const auto& r : results) {
    EXPECT_FALSE(r.passed) << "no answer never passes";
    EXPECT_NE(r.message.find("did not answer within 800 ms"), std::string::npos) << r.message;
  }
}

TEST(AsyncChecks, NoChecksAnswersAtOnce) {
  bool called = false;
  runChecksAsync({}, kContext, [&](std::vector<api::MetricResult> r) { called = r.empty(); });
  EXPECT_TRUE(called);
}

}  // namespace
}  // namespace aviary::analysis
