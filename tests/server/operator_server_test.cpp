// The operator's endpoints (operator/server): --listen-address parsing, and /metrics, /healthz, /readyz and
// 404 answered over real HTTP (cpprestsdk's client is not needed: the test speaks HTTP/1.1 through python3's
// urllib, as a scraper would).
#include <gtest/gtest.h>

#include <atomic>

#include "operator/server/operator_server.h"
#include "tests/support/kubectl_runner.h"

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

std::string get(const std::string& url) {
  return testing::runCommand(
             "python3 -c 'import sys, urllib.request, urllib.error\n"
             "try:\n r = urllib.request.urlopen(sys.argv[1]); print(r.status, r.headers[\"Content-Type\"]); "
             "print(r.read().decode(), end=\"\")\n"
             "except urllib.error.HTTPError as e: print(e.code); print(e.read().decode(), end=\"\")' " +
             url)
      .output;
}

TEST(OperatorServer, AnswersMetricsHealthAndReadiness) {
  metrics::Registry registry;
  registry.counter("demo_total", "Demo").inc({});
  std::atomic<bool> ready{false};
  OperatorServer server({"127.0.0.1", 0}, registry, [&]() -> std::pair<bool, std::string> {
    return {ready.load(), ready ? "ok" : "informers not synced yet"};
  });
  ASSERT_TRUE(server.start());
  EXPECT_EQ(
      get(server.url() + "/metrics"),
      "200 text/plain; version=0.0.4; charset=utf-8\n# HELP demo_total Demo\n# TYPE demo_total counter\n"
      "demo_total 1\n");
  EXPECT_EQ(get(server.url() + "/healthz"), "200 text/plain\nok\n");
  EXPECT_EQ(get(server.url() + "/readyz"), "503\ninformers not synced yet\n");
  ready = true;
  EXPECT_EQ(get(server.url() + "/readyz"), "200 text/plain\nok\n");
  EXPECT_EQ(get(server.url() + "/other"), "404\nnot found\n");
}

}  // namespace
}  // namespace aviary::server
