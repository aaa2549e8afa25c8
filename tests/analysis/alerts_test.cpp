// Alert providers: decoding and the Secret, severity routing, each service's exact JSON, and the sender
// against a local receiver (failures counted, never thrown, never naming the address or token).
#include <gtest/gtest.h>

#include <future>

#include <nlohmann/json.hpp>

#include "analysis/alerts/alert_sender.h"
#include "tests/analysis/scripted_receiver.h"

namespace aviary::analysis {
namespace {

using namespace std::chrono_literals;
using Json = nlohmann::json;

AlertMessage sample(AlertSeverity severity = AlertSeverity::Info) {
  return AlertMessage{.canary = "podinfo",
                      .ns = "test",
                      .message = "Canary analysis completed successfully, promotion finished.",
                      .fields = {{"Target", "Deployment/podinfo.test"}, {"Failed checks threshold", "5"}},
                      .severity = severity,
                      .phase = "Succeeded",
                      .checksum = "abc",
                      .time = std::chrono::system_clock::time_point(1'700'000'000'000ms)};
}

AlertTarget target(AlertProviderType type, std::string address = "https://hooks.example/T/B/secret") {
  return AlertTarget{
      .type = type, .name = "test/on-call", .address = std::move(address), .channel = "deploys"};
}

TEST(AlertSeverity, RoutesByThreshold) {
  using S = AlertSeverity;
  struct Row {
    S subscribed, severity;
    bool wanted;
  };
  for (auto [subscribed, severity, wanted] : std::vector<Row>{{S::Info, S::Info, true},
                                                              {S::Info, S::Warn, true},
                                                              {S::Info, S::Error, true},
                                                              {S::Warn, S::Info, false},
                                                              {S::Warn, S::Warn, true},
                                                              {S::Warn, S::Error, true},
                                                              {S::Error, S::Info, false},
                                                              {S::Error, S::Warn, false},
                                                              {S::Error, S::Error, true}}) {
    EXPECT_EQ(alertWanted(subscribed, severity), wanted)
        << alertSeverityName(subscribed) << " <- " << alertSeverityName(severity);
  }
  EXPECT_EQ(parseAlertSeverity(""), S::Info);
  EXPECT_EQ(parseAlertSeverity("info"), S::Info);
  EXPECT_EQ(parseAlertSeverity("warn"), S::Warn);
  EXPECT_EQ(parseAlertSeverity("error"), S::Error);
  EXPECT_EQ(parseAlertSeverity("critical"), std::nullopt);
}

TEST(AlertProviderDecode, ReadsFlaggersFields) {
  auto r = decodeAlertProvider(Json::parse(R"({"metadata":{"name":"on-call"},"spec":{"type":"slack",
    "channel":"deploys","username":"bot","address":"https://hooks.slack.com/x","proxy":"http://proxy:3128",
    "secretRef":{"name":"slack-url"}}})"));
  ASSERT_TRUE(r.errors.empty()) << r.errors.front().describe();
  EXPECT_EQ(r.spec.type, AlertProviderType::Slack);
  EXPECT_EQ(r.spec.channel, "deploys");
  EXPECT_EQ(r.spec.username, "bot");
  EXPECT_EQ(r.spec.address, "https://hooks.slack.com/x");
  EXPECT_EQ(r.spec.proxy, "http://proxy:3128");
  EXPECT_EQ(r.spec.secretRefName, "slack-url");
}

TEST(AlertProviderDecode, ReportsFieldPaths) {
  auto paths = [](const char* text) {
    std::vector<std::string> out;
    for (const auto& e : decodeAlertProvider(Json::parse(text)).errors) out.push_back(e.describe());
    return out;
  };
  EXPECT_EQ(paths(R"({"spec":{"type":"pagerduty","address":"https://x"}})"),
            std::vector<std::string>{
                "spec.type: \"pagerduty\" is not one of slack, msteams, discord, rocket, gchat, webhook"});
  EXPECT_EQ(paths(R"({"spec":{"type":"slack","channel":5,"secretRef":{}}})"),
            (std::vector<std::string>{"spec.channel: must be a string",
                                      "spec.secretRef.name: is required and must be a string"}));
  EXPECT_EQ(paths(R"({"spec":{"type":"gchat"}})"),
            std::vector<std::string>{"spec: needs an address or a secretRef"});
  EXPECT_EQ(
      paths(R"({"spec":{"address":"https://x"}})"),
      std::vector<std::string>{"spec.type: is required (slack, msteams, discord, rocket, gchat or webhook)"});
  EXPECT_EQ(paths(R"({})"), std::vector<std::string>{"spec: must be an object"});
}

TEST(AlertProviderSecret, OverridesTheAddressAndNeverShowsValues) {
  AlertProviderSpec spec{
      .type = AlertProviderType::Slack, .address = "https://spec.example/hook", .secretRefName = "slack-url"};
  std::map<std::string, std::string> data = {{"address", "https://hooks.slack.com/services/T/B/s3cr3t\n"},
                                             {"token", "xoxb-s3cr3t"}};
  auto t = resolveAlertTarget(spec, "test/on-call", &data);
  ASSERT_TRUE(t) << t.error().message;
  EXPECT_EQ(t->address, "https://hooks.slack.com/services/T/B/s3cr3t");
  EXPECT_EQ(t->token, "xoxb-s3cr3t");
  EXPECT_EQ(t->username, "aviary");
  EXPECT_EQ(t->channel, "general");

  std::map<std::string, std::string> noAddress = {{"token", "xoxb-s3cr3t"},
                                                  {"adress", "https://typo/s3cr3t"}};
  auto missing = resolveAlertTarget(spec, "test/on-call", &noAddress);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().message,
            "alert provider \"test/on-call\": secret \"slack-url\" has no key \"address\"");
  EXPECT_FALSE(resolveAlertTarget(spec, "test/on-call", nullptr));
  spec.secretRefName.reset();
  auto plain = resolveAlertTarget(spec, "test/on-call", nullptr);
  ASSERT_TRUE(plain);
  EXPECT_EQ(plain->address, "https://spec.example/hook");
  EXPECT_TRUE(plain->token.empty());
}

TEST(AlertPayloads, Slack) {
  auto m = sample(AlertSeverity::Error);
  m.message = "Failed <!channel> & co";
  EXPECT_EQ(slackPayload(target(AlertProviderType::Slack), m), Json::parse(R"({
    "channel":"deploys","username":"aviary","icon_url":"","icon_emoji":":rocket:",
    "attachments":[{"color":"danger","author_name":"podinfo.test","text":"Failed &lt;!channel&gt; &amp; co",
      "mrkdwn_in":["text"],"fields":[{"title":"Target","value":"Deployment/podinfo.test","short":false},
                                     {"title":"Failed checks threshold","value":"5","short":false}]}]})"));
  EXPECT_EQ(slackPayload(target(AlertProviderType::Slack), sample())["attachments"][0]["color"], "good");
  EXPECT_EQ(
      slackPayload(target(AlertProviderType::Slack), sample(AlertSeverity::Warn))["attachments"][0]["color"],
      "warning");
}

TEST(AlertPayloads, DiscordUsesTheSlackEndpoint) {
  auto post =
      buildAlertPost(target(AlertProviderType::Discord, "https://discord.com/api/webhooks/1/t"), sample());
  EXPECT_EQ(post.url, "https://discord.com/api/webhooks/1/t/slack");
  EXPECT_EQ(post.body["attachments"][0]["color"], "good");
  EXPECT_EQ(post.body["username"], "aviary");
  EXPECT_EQ(discordUrl("https://discord.com/api/webhooks/1/t/slack"),
            "https://discord.com/api/webhooks/1/t/slack");
  EXPECT_EQ(discordUrl("https://discord.com/api/webhooks/1/t/"),
            "https://discord.com/api/webhooks/1/t/slack");
  EXPECT_EQ(discordUrl("https://discord.com/api/webhooks/1/t?wait=true"),
            "https://discord.com/api/webhooks/1/t/slack?wait=true");
}

TEST(AlertPayloads, Rocket) {
  auto body = rocketPayload(target(AlertProviderType::Rocket), sample(AlertSeverity::Error));
  EXPECT_EQ(body["attachments"][0]["color"], "#FF0000");
  EXPECT_EQ(rocketPayload(target(AlertProviderType::Rocket), sample())["attachments"][0]["color"], "#0076D7");
  EXPECT_EQ(body["channel"], "deploys");
  EXPECT_EQ(body["attachments"][0]["text"], sample().message);
}

TEST(AlertPayloads, TeamsMessageCard) {
  EXPECT_EQ(teamsPayload(sample()), Json::parse(R"({
    "@type":"MessageCard","@context":"http://schema.org/extensions","themeColor":"0076D7",
    "summary":"podinfo.test","sections":[{"activityTitle":"Canary analysis completed successfully, promotion finished.",
      "activitySubtitle":"podinfo.test","facts":[{"name":"Target","value":"Deployment/podinfo.test"},
                                                 {"name":"Failed checks threshold","value":"5"}]}]})"));
  EXPECT_EQ(teamsPayload(sample(AlertSeverity::Error))["themeColor"], "FF0000");
}

TEST(AlertPayloads, GoogleChatCard) {
  auto m = sample();
  m.fields = {{"Target", "<b>x</b>"}};
  EXPECT_EQ(gchatPayload(m), Json::parse(R"({"cards":[{"header":{"title":"Aviary","subtitle":"podinfo.test"},
    "sections":[
      {"widgets":[{"textParagraph":{"text":"<font color=#848484><strong>Canary analysis completed successfully, promotion finished.</strong></font>"}}]},
      {"widgets":[{"textParagraph":{"text":"Target<br><font color=#848484><strong>&lt;b&gt;x&lt;/b&gt;</strong></font>"}}]}]}]})"));
}

