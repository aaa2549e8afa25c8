// Issue 12 §3 and §4 end to end: Flagger's webhooks and alerts against a local receiver, on both beds, driven
// with kubectl as a user would — gates that hold a release until approved (confirm-rollout: Waiting with
// nothing scaled; confirm-promotion: WaitingPromotion at the full weight while the analysis goes on), rollout
// hooks with Flagger's payload, post-rollout and event hooks, a rollback hook that stops a release at once,
// and a slow hook that does not delay another Canary; and alerts in Slack's format at the severities
// subscribed.
#include <atomic>
#include <mutex>
#include <set>
#include <thread>

#include "operator/http/http_server.h"
#include "tests/e2e/canary_e2e_fixture.h"

namespace aviary::e2e {
namespace {

// A Flagger-style receiver: gates answer 200 once opened, 403 before; every call is recorded.
class Receiver {
 public:
  Receiver()
      : server_(http::ServerOptions{}, [this](const http::Request& r, http::ResponseWriter& w) {
          int status = 200;
          {
            std::lock_guard lock(mutex_);
            calls_[r.path].push_back(Json::parse(r.body, nullptr, false));
            if (r.path.rfind("/gate/", 0) == 0) status = open_.count(r.path) ? 200 : 403;
          }
          if (r.path == "/slow") std::this_thread::sleep_for(std::chrono::seconds(10));
          w.send(status, "text/plain", status == 200 ? "ok" : "closed");
        }) {
    EXPECT_TRUE(server_.start());
  }
  std::string url(const std::string& path) const { return server_.baseUrl() + path; }
  void open(const std::string& gate) {
    std::lock_guard lock(mutex_);
    open_.insert(gate);
  }
  std::vector<Json> calls(const std::string& path) {
    std::lock_guard lock(mutex_);
    return calls_[path];
  }

