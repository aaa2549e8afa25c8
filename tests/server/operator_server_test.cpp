// The operator's endpoints (operator/server): --listen-address parsing, and /metrics, /healthz, /readyz and
// 404 answered over real HTTP (python3's urllib, as a scraper would).
#include <gtest/gtest.h>

#include <atomic>

#include "operator/server/operator_server.h"
#include "tests/support/http_get.h"

namespace aviary::server {
namespace {

TEST(ListenAddress, ParsesHostAndPortAndRefusesTheRest) {
  auto all = parseListenAddress(":8080");
  ASSERT_TRUE(all);
  EXPECT_EQ(all->host, "0.0.0.0");
  EXPECT_EQ(all->port, 8080);
  auto loopback = parseListenAddress("127.0.0.1:0");
  ASSERT_TRUE(loopback);
  EXPECT_EQ(loopback->host, "127.0.0.1");
  EXPECT_EQ(loopback->port, 0);
  for (const char* bad : {"8080", "host:", "host:http", ":65536", ":123456"}) {
    auto r = parseListenAddress(bad);
    EXPECT_FALSE(r) << bad;
    if (!r) {
      EXPECT_EQ(r.error().code, ErrorCode::Config) << bad;
    }
  }
}

TEST(OperatorServer, AnswersMetricsHealthAndReadiness) {
  metrics::Registry registry;
  registry.counter("demo_total", "Demo").inc({});
  std::atomic<bool> ready{false};
  OperatorServer server({"127.0.0.1", 0}, registry, [&]() -> std::pair<bool, std::string> {
    return {ready.load(), ready ? "ok" : "informers not synced yet"};
  });
  ASSERT_TRUE(server.start());
  auto metricsAnswer = testing::httpGet(server.url() + "/metrics");
  EXPECT_EQ(metricsAnswer.status, 200);
  EXPECT_EQ(metricsAnswer.contentType, "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_EQ(metricsAnswer.body, "# HELP demo_total Demo\n# TYPE demo_total counter\ndemo_total 1\n");
  EXPECT_EQ(testing::httpGet(server.url() + "/healthz").body, "ok\n");
  auto notReady = testing::httpGet(server.url() + "/readyz");
  EXPECT_EQ(notReady.status, 503);
  EXPECT_EQ(notReady.body, "informers not synced yet\n");
  ready = true;
  EXPECT_EQ(testing::httpGet(server.url() + "/readyz").status, 200);
  EXPECT_EQ(testing::httpGet(server.url() + "/other").status, 404);
}

}  // namespace
}  // namespace aviary::server
