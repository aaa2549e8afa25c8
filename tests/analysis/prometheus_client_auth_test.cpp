// The Prometheus client's credentials and its answers to a server that refuses them. The server here is a
// small HTTP endpoint that checks the Authorization header (as an authenticating proxy in front of
// Prometheus does); queries themselves are tested against the real Prometheus in the e2e suites.
#include <gtest/gtest.h>

#include "analysis/prometheus/prometheus_client.h"
#include "operator/core/base64.h"
#include "operator/http/http_server.h"

namespace aviary::analysis {
namespace {

class AuthProxy {
 public:
  explicit AuthProxy(std::string expected)
      : expected_(std::move(expected)),
        server_(http::ServerOptions{}, [this](const http::Request& r, http::ResponseWriter& w) {
          lastQuery_ = r.body;
          lastHeaders_ = r.headers;
          if (r.header("authorization") != expected_) return w.send(401, "text/plain", "Unauthorized\n");
          w.send(
              200, "application/json",
              R"({"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1,"99.5"]}]}})");
        }) {
    EXPECT_TRUE(server_.start());
  }
  std::string url() { return server_.baseUrl(); }
  std::string lastQuery_;
  std::map<std::string, std::string> lastHeaders_;

 private:
  std::string expected_;
  http::HttpServer server_;
};

TEST(PrometheusClientAuth, SendsABearerToken) {
  AuthProxy proxy("Bearer s3cret");
  PrometheusClient ok({.url = proxy.url(), .bearerToken = "s3cret"});
  auto v = ok.queryValue("up");
  ASSERT_TRUE(v) << v.error().message;
  EXPECT_EQ(*v, 99.5);
  EXPECT_EQ(proxy.lastQuery_, "query=up");
  PrometheusClient wrong({.url = proxy.url(), .bearerToken = "nope"});
  auto refused = wrong.queryValue("up");
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::Unauthorized);
  EXPECT_NE(refused.error().message.find("refused the credentials (HTTP 401)"), std::string::npos);
}

TEST(PrometheusClientAuth, SendsBasicCredentials) {
  AuthProxy proxy("Basic " + base64Encode("aviary:pa ss"));
  PrometheusClient ok({.url = proxy.url(), .username = "aviary", .password = "pa ss"});
  EXPECT_TRUE(ok.queryValue("up"));
  PrometheusClient none({.url = proxy.url()});
  EXPECT_FALSE(none.queryValue("up"));
}

TEST(PrometheusClientAuth, SendsExtraHeaders) {
  AuthProxy proxy("Bearer s3cret");
  PrometheusClient client({.url = proxy.url(),
                           .bearerToken = "s3cret",
                           .headers = {{"X-Scope-OrgID", "tenant-a"},
                                       {"Accept", "application/json"},
                                       {"Accept", "text/plain"},
                                       {"Authorization", "Basic replaced"}}});
  auto v = client.queryValue("up");
  ASSERT_TRUE(v) << v.error().message;
  EXPECT_EQ(proxy.lastHeaders_["x-scope-orgid"], "tenant-a");
  EXPECT_EQ(proxy.lastHeaders_["accept"], "application/json, text/plain");
  EXPECT_EQ(proxy.lastHeaders_["authorization"], "Bearer s3cret");  // the credentials win
  EXPECT_EQ(proxy.lastQuery_, "query=up");

  // Without credentials, a static Authorization header is sent as it is.
  PrometheusClient staticAuth({.url = proxy.url(), .headers = {{"Authorization", "Bearer s3cret"}}});
  EXPECT_TRUE(staticAuth.queryValue("up"));
}

}  // namespace
}  // namespace aviary::analysis
