// Issue 17: a Prometheus (or whatever a Canary's metricsServer points at) that answers slowly, hugely or
// with a hostile error body cannot hold a worker for ever, fill the operator's memory or the Canary status.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "analysis/prometheus/prometheus_client.h"
#include "operator/http/http_server.h"

namespace aviary::analysis {
namespace {

using namespace std::chrono_literals;

class ScriptedServer {
 public:
  explicit ScriptedServer(http::Handler handler) : server_(http::ServerOptions{}, std::move(handler)) {
    EXPECT_TRUE(server_.start());
  }
  std::string url() const { return server_.baseUrl(); }

 private:
  http::HttpServer server_;
};

TEST(PrometheusClientLimits, AServerThatDripsBytesHitsTheDeadline) {
  std::atomic<bool> stop{false};
  ScriptedServer drip([&](const http::Request&, http::ResponseWriter& w) {
    if (!w.startChunked(200, "application/json")) return;
    // One byte every 100 ms: each read succeeds well inside cpprestsdk's per-read timeout.
    while (!stop && w.writeChunk(" ")) std::this_thread::sleep_for(100ms);
  });
  PrometheusClient client({.url = drip.url(), .timeout = 5000ms, .deadline = 1000ms});
  auto start = std::chrono::steady_clock::now();
  auto r = client.queryValue("up");
  auto took = std::chrono::steady_clock::now() - start;
  stop = true;
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::Timeout) << r.error().message;
  EXPECT_NE(r.error().message.find("did not answer within 1000 ms"), std::string::npos) << r.error().message;
  EXPECT_LT(took, 3s);
}

TEST(PrometheusClientLimits, AnAnswerPastTheSizeCapIsAnError) {
  const std::string huge = R"({"status":"success","data":{"resultType":"vector","result":[{"metric":{"x":")" +
                           std::string(3 * 1024 * 1024, 'a') + R"("},"value":[1,"1"]}]}})";
  ScriptedServer big([&](const http::Request&, http::ResponseWriter& w) {
    // Chunked: no Content-Length to refuse up front, the reader has to count.
    if (!w.startChunked(200, "application/json")) return;
    for (std::size_t at = 0; at < huge.size(); at += 64 * 1024) {
      if (!w.writeChunk(std::string_view(huge).substr(at, 64 * 1024))) return;
    }
    w.finishChunked();
  });
  PrometheusClient capped({.url = big.url(), .maxResponseBytes = 1024 * 1024});
  auto r = capped.queryValue("up");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::Decode);
  EXPECT_NE(r.error().message.find("answered more than 1048576 bytes"), std::string::npos)
      << r.error().message;
  PrometheusClient roomy({.url = big.url(), .maxResponseBytes = 8 * 1024 * 1024});
  auto fits = roomy.queryValue("up");
  ASSERT_TRUE(fits) << fits.error().message;
  EXPECT_EQ(*fits, 1);
}

TEST(PrometheusClientLimits, AHostileErrorBodyIsTruncated) {
  ScriptedServer hostile([&](const http::Request&, http::ResponseWriter& w) {
    w.send(400, "application/json",
           R"({"status":"error","errorType":"bad_data","error":")" + std::string(100'000, 'E') + R"("})");
  });
  PrometheusClient client({.url = hostile.url()});
  auto r = client.queryValue("up");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::Invalid);
  EXPECT_LT(r.error().message.size(), 1000u);
  EXPECT_NE(r.error().message.find("bad_data: EEEE"), std::string::npos);
}

// Answers that parse but carry no number: an error that says what came, never "no values" (which would
// send the user looking for missing series).
TEST(PrometheusClientLimits, AnAnswerWithoutNumbersIsAnErrorThatSaysWhatCame) {
  struct Case {
    std::string body, want;
  };
  for (const auto& c : std::vector<Case>{
           {R"({"status":"success","data":{"resultType":"string","result":[1,"x"]}})",
            "answered resultType \"string\", not vector, matrix or scalar"},
           {R"({"status":"success","data":{"result":[]}})", "answered resultType \"\", not vector"},
           {R"({"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":"x"}]}})",
            "unexpected answer"},
           {R"({"status":"success"})", "unexpected answer"},
       }) {
    ScriptedServer odd(
        [&](const http::Request&, http::ResponseWriter& w) { w.send(200, "application/json", c.body); });
    PrometheusClient client({.url = odd.url()});
    auto r = client.queryValue("up");
    ASSERT_FALSE(r) << c.body;
    EXPECT_EQ(r.error().code, ErrorCode::Decode) << c.body;
    EXPECT_NE(r.error().message.find(c.want), std::string::npos) << c.body << " → " << r.error().message;
  }
}

}  // namespace
}  // namespace aviary::analysis