TEST(AlertPayloads, GenericWebhookIsFlaggersPayload) {
  EXPECT_EQ(genericWebhookPayload(sample(AlertSeverity::Warn)), Json::parse(R"({
    "name":"podinfo","namespace":"test","phase":"Succeeded","checksum":"abc",
    "metadata":{"eventMessage":"Canary analysis completed successfully, promotion finished.","eventType":"Warning",
      "timestamp":"1700000000000","severity":"warn","Target":"Deployment/podinfo.test","Failed checks threshold":"5"}})"));
  EXPECT_EQ(genericWebhookPayload(sample())["metadata"]["eventType"], "Normal");
}

std::shared_ptr<HttpPoster> localPoster() {
  auto allowed = EgressAllowList::parse({"127.0.0.1"});
  EXPECT_TRUE(allowed);
  return std::make_shared<HttpPoster>(
      HttpPosterOptions{.allowed = *allowed, .retryWaitMin = 10ms, .retryWaitMax = 40ms});
}

TEST(AlertSender, PostsTheSlackBodyWithTheToken) {
  ScriptedReceiver receiver({{200, "ok"}});
  AlertSender sender(localPoster());
  auto t = target(AlertProviderType::Slack, receiver.url("/services/T/B/s3cr3t"));
  t.token = "xoxb-s3cr3t";
  auto sent = sender.sendNow(t, sample());
  EXPECT_TRUE(sent) << sent.error().message;
  auto got = receiver.received();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].header("authorization"), "Bearer xoxb-s3cr3t");
  EXPECT_EQ(Json::parse(got[0].body), slackPayload(t, sample()));
  EXPECT_EQ(sender.counters().sent, 1u);
  EXPECT_EQ(sender.counters().failed, 0u);
}

