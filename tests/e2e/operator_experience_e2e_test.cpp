// Issue 16, the operators' experience, on either bed. `kubectl aviary`, found by the real kubectl on PATH,
// against a running operator: list, get (one screen, and the live view in a terminal under tmux), status
// as a CI check (exit 0, 1, 2), and the requests that steer a release without touching the spec
// (pause/resume, promote, abort, retry), each acted on once and recorded with who asked. And the Grafana
// dashboard: every query of every panel answers with data from a real Prometheus during a release.
#include <filesystem>
#include <fstream>
#include <functional>
#include <thread>

#include "analysis/prometheus/prometheus_client.h"
#include "sandbox/prometheus/prometheus_server.h"
#include "tests/e2e/canary_e2e_fixture.h"
#include "tests/support/kube_components.h"

namespace aviary::e2e {
namespace {

class ExperienceE2E : public CanaryE2E {
 protected:
  // `kubectl aviary <args>` as a user types it: kubectl finds kubectl-aviary on PATH and passes the
  // environment (KUBECONFIG) on.
  testing::CommandResult aviary(const std::string& args) {
    return testing::runCommand(environment() + testing::kubectlBinary() + " aviary " + args + " 2>&1");
  }
  static std::string environment() {
    return "PATH=" + std::string(AVIARY_PLUGIN_DIR) + ":$PATH KUBECONFIG=" + world->kubectl->kubeconfig() +
           " ";
  }
  int countEvents(const std::string& ns, const std::string& reason, const std::string& type = "") {
    auto list = world->client->list(kube::resources::kEvents, ns);
    int n = 0;
    for (const auto& e : (*list)["items"]) {
      if (e.value("reason", std::string()) == reason &&
          (type.empty() || e.value("type", std::string()) == type))
        n += e.value("count", 1);
    }
    return n;
  }
  Json lastRequest(const std::string& ns) {
    return canary(ns).value("/status/lastRequest"_json_pointer, Json());
  }
};

TEST_F(ExperienceE2E, ListGetAndStatusFollowAReleaseAndStatusIsACiCheck) {
  const std::string ns = "e2e-plugin-status";
  initialize(ns);
  auto list = aviary("list -n " + ns);
  EXPECT_EQ(list.exitCode, 0) << list.output;
  EXPECT_NE(list.output.find("podinfo"), std::string::npos) << list.output;
  EXPECT_NE(list.output.find("Initialized"), std::string::npos) << list.output;
  auto all = aviary("list -A -o json");
  ASSERT_EQ(all.exitCode, 0) << all.output;
  bool found = false;
  const Json listed = Json::parse(all.output);  // kept: a range over a temporary's member dangles
  for (const auto& c : listed["items"])
    found = found || c.value("/metadata/namespace"_json_pointer, std::string()) == ns;
  EXPECT_TRUE(found) << "list -A -o json lists every namespace: " << all.output.substr(0, 2000);
  EXPECT_NE(aviary("get canary podinfo -n " + ns + " -o yaml").output.find("phase: \"Initialized\""),
            std::string::npos);

  // A healthy release: status waits and answers 0.
  setImage(ns);
  auto status = aviary("status podinfo -n " + ns + " --timeout 90s");
  EXPECT_EQ(status.exitCode, 0) << status.output;
  EXPECT_NE(status.output.find("Progressing"), std::string::npos)
      << "it followed the release: " << status.output;
  EXPECT_EQ(phase(ns), "Succeeded");
  auto get = aviary("get canary podinfo -n " + ns);
  ASSERT_EQ(get.exitCode, 0) << get.output;
  for (const char* shown : {"Phase:", "Succeeded", "podinfo:6.5.1 (2/2 ready)", "request-success-rate",
                            "request-duration", "✔", "Events:", "Promotion completed"})
    EXPECT_NE(get.output.find(shown), std::string::npos) << shown << " in\n" << get.output;
  EXPECT_EQ(get.output.find("\x1b["), std::string::npos) << "no colour when not on a terminal";

  // A release still running when the timeout ends: 2.
  setImage(ns, "6.5.2");
  auto early = aviary("status podinfo -n " + ns + " --timeout 2s");
  EXPECT_EQ(early.exitCode, 2) << early.output;
  ASSERT_TRUE(waitPhase(ns, "Succeeded", std::chrono::seconds(60)));

  // A faulty release: 1, with the reason.
  ASSERT_EQ(kubectl("patch deployment podinfo -n " + ns +
                    " --type merge -p '{\"spec\":{\"template\":{\"metadata\":{\"annotations\":{"
                    "\"sandbox.aviary.io/error-rate\":\"0.3\"}}}}}'")
                .exitCode,
            0);
  auto failed = aviary("status podinfo -n " + ns + " --timeout 90s");
  EXPECT_EQ(failed.exitCode, 1) << failed.output;
  EXPECT_NE(failed.output.find("request-success-rate"), std::string::npos) << failed.output;
  EXPECT_EQ(aviary("status nosuchcanary -n " + ns + " --timeout 5s").exitCode, 3);
}

TEST_F(ExperienceE2E, PauseHoldsTheReleaseWhereItIsAndResumeGoesOn) {
  const std::string ns = "e2e-plugin-pause";
  initialize(ns);
  const std::string specBefore = canary(ns)["spec"].dump();
  setImage(ns);
  ASSERT_TRUE(eventually([&] { return weight(ns) == 25; }, std::chrono::seconds(30))) << phase(ns);
  auto paused = aviary("pause podinfo -n " + ns);
  ASSERT_EQ(paused.exitCode, 0) << paused.output;
  ASSERT_TRUE(eventually([&] { return canary(ns).value("/status/paused"_json_pointer, false); }));
  const int held = weight(ns);
  std::this_thread::sleep_for(std::chrono::seconds(10));  // three intervals
  EXPECT_EQ(weight(ns), held) << "a paused release took a step";
  EXPECT_EQ(phase(ns), "Progressing");
  const Json request = lastRequest(ns);
  EXPECT_EQ(request.value("action", std::string()), "pause");
  EXPECT_EQ(request.value("outcome", std::string()), "Done");
  const std::string by = request.value("requestedBy", std::string());
  EXPECT_FALSE(by.empty() || by == "unknown") << "who asked, as the API server named the user";
  EXPECT_EQ(countEvents(ns, "PauseRequested"), 1);
  EXPECT_NE(aviary("get canary podinfo -n " + ns).output.find("paused"), std::string::npos);

  ASSERT_EQ(aviary("resume podinfo -n " + ns).exitCode, 0);
  ASSERT_TRUE(waitPhase(ns, "Succeeded", std::chrono::seconds(60))) << phase(ns);
  EXPECT_EQ(canary(ns)["spec"].dump(), specBefore) << "no request touches the spec";
  EXPECT_FALSE(canary(ns)["status"].contains("request")) << "handled requests are cleared";
}

TEST_F(ExperienceE2E, PromoteSkipsTheRemainingStepsAndAskingTwiceActsOnce) {
  const std::string ns = "e2e-plugin-promote";
  initialize(ns, "", "    stepWeights: [5, 10, 20, 30, 40, 50]\n");
  setImage(ns);
  ASSERT_TRUE(eventually([&] { return weight(ns) == 5; }, std::chrono::seconds(30))) << phase(ns);
  auto first = aviary("promote podinfo -n " + ns);
  auto second = aviary("promote podinfo -n " + ns);
  ASSERT_EQ(first.exitCode, 0) << first.output;
  ASSERT_EQ(second.exitCode, 0) << second.output;
  std::set<int> weights;
  ASSERT_TRUE(waitPhaseCollectingWeights(ns, "Succeeded", std::chrono::seconds(30), weights));
  EXPECT_LE(*weights.rbegin(), 10) << "the remaining steps were taken: " << ::testing::PrintToString(weights);
  EXPECT_EQ(primaryImage(ns), "ghcr.io/stefanprodan/podinfo:6.5.1");
  EXPECT_EQ(countEvents(ns, "PromoteRequested", "Normal"), 1) << "two asks, one promotion";
  EXPECT_NE(lastRequest(ns).value("message", std::string()).find("asked by"), std::string::npos);
  auto late = aviary("promote podinfo -n " + ns);
  ASSERT_EQ(late.exitCode, 0);
  ASSERT_TRUE(eventually([&] { return lastRequest(ns).value("outcome", std::string()) == "Ignored"; }))
      << lastRequest(ns).dump();
  EXPECT_EQ(phase(ns), "Succeeded") << "nothing to promote once it succeeded";
}

TEST_F(ExperienceE2E, AbortRollsBackNowAndRetryAnalysesTheRevisionAgain) {
  const std::string ns = "e2e-plugin-abort";
  initialize(ns);
  setImage(ns);
  ASSERT_TRUE(eventually([&] { return weight(ns) == 25; }, std::chrono::seconds(30))) << phase(ns);
  ASSERT_EQ(aviary("abort podinfo -n " + ns).exitCode, 0);
  ASSERT_TRUE(waitPhase(ns, "Failed", std::chrono::seconds(20))) << phase(ns);
  EXPECT_EQ(weight(ns), 0);
  EXPECT_EQ(primaryImage(ns), "ghcr.io/stefanprodan/podinfo:6.5.0") << "the primary kept the stable version";
  EXPECT_NE(conditionOf(ns, "Promoted", "message").find("aborted by"), std::string::npos);
  EXPECT_EQ(countEvents(ns, "AbortRequested"), 1);

  ASSERT_EQ(aviary("retry podinfo -n " + ns).exitCode, 0);
  ASSERT_TRUE(waitPhase(ns, "Progressing", std::chrono::seconds(20))) << phase(ns);
  ASSERT_TRUE(waitPhase(ns, "Succeeded", std::chrono::seconds(60))) << phase(ns);
  EXPECT_EQ(primaryImage(ns), "ghcr.io/stefanprodan/podinfo:6.5.1");
  EXPECT_EQ(countEvents(ns, "RetryRequested"), 1);
}

// docs/migrating-from-flagger.md: a Flagger user's Canary (every sample of config/samples as Flagger's
// apiVersion) is refused as it is by an API server without Flagger's CRDs, is accepted by the API server's
// schema after the documented conversion (`sed`, the apiVersion only), and one of them, converted, runs
// a release to promotion. The release is shortened (interval 3s instead of 1m) and given live traffic
// (the sandbox's apex annotation): the only edits the test makes besides the conversion.
TEST_F(ExperienceE2E, FlaggerCanariesRunAfterTheDocumentedConversion) {
  const std::string ns = "test";  // the samples' namespace (their webhook hosts name it)
  // Its Namespace and Deployment (manifests() without its own Canary).
  std::string workload = manifests(ns);
  workload = workload.substr(0, workload.find("---\napiVersion: aviary.io"));
  apply(workload);
  const std::string conversion = "sed -e 's#flagger\\.app/v1beta1#aviary.io/v1beta1#g'";
  std::string convertedCanary;
  int samples = 0;
  for (const auto& entry :
       std::filesystem::directory_iterator(std::string(AVIARY_SOURCE_DIR) + "/config/samples")) {
    std::ifstream in(entry.path());
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    // The Flagger user's file: Flagger's group wherever ours is.
    std::string flagger = text;
    for (auto at = flagger.find("aviary.io/v1beta1"); at != std::string::npos;
         at = flagger.find("aviary.io/v1beta1", at))
      flagger.replace(at, std::string("aviary.io/v1beta1").size(), "flagger.app/v1beta1");
    ASSERT_EQ(flagger.find("apiVersion: aviary.io"), std::string::npos) << entry.path();
    const std::string file = ::testing::TempDir() + "flagger-" + entry.path().filename().string();
    std::ofstream(file) << flagger;
    const std::string name = entry.path().filename().string();
    auto asIs = kubectl("apply --dry-run=server -f " + file);
    EXPECT_NE(asIs.exitCode, 0) << name << ": Flagger's apiVersion is not served here:\n" << asIs.output;
    auto converted = testing::runCommand(conversion + " " + file + " > " + file + ".aviary");
    ASSERT_EQ(converted.exitCode, 0) << converted.output;
    auto accepted = kubectl("apply --dry-run=server -f " + file + ".aviary");
    EXPECT_EQ(accepted.exitCode, 0) << name << " after the conversion:\n" << accepted.output;
    if (name == "podinfo-canary.yaml") convertedCanary = file + ".aviary";
    ++samples;
  }
  EXPECT_GE(samples, 8);
  ASSERT_FALSE(convertedCanary.empty());

  // The converted Istio sample through a release.
  auto applied = kubectl("apply -f " + convertedCanary);
  ASSERT_EQ(applied.exitCode, 0) << applied.output;
  ASSERT_EQ(kubectl("patch canary.aviary.io podinfo -n " + ns +
                    " --type merge -p '{\"spec\":{\"analysis\":{\"interval\":\"3s\"},\"service\":{\"apex\":"
                    "{\"annotations\":{\"sandbox.aviary.io/rps\":\"200\"}}}}}'")
                .exitCode,
            0);
  ASSERT_TRUE(waitPhase(ns, "Initialized", std::chrono::seconds(60)))
      << phase(ns) << " " << canary(ns).dump();
  setImage(ns);
  std::set<int> weights;
  ASSERT_TRUE(waitPhaseCollectingWeights(ns, "Succeeded", std::chrono::seconds(120), weights))
      << phase(ns) << " " << canary(ns)["status"].dump();
  EXPECT_EQ(*weights.rbegin(), 50) << "the sample's steps, 10 to 50: " << ::testing::PrintToString(weights);
  EXPECT_EQ(primaryImage(ns), "ghcr.io/stefanprodan/podinfo:6.5.1");
  auto retries = kubectl("get virtualservices.networking.istio.io podinfo -n " + ns +
                         " -o jsonpath={.spec.http[0].retries.attempts}");
  EXPECT_EQ(retries.output, "3") << "the sample's service.retries reach the route";
  ASSERT_EQ(kubectl("delete canary.aviary.io podinfo -n " + ns + " --wait=true --timeout=60s").exitCode, 0);
}

// The live view in a real terminal (tmux): it redraws in place as the release moves.
TEST_F(ExperienceE2E, TheLiveViewRedrawsInATerminalAsTheReleaseMoves) {
  const std::string ns = "e2e-plugin-watch";
  initialize(ns);
  const std::string session = "aviary-e2e-" + std::to_string(::getpid());
  auto started = testing::runCommand("tmux new-session -d -s " + session + " -x 150 -y 50 '" + environment() +
                                     testing::kubectlBinary() + " aviary get canary podinfo -n " + ns +
                                     " -w; sleep 600'");
  ASSERT_EQ(started.exitCode, 0) << started.output;
  auto pane = [&] { return testing::runCommand("tmux capture-pane -p -t " + session).output; };
  std::string seen;
  EXPECT_TRUE(eventually([&] { return (seen = pane()).find("Initialized") != std::string::npos; })) << seen;
  setImage(ns);
  EXPECT_TRUE(eventually(
      [&] {
        seen = pane();
        return seen.find("Progressing") != std::string::npos &&
               seen.find("25% of 50%") != std::string::npos && seen.find("next step in") != std::string::npos;
      },
      std::chrono::seconds(30)))
      << seen;
  EXPECT_TRUE(eventually([&] { return (seen = pane()).find("Succeeded") != std::string::npos; },
                         std::chrono::seconds(60)))
      << seen;
  EXPECT_EQ(seen.find("Progressing for"), std::string::npos) << "redrawn in place, not appended:\n" << seen;
  EXPECT_NE(seen.find("podinfo:6.5.1 (2/2 ready)"), std::string::npos) << seen;
  testing::runCommand("tmux kill-session -t " + session);
}

// Every query of every panel of config/grafana/aviary.json, with its variables set to "all", answers with
// at least one series from a real Prometheus that scrapes the operator and the mesh during a release.
TEST_F(ExperienceE2E, EveryDashboardQueryReturnsDataDuringARelease) {
  std::ifstream file(std::string(AVIARY_SOURCE_DIR) + "/config/grafana/aviary.json");
  const Json dashboard = Json::parse(file);
  std::vector<std::pair<std::string, std::string>> queries;  // (panel title, PromQL)
  std::function<void(const Json&)> collect = [&](const Json& panels) {
    for (const auto& panel : panels) {
      if (panel.contains("panels")) collect(panel["panels"]);  // a collapsed row's
      for (const auto& target : panel.value("targets", Json::array())) {
        std::string expr = target.value("expr", std::string());
        for (const auto& [variable, value] : {std::pair<std::string, std::string>{"$namespace", ".*"},
                                              {"$name", ".*"},
                                              {"$__rate_interval", "30s"}}) {
          for (auto at = expr.find(variable); at != std::string::npos; at = expr.find(variable, at))
            expr.replace(at, variable.size(), value);
        }
        if (!expr.empty()) queries.emplace_back(panel.value("title", std::string("?")), expr);
      }
    }
  };
  collect(dashboard["panels"]);
  ASSERT_GE(queries.size(), 15u);

  // A Prometheus of the user's: the operator's /metrics and the mesh's.
  std::string operatorTarget;
  ASSERT_TRUE(eventually([&] { return !(operatorTarget = operatorUrl()).empty(); }));
  operatorTarget = operatorTarget.substr(operatorTarget.find("//") + 2);
  sandbox::PrometheusOptions options;
  options.scrapeTargets = {operatorTarget, world->bed->trafficMetricsTarget()};
  sandbox::PrometheusServer prometheus(options);
  ASSERT_TRUE(prometheus.start());
  analysis::PrometheusClientOptions client;
  client.url = prometheus.url();
  analysis::PrometheusClient promql(client);

  const std::string ns = "e2e-dashboard";
  initialize(ns);
  setImage(ns);
  // Once the first analysis has run at a share of the traffic, every panel has something to show.
  ASSERT_TRUE(eventually(
      [&] {
        const Json c = canary(ns);
        return c.value("/status/canaryWeight"_json_pointer, 0) == 50 &&
               !c.value("/status/analysis/metrics"_json_pointer, Json::array()).empty();
      },
      std::chrono::seconds(60)))
      << phase(ns);
  std::this_thread::sleep_for(std::chrono::seconds(3));  // a few scrapes of the step
  for (const auto& [title, expr] : queries) {
    auto answer = promql.query(expr);
    ASSERT_TRUE(answer) << title << ": " << expr << ": " << answer.error().message;
    EXPECT_FALSE(answer->samples.empty()) << "panel \"" << title << "\" shows no data: " << expr;
  }
  ASSERT_TRUE(waitPhase(ns, "Succeeded", std::chrono::seconds(60)));
}

}  // namespace
}  // namespace aviary::e2e
