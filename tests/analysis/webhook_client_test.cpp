// The webhook client against a local receiver: Flagger's payload byte for byte (as JSON), which statuses
// pass, retries, the per-attempt timeout, bounded failure messages, TLS and the egress allow-list.
#include <gtest/gtest.h>

#include <future>

#include <nlohmann/json.hpp>

#include "analysis/webhooks/webhook_client.h"
#include "tests/analysis/scripted_receiver.h"

namespace aviary::analysis {
namespace {

using namespace std::chrono_literals;
using Json = nlohmann::json;

std::shared_ptr<HttpPoster> localPoster() {
  auto allowed = EgressAllowList::parse({"127.0.0.1"});
  EXPECT_TRUE(allowed);
  return std::make_shared<HttpPoster>(
      HttpPosterOptions{.allowed = *allowed, .workers = 2, .retryWaitMin = 10ms, .retryWaitMax = 40ms});
}

WebhookCall callTo(const std::string& url) {
  return WebhookCall{.name = "load-test",
                     .url = url,
                     .timeout = 2s,
                     .payload = {.name = "podinfo",
                                 .ns = "test",
                                 .phase = "Progressing",
                                 .checksum = "abc123",
                                 .metadata = {{"cmd", "hey -z 1m http://podinfo-canary.test:9898/"}}}};
}

TEST(WebhookPayload, IsFlaggersCanaryWebhookPayload) {
  WebhookPayload p{.name = "podinfo", .ns = "test", .phase = "Progressing", .checksum = "abc"};
  EXPECT_EQ(encodeWebhookPayload(p),
            Json::parse(R"({"name":"podinfo","namespace":"test","phase":"Progressing","checksum":"abc"})"));
  p.metadata = {{"type", "bash"}};
  EXPECT_EQ(encodeWebhookPayload(p)["metadata"], Json::parse(R"({"type":"bash"})"));
}

TEST(WebhookPayload, EventFieldsWinOverTheWebhooksMetadata) {
  WebhookPayload base{.name = "podinfo",
                      .ns = "test",
                      .phase = "Failed",
                      .checksum = "abc",
                      .metadata = {{"eventType", "mine"}, {"team", "a"}}};
  CanaryEvent event{.message = "Canary failed",
                    .type = "Warning",
                    .time = std::chrono::system_clock::time_point(1'700'000'000'123ms)};
  EXPECT_EQ(encodeWebhookPayload(eventWebhookPayload(base, event)), Json::parse(R"({
    "name":"podinfo","namespace":"test","phase":"Failed","checksum":"abc",
    "metadata":{"eventMessage":"Canary failed","eventType":"Warning","timestamp":"1700000000123","team":"a"}})"));
}

TEST(WebhookClient, PostsThePayloadAsJson) {
  ScriptedReceiver receiver({{200, "ok"}});
  WebhookClient client(localPoster());
  auto result = client.call(callTo(receiver.url()));
  EXPECT_TRUE(result.passed) << result.message;
  EXPECT_EQ(result.status, 200);
  auto got = receiver.received();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].method, "POST");
  EXPECT_EQ(got[0].path, "/hook");
  EXPECT_EQ(got[0].header("content-type").rfind("application/json", 0), 0u);
  EXPECT_EQ(Json::parse(got[0].body),
            Json::parse(R"({"name":"podinfo","namespace":"test","phase":"Progressing",
    "checksum":"abc123","metadata":{"cmd":"hey -z 1m http://podinfo-canary.test:9898/"}})"));
}

TEST(WebhookClient, KeepsTheUrlsQuery) {
  ScriptedReceiver receiver({{200, ""}});
  WebhookClient client(localPoster());
  EXPECT_TRUE(client.call(callTo(receiver.url("/gate/check?team=a"))).passed);
  ASSERT_EQ(receiver.received().size(), 1u);
  EXPECT_EQ(receiver.received()[0].target, "/gate/check?team=a");
}

