// What kubectl aviary prints and decides, from objects as the API server returns them.
#include <gtest/gtest.h>

#include "operator/controller/workloads.h"
#include "operator/core/time_format.h"
#include "operator/plugin/canary_requests.h"
#include "operator/plugin/canary_view.h"
#include "operator/plugin/json_yaml.h"

namespace aviary::plugin {
namespace {

using kube::Json;

const auto kNow = *parseRfc3339("2026-11-22T10:05:00Z");

Json canary() {
  return Json::parse(R"({
    "apiVersion": "aviary.io/v1beta1", "kind": "Canary",
    "metadata": {"name": "podinfo", "namespace": "test", "creationTimestamp": "2026-11-22T09:00:00Z"},
    "spec": {"provider": "istio", "targetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "podinfo"},
             "service": {"port": 9898},
             "analysis": {"interval": "1m", "threshold": 5, "stepWeight": 10, "maxWeight": 50}},
    "status": {"phase": "Progressing", "canaryWeight": 20, "failedChecks": 1,
               "lastTransitionTime": "2026-11-22T10:04:20Z",
               "analysis": {"time": "2026-11-22T10:04:20Z", "message": "",
                            "metrics": [{"name": "request-success-rate", "value": 99.91, "min": 99, "passed": true, "message": ""},
                                        {"name": "request-duration", "value": 612, "max": 500, "passed": false, "message": ""}]},
               "lastRequest": {"action": "pause", "id": "a1", "requestedBy": "alice", "requestedAt": "2026-11-22T10:03:00Z",
                               "handledAt": "2026-11-22T10:03:01Z", "outcome": "Done", "message": "Paused"},
               "conditions": []}})");
}

Json deployment(const std::string& name, const std::string& image, int replicas, int ready) {
  Json d;
  d["metadata"] = {{"name", name}, {"namespace", "test"}};
  d["spec"]["replicas"] = replicas;
  d["spec"]["template"]["spec"]["containers"] = Json::array({{{"name", "app"}, {"image", image}}});
  d["status"]["readyReplicas"] = ready;
  return d;
}

TEST(CanaryView, OneScreenSaysWhereTheReleaseStands) {
  CanaryScreen s;
  s.canary = canary();
  const Json target = deployment("podinfo", "podinfo:6.5.1", 2, 1);
  const Json primary = deployment("podinfo-primary", "podinfo:6.5.0", 2, 2);
  s.target = &target;
  s.primary = &primary;
  s.now = kNow;
  for (int i = 0; i < 8; ++i) {
    s.events.push_back(
        {{"reason", "Synced"},
         {"message", "event " + std::to_string(i)},
         {"type", i == 7 ? "Warning" : "Normal"},
         {"lastTimestamp", "2026-11-22T10:0" + std::to_string(i % 5) + ":0" + std::to_string(i) + "Z"}});
  }
  const std::string text = renderCanary(s);
  for (const char* line :
       {"Name:         test/podinfo", "Strategy:     canary (stepWeight 10, maxWeight 50)",
        "Phase:        Progressing for 40s, next step in 20s",
        "Weight:       [############..................] 20% of 50%", "Steps:        2 done, 3 left",
        "Failed checks: 1 of 5", "  ✔ request-success-rate  99.91     min 99",
        "  ✘ request-duration      612       max 500", "Primary:      podinfo:6.5.0 (2/2 ready)",
        "Canary:       podinfo:6.5.1 (1/2 ready)", "Last request: pause by alice: Done — Paused"})
    EXPECT_NE(text.find(line), std::string::npos) << "missing \"" << line << "\" in\n" << text;
  EXPECT_EQ(text.find("event 0"), std::string::npos) << "only the newest six Events";
  EXPECT_NE(text.find("event 7"), std::string::npos);
  EXPECT_LT(text.find("event 2"), text.find("event 7")) << "oldest first";
  EXPECT_EQ(text.find("\x1b["), std::string::npos);
  s.colour = true;
  EXPECT_NE(renderCanary(s).find("\x1b[31m✘"), std::string::npos) << "a failed check in red on a terminal";
}

TEST(CanaryView, BlueGreenCountsIterationsAndAPausedReleaseSaysHowToGoOn) {
  CanaryScreen s;
  s.canary = canary();
  s.canary["spec"]["analysis"] = {{"interval", "30s"}, {"iterations", 4}, {"postPromotionIterations", 1}};
  s.canary["status"]["iterations"] = 2;
  s.canary["status"]["canaryWeight"] = 0;
  s.canary["status"]["paused"] = true;
  s.now = kNow;
  const std::string text = renderCanary(s);
  EXPECT_NE(text.find("blue/green (4 iterations + 1 after the switch)"), std::string::npos) << text;
  EXPECT_NE(text.find("Iterations:   2 done, 3 left"), std::string::npos) << text;
  EXPECT_NE(text.find("(paused: kubectl aviary resume)"), std::string::npos) << text;
  EXPECT_EQ(text.find("next step"), std::string::npos) << "no countdown while paused";
  EXPECT_NE(text.find("Canary:       - (not found)"), std::string::npos) << text;
}

TEST(CanaryView, AnEndedReleaseSaysHowItEndedInsteadOfCountingSteps) {
  CanaryScreen s;
  s.canary = canary();
  s.now = kNow;
  s.canary["status"]["canaryWeight"] = 0;
  s.canary["status"]["phase"] = "Succeeded";
  EXPECT_NE(renderCanary(s).find("Steps:        all 5 done, promoted"), std::string::npos) << renderCanary(s);
  s.canary["status"]["phase"] = "Failed";
  EXPECT_NE(renderCanary(s).find("Steps:        stopped, rolled back to the primary"), std::string::npos)
      << renderCanary(s);
}

TEST(CanaryView, ListHasOneLineACanary) {
  Json other = canary();
  other["metadata"]["name"] = "frontend";
  other["metadata"]["namespace"] = "shop";
  other["status"] = {{"phase", "Failed"}, {"canaryWeight", 0}, {"failedChecks", 5}};
  EXPECT_EQ(renderList({canary(), other}, true, kNow),
            "NAMESPACE  NAME      PHASE        WEIGHT  FAILED  AGE\n"
            "test       podinfo   Progressing  20      1       1h05m\n"
            "shop       frontend  Failed       0       5       1h05m\n");
  EXPECT_EQ(humanDuration(std::chrono::seconds(59)), "59s");
  EXPECT_EQ(humanDuration(std::chrono::seconds(61)), "1m01s");
  EXPECT_EQ(humanDuration(std::chrono::seconds(90000)), "1d01h");
}

// `status`: a terminal phase counts only once the operator has taken up the target's current template.
TEST(RolloutVerdict, WaitsForTheOperatorToTakeUpTheCurrentRevision) {
  Json target = deployment("podinfo", "podinfo:6.5.1", 2, 2);
  Json c = canary();
  c["status"]["lastAppliedSpec"] = controller::templateHash(target);
  c["status"]["phase"] = "Succeeded";
  EXPECT_EQ(rolloutVerdict(c, &target), Verdict::Succeeded);
  c["status"]["phase"] = "Failed";
  EXPECT_EQ(rolloutVerdict(c, &target), Verdict::Failed);
  c["status"]["phase"] = "Progressing";
  EXPECT_EQ(rolloutVerdict(c, &target), Verdict::Pending);
  c["status"]["phase"] = "Succeeded";
  target["spec"]["template"]["spec"]["containers"][0]["image"] = "podinfo:6.5.2";  // just applied
  EXPECT_EQ(rolloutVerdict(c, &target), Verdict::Pending) << "the last release's verdict is not this one's";
  target["spec"]["replicas"] = 0;  // the operator scaling the canary is no new revision
  target["spec"]["template"]["spec"]["containers"][0]["image"] = "podinfo:6.5.1";
  EXPECT_EQ(rolloutVerdict(c, &target), Verdict::Succeeded);
}

TEST(JsonYaml, EmitsYamlThatKeepsTypes) {
  EXPECT_EQ(toYaml(Json::parse(R"({"a": "true", "b": true, "c": [1, 2.5], "d": null, "e": {}})")),
            "a: \"true\"\nb: true\nc:\n  - 1\n  - 2.5\nd: ~\ne: {}\n");
}

}  // namespace
}  // namespace aviary::plugin