 private:
  std::mutex mutex_;
  std::map<std::string, std::vector<Json>> calls_;
  std::set<std::string> open_;
  http::HttpServer server_;
};

std::string hook(const std::string& type, const std::string& name, const std::string& url) {
  return "    - {type: " + type + ", name: " + name + ", url: \"" + url +
         "\", metadata: {cmd: \"hey -z 1m\"}}\n";
}

class Webhooks : public CanaryE2E {
 protected:
  Receiver receiver;
};

TEST_F(Webhooks, GatesHoldTheReleaseUntilApprovedAndHooksGetFlaggersPayload) {
  const std::string hooks =
      "    webhooks:\n" + hook("confirm-rollout", "start", receiver.url("/gate/rollout")) +
      hook("rollout", "load", receiver.url("/rollout")) +
      hook("confirm-promotion", "ship", receiver.url("/gate/promotion")) +
      hook("post-rollout", "done", receiver.url("/post")) + hook("event", "events", receiver.url("/event"));
  initialize("wh-gates", "", hooks);
  setImage("wh-gates");
  ASSERT_TRUE(waitPhase("wh-gates", "Waiting", std::chrono::seconds(15))) << phase("wh-gates");
  EXPECT_TRUE(
      eventually([&] { return receiver.calls("/gate/rollout").size() >= 2; }, std::chrono::seconds(12)))
      << "the gate is asked every interval";
  EXPECT_EQ(phase("wh-gates"), "Waiting") << "held until approved";
  EXPECT_EQ(deployment("wh-gates", "podinfo").value("/spec/replicas"_json_pointer, -1), 0)
      << "nothing scaled";

  receiver.open("/gate/rollout");
  ASSERT_TRUE(waitPhase("wh-gates", "WaitingPromotion", std::chrono::seconds(30))) << phase("wh-gates");
  EXPECT_EQ(weight("wh-gates"), 50) << "the real weight while waiting";
  auto rollout = receiver.calls("/rollout");
  ASSERT_FALSE(rollout.empty());
  const Json& payload = rollout.front();
  EXPECT_EQ(payload["name"], "podinfo");
  EXPECT_EQ(payload["namespace"], "wh-gates");
  EXPECT_EQ(payload["phase"], "Progressing");
  EXPECT_EQ(payload["checksum"], canary("wh-gates")["status"]["lastAppliedSpec"]);
  EXPECT_EQ(payload["metadata"]["cmd"], "hey -z 1m");

  const std::size_t loadCallsBefore = receiver.calls("/rollout").size();
  EXPECT_TRUE(eventually([&] { return receiver.calls("/rollout").size() > loadCallsBefore; },
                         std::chrono::seconds(12)))
      << "the analysis goes on while waiting";
  EXPECT_EQ(phase("wh-gates"), "WaitingPromotion");
  EXPECT_TRUE(receiver.calls("/post").empty());

  receiver.open("/gate/promotion");
  ASSERT_TRUE(waitPhase("wh-gates", "Succeeded", std::chrono::seconds(30))) << phase("wh-gates");
  EXPECT_EQ(primaryImage("wh-gates"), "ghcr.io/stefanprodan/podinfo:6.5.1");
  EXPECT_TRUE(eventually([&] { return receiver.calls("/post").size() == 1; })) << "post-rollout, once";
  EXPECT_TRUE(eventually([&] {
    for (const auto& e : receiver.calls("/event")) {
      if (e.value("/metadata/eventMessage"_json_pointer, std::string()).find("Promotion completed") !=
          std::string::npos)
        return true;
    }
    return false;
  })) << "every Event is posted to the event hook";
}

TEST_F(Webhooks, ARollbackHookStopsTheReleaseAtOnce) {
  initialize("wh-abort", "",
             "    webhooks:\n" + hook("rollback", "abort", receiver.url("/gate/abort")) +
                 hook("confirm-promotion", "never", receiver.url("/gate/never")));
  setImage("wh-abort");
  ASSERT_TRUE(eventually([&] { return weight("wh-abort") > 0; }, std::chrono::seconds(20)));
  receiver.open("/gate/abort");
  ASSERT_TRUE(waitPhase("wh-abort", "Failed", std::chrono::seconds(10))) << phase("wh-abort");
  EXPECT_EQ(weight("wh-abort"), 0);
  EXPECT_EQ(primaryImage("wh-abort"), "ghcr.io/stefanprodan/podinfo:6.5.0");
}

TEST_F(Webhooks, ASlowHookDoesNotDelayAnotherCanary) {
  initialize("wh-slow", "", "    webhooks:\n" + hook("rollout", "slow", receiver.url("/slow")));
  initialize("wh-fast");
  setImage("wh-slow");
  setImage("wh-fast");
  // The fast Canary's release takes 3 steps of 3 s; the slow one waits 10 s for each answer.
  auto start = std::chrono::steady_clock::now();
  ASSERT_TRUE(eventually([&] { return !receiver.calls("/slow").empty(); }, std::chrono::seconds(15)))
      << "the slow hook is in flight";
  ASSERT_TRUE(waitPhase("wh-fast", "Succeeded", std::chrono::seconds(30))) << phase("wh-fast");
  // Three 3 s steps and the promotion take about 12 s; waiting on the slow hook's 10 s answers would take
  // far longer.
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(25));
  EXPECT_NE(phase("wh-slow"), "Succeeded");
}

TEST_F(Webhooks, AHookOutsideTheNamespaceIsRefused) {
  apply(manifests("wh-scope", "",
                  "    webhooks:\n" + hook("rollout", "elsewhere", "http://loadtester.other-team/")));
  ASSERT_TRUE(eventually([&] { return readyCondition("wh-scope", "reason") == "InvalidSpec"; }));
  const std::string message = readyCondition("wh-scope", "message");
  EXPECT_NE(message.find("spec.analysis.webhooks[0].url: host \"loadtester.other-team\" is not a Service "
                         "of namespace \"wh-scope\""),
            std::string::npos)
      << message;
}

TEST_F(Webhooks, AlertsReachTheProviderInItsFormatAtTheSeveritySubscribed) {
  apply(
      "apiVersion: v1\nkind: Namespace\nmetadata: {name: wh-alerts}\n---\n"
      "apiVersion: aviary.io/v1beta1\nkind: AlertProvider\nmetadata: {name: on-call, namespace: wh-alerts}\n"
      "spec: {type: slack, channel: releases, address: \"" +
      receiver.url("/slack") + "\"}\n");
  initialize("wh-alerts", "  progressDeadlineSeconds: 5\n",
             "    alerts:\n    - {name: on-call, severity: info, providerRef: {name: on-call}}\n");
  ASSERT_EQ(kubectl("patch deployment podinfo -n wh-alerts --type merge -p "
                    "'{\"spec\":{\"template\":{\"metadata\":{\"annotations\":{\"sandbox.aviary.io/"
                    "never-ready\":\"true\"}}}}}'")
                .exitCode,
            0);
  ASSERT_TRUE(waitPhase("wh-alerts", "Failed", std::chrono::seconds(30))) << phase("wh-alerts");
  auto colourOf = [&](const std::string& text) {
    for (const auto& post : receiver.calls("/slack")) {
      const Json& a = post.value("/attachments/0"_json_pointer, Json::object());
      if (a.value("text", "").find(text) != std::string::npos) return a.value("color", std::string("?"));
    }
    return std::string();
  };
  EXPECT_TRUE(eventually([&] { return !colourOf("New revision detected").empty(); })) << "info: the release";
  // Whichever sees the deadline first rolls back: the Canary's own clock ("not ready within the progress
  // deadline") or the Deployment's condition, which wakes it ("exceeded its progress deadline").
  EXPECT_TRUE(eventually([&] { return colourOf("progress deadline") == "danger"; })) << "error: the rollback";
  for (const auto& post : receiver.calls("/slack")) {
    EXPECT_EQ(post["channel"], "releases");
    EXPECT_EQ(post.value("/attachments/0/text"_json_pointer, std::string()).find("Advance"),
              std::string::npos)
        << "routine steps are not alerted";
  }
}

// Flagger's operator-wide notifications: --slack-url for Canaries that list no alerts (every severity),
// --event-webhook for every Event, --cluster-name in both. A Canary's own alerts replace the global ones.
TEST_F(Webhooks, OperatorWideAlertsAndTheEventWebhookCarryTheClusterName) {
  world->aviary->terminate();
  world->startOperator({"--slack-url", receiver.url("/global-slack"), "--slack-channel", "deploys",
                        "--event-webhook", receiver.url("/events"), "--cluster-name", "e2e-cluster"});
  struct Restore {  // the other tests' operator, whatever this one's outcome
    ~Restore() {
      world->aviary->terminate();
      world->startOperator();
    }
  } restore;
  apply(
      "apiVersion: v1\nkind: Namespace\nmetadata: {name: wh-global}\n---\n"
      "apiVersion: aviary.io/v1beta1\nkind: AlertProvider\nmetadata: {name: own, namespace: wh-global}\n"
      "spec: {type: slack, channel: own, address: \"" +
      receiver.url("/own-slack") + "\"}\n");
  initialize("wh-global");
  setImage("wh-global");
  ASSERT_TRUE(waitPhase("wh-global", "Succeeded", std::chrono::seconds(40))) << phase("wh-global");
  auto texts = [&](const std::string& path) {
    std::string out;
    for (const auto& post : receiver.calls(path)) out += post.dump() + "\n";
    return out;
  };
  ASSERT_TRUE(eventually([&] {
    return texts("/global-slack").find("Promotion completed") != std::string::npos;
  })) << texts("/global-slack");
  std::string slack = texts("/global-slack");
  EXPECT_NE(slack.find("New revision detected"), std::string::npos) << slack;
  EXPECT_NE(slack.find(R"({"short":false,"title":"Cluster","value":"e2e-cluster"})"), std::string::npos)
      << slack;
  EXPECT_NE(slack.find(R"("channel":"deploys")"), std::string::npos) << slack;
  ASSERT_TRUE(eventually([&] { return !receiver.calls("/events").empty(); }));
  for (const auto& post : receiver.calls("/events")) {
    if (post.value("namespace", "") != "wh-global") continue;  // the other tests' Canaries post here too
    EXPECT_EQ(post.value("/metadata/cluster"_json_pointer, std::string()), "e2e-cluster") << post.dump();
    EXPECT_FALSE(post.value("/metadata/eventMessage"_json_pointer, std::string()).empty()) << post.dump();
  }

  // With alerts of its own, a Canary's alerts go there only.
  const std::size_t globalBefore = receiver.calls("/global-slack").size();
  ASSERT_EQ(kubectl("patch canary podinfo -n wh-global --type json -p '[{\"op\":\"add\",\"path\":"
                    "\"/spec/analysis/alerts\",\"value\":[{\"name\":\"own\",\"severity\":\"info\","
                    "\"providerRef\":{\"name\":\"own\"}}]}]'")
                .exitCode,
            0);
  setImage("wh-global", "6.7.0");
  ASSERT_TRUE(
      eventually([&] { return texts("/own-slack").find("New revision detected") != std::string::npos; },
                 std::chrono::seconds(20)))
      << texts("/own-slack");
  ASSERT_TRUE(waitPhase("wh-global", "Succeeded", std::chrono::seconds(40))) << phase("wh-global");
  std::size_t globalNew = 0;
  const auto global = receiver.calls("/global-slack");
  for (std::size_t i = globalBefore; i < global.size(); ++i)
    globalNew += global[i].dump().find("wh-global") != std::string::npos ? 1 : 0;
  EXPECT_EQ(globalNew, 0u) << "the Canary's own alerts replace the operator-wide ones";
}

}  // namespace
}  // namespace aviary::e2e