// Flagger: `if r.StatusCode > 202 { fail }` — 200, 201 and 202 pass, 204 and every other status fail.
TEST(WebhookClient, OnlyStatuses200To202Pass) {
  for (auto [status, passes] : std::vector<std::pair<int, bool>>{{200, true},
                                                                 {201, true},
                                                                 {202, true},
                                                                 {203, false},
                                                                 {204, false},
                                                                 {302, false},
                                                                 {400, false},
                                                                 {403, false},
                                                                 {404, false},
                                                                 {500, false}}) {
    std::string body = status == 204 ? "" : "said " + std::to_string(status);  // 204 has no body
    ScriptedReceiver receiver({{status, body}});
    auto result = WebhookClient(localPoster()).call(callTo(receiver.url()));
    EXPECT_EQ(result.passed, passes) << status;
    EXPECT_EQ(result.status, status);
    if (!passes) {
      EXPECT_EQ(result.message, "webhook \"load-test\" at \"127.0.0.1\" answered HTTP " +
                                    std::to_string(status) + (body.empty() ? "" : ": \"" + body + "\""));
    }
  }
}

TEST(WebhookClient, RetriesServerErrorsAsFlaggerDoes) {
  ScriptedReceiver receiver({{503, "busy"}, {500, "oops"}, {200, "ok"}});
  auto call = callTo(receiver.url());
  call.retries = 2;
  auto result = WebhookClient(localPoster()).call(call);
  EXPECT_TRUE(result.passed) << result.message;
  EXPECT_EQ(result.attempts, 3);
  EXPECT_EQ(receiver.received().size(), 3u);
}

TEST(WebhookClient, GivesUpAfterItsRetries) {
  ScriptedReceiver receiver({{500, "still broken"}});
  auto call = callTo(receiver.url());
  call.retries = 2;
  auto result = WebhookClient(localPoster()).call(call);
  EXPECT_FALSE(result.passed);
  EXPECT_EQ(result.attempts, 3);
  EXPECT_EQ(result.message,
            "webhook \"load-test\" at \"127.0.0.1\" answered HTTP 500: \"still broken\" (3 attempts)");
}

TEST(WebhookClient, DoesNotRetryClientErrorsOr501) {
  for (int status : {400, 404, 501}) {
    ScriptedReceiver receiver({{status, "no"}});
    auto call = callTo(receiver.url());
    call.retries = 3;
    auto result = WebhookClient(localPoster()).call(call);
    EXPECT_FALSE(result.passed);
    EXPECT_EQ(result.attempts, 1) << status;
    EXPECT_EQ(receiver.received().size(), 1u) << status;
  }
}

TEST(WebhookClient, TimesOutEachAttempt) {
  ScriptedReceiver receiver({{200, "late", 1500ms}});
  auto call = callTo(receiver.url());
  call.timeout = 300ms;
  auto start = std::chrono::steady_clock::now();
  auto result = WebhookClient(localPoster()).call(call);
  auto took = std::chrono::steady_clock::now() - start;
  EXPECT_FALSE(result.passed);
  EXPECT_FALSE(result.refused);
  EXPECT_EQ(result.status, 0);
  EXPECT_NE(result.message.find("webhook \"load-test\" at \"127.0.0.1\""), std::string::npos)
      << result.message;
  EXPECT_NE(result.message.find("did not answer within 300 ms"), std::string::npos) << result.message;
  EXPECT_LT(took, 1200ms);
}

TEST(WebhookClient, RetriesATimeout) {
  ScriptedReceiver receiver({{200, "late", 800ms}, {202, "accepted"}});
  auto call = callTo(receiver.url());
  call.timeout = 300ms;
  call.retries = 1;
  auto result = WebhookClient(localPoster()).call(call);
  EXPECT_TRUE(result.passed) << result.message;
  EXPECT_EQ(result.status, 202);
}

TEST(WebhookClient, QuotesAtMost512BytesOfTheBody) {
  std::string body(5000, 'x');
  body.replace(10, 2, "\n\x1b");
  ScriptedReceiver receiver({{400, body}});
  auto result = WebhookClient(localPoster()).call(callTo(receiver.url()));
  EXPECT_FALSE(result.passed);
  EXPECT_LT(result.message.size(), 512u + 100u);
  EXPECT_EQ(result.message.find('\n'), std::string::npos);
  EXPECT_NE(result.message.find("\\n\\x1b"), std::string::npos);
  EXPECT_NE(result.message.find("…\""), std::string::npos);
}