TEST(AlertSender, SendsTheTokenToSlackOnly) {
  ScriptedReceiver receiver({{200, ""}});
  AlertSender sender(localPoster());
  auto t = target(AlertProviderType::MsTeams, receiver.url());
  t.token = "xoxb-s3cr3t";
  EXPECT_TRUE(sender.sendNow(t, sample()));
  ASSERT_EQ(receiver.received().size(), 1u);
  EXPECT_EQ(receiver.received()[0].header("authorization"), "");
}

TEST(AlertSender, RetriesThenCountsTheFailureWithoutTheAddress) {
  ScriptedReceiver receiver({{500, "no such hook /services/T/B/s3cr3t"}});
  AlertSender sender(localPoster(), {.timeout = 2s, .retries = 2});
  auto t = target(AlertProviderType::Slack, receiver.url("/services/T/B/s3cr3t"));
  auto sent = sender.sendNow(t, sample(AlertSeverity::Error));
  ASSERT_FALSE(sent);
  EXPECT_EQ(receiver.received().size(), 3u);
  EXPECT_EQ(sent.error().message.find("s3cr3t"), std::string::npos) << sent.error().message;
  EXPECT_NE(sent.error().message.find("alert provider \"test/on-call\" (slack) answered HTTP 500"),
            std::string::npos)
      << sent.error().message;
  EXPECT_EQ(sender.counters().failed, 1u);
  EXPECT_EQ(sender.counters().sent, 0u);
}

TEST(AlertSender, UnreachableAndRefusedAreCountedNotThrown) {
  std::string url;
  {
    ScriptedReceiver gone({{200, ""}});
    url = gone.url("/s3cr3t");
  }
  AlertSender sender(localPoster(), {.timeout = 1s, .retries = 1});
  auto down = sender.sendNow(target(AlertProviderType::GChat, url), sample());
  ASSERT_FALSE(down);
  EXPECT_EQ(down.error().message.find("s3cr3t"), std::string::npos);
  auto refused =
      sender.sendNow(target(AlertProviderType::Slack, "https://hooks.slack.com/services/s3cr3t"), sample());
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::Forbidden);
  EXPECT_NE(refused.error().message.find("egress refused"), std::string::npos);
  EXPECT_EQ(refused.error().message.find("s3cr3t"), std::string::npos);
  EXPECT_EQ(sender.counters().failed, 2u);
}

TEST(AlertSender, SendsAsynchronously) {
  ScriptedReceiver receiver({{204, ""}});  // any 2xx is delivered, as Flagger's notifier says
  AlertSender sender(localPoster());
  std::promise<Status> promise;
  sender.send(target(AlertProviderType::Webhook, receiver.url()), sample(),
              [&](Status s) { promise.set_value(std::move(s)); });
  auto future = promise.get_future();
  ASSERT_EQ(future.wait_for(5s), std::future_status::ready);
  EXPECT_TRUE(future.get());
  EXPECT_EQ(sender.counters().sent, 1u);
}

}  // namespace
}  // namespace aviary::analysis