TEST(WebhookClient, ConnectionRefusedIsAFailure) {
  std::string url;
  {
    ScriptedReceiver gone({{200, ""}});
    url = gone.url();
  }
  auto result = WebhookClient(localPoster()).call(callTo(url));
  EXPECT_FALSE(result.passed);
  EXPECT_FALSE(result.refused);
  EXPECT_NE(result.message.find("unreachable"), std::string::npos) << result.message;
}

TEST(WebhookClient, RefusesHostsOutsideTheAllowList) {
  ScriptedReceiver receiver({{200, ""}});
  auto allowed = EgressAllowList::parse({"*.monitoring"});
  ASSERT_TRUE(allowed);
  WebhookClient client(std::make_shared<HttpPoster>(HttpPosterOptions{.allowed = *allowed}));
  auto result = client.call(callTo(receiver.url()));
  EXPECT_FALSE(result.passed);
  EXPECT_TRUE(result.refused);
  EXPECT_NE(result.message.find("egress refused"), std::string::npos) << result.message;
  EXPECT_TRUE(receiver.received().empty());
  auto notHttp = client.call(callTo("ftp://loadtester.monitoring/"));
  EXPECT_TRUE(notHttp.refused);
  EXPECT_NE(notHttp.message.find("not an http:// or https:// URL"), std::string::npos);
  auto metadata = client.call(callTo("http://169.254.169.254/latest/meta-data"));
  EXPECT_TRUE(metadata.refused);
}

TEST(WebhookClient, VerifiesTlsUnlessDisabled) {
  auto cert = generateSelfSignedCert("127.0.0.1", {"127.0.0.1"});
  ASSERT_TRUE(cert);
  ScriptedReceiver receiver({{200, "ok"}}, http::ServerOptions{.tls = *cert});
  ASSERT_EQ(receiver.url().rfind("https://", 0), 0u);
  WebhookClient client(localPoster());
  auto verified = client.call(callTo(receiver.url()));
  EXPECT_FALSE(verified.passed);
  EXPECT_NE(verified.message.find("unreachable"), std::string::npos) << verified.message;
  auto call = callTo(receiver.url());
  call.disableTls = true;
  auto skipped = client.call(call);
  EXPECT_TRUE(skipped.passed) << skipped.message;
}

TEST(WebhookClient, CallsAsynchronously) {
  ScriptedReceiver receiver({{201, ""}});
  WebhookClient client(localPoster());
  std::promise<WebhookResult> promise;
  client.callAsync(callTo(receiver.url()), [&](WebhookResult r) { promise.set_value(std::move(r)); });
  auto future = promise.get_future();
  ASSERT_EQ(future.wait_for(5s), std::future_status::ready);
  EXPECT_TRUE(future.get().passed);
}

TEST(WebhookClient, ShutdownCancelsABackoffWait) {
  ScriptedReceiver receiver({{503, "busy", 0ms, {{"Retry-After", "20"}}}});
  auto allowed = EgressAllowList::parse({"127.0.0.1"});
  ASSERT_TRUE(allowed);
  auto poster = std::make_shared<HttpPoster>(
      HttpPosterOptions{.allowed = *allowed, .retryWaitMin = 10ms, .retryWaitMax = 30s});
  WebhookClient client(poster);
  auto call = callTo(receiver.url());
  call.retries = 3;
  std::promise<WebhookResult> promise;
  client.callAsync(call, [&](WebhookResult r) { promise.set_value(std::move(r)); });
  auto future = promise.get_future();
  EXPECT_EQ(future.wait_for(300ms), std::future_status::timeout);  // waiting the 20 s Retry-After
  auto start = std::chrono::steady_clock::now();
  poster->shutdown();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 2s);
  ASSERT_EQ(future.wait_for(1s), std::future_status::ready);
  auto result = future.get();
  EXPECT_FALSE(result.passed);
  EXPECT_NE(result.message.find("shutting down"), std::string::npos) << result.message;
  bool called = false;
  client.callAsync(call, [&](WebhookResult r) {
    called = true;
    EXPECT_FALSE(r.passed);
  });
  EXPECT_TRUE(called);
}

}  // namespace
}  // namespace aviary::analysis
