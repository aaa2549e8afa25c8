// End to end: the aviary binary against a test bed — the sandbox (live Istio traffic, a real Prometheus)
// or the real control plane (AVIARY_E2E_BED=kube; the operator under its own ServiceAccount) — driven with
// the real kubectl as a user would. Short intervals (3 s steps, 6 s metric windows).
#include <set>
#include <sstream>
#include <thread>

#include "tests/e2e/canary_e2e_fixture.h"

namespace aviary::e2e {
namespace {

TEST_F(CanaryE2E, InitializationCreatesThePrimaryAndScalesTheTargetToZero) {
  initialize("e2e-init");
  auto primary = deployment("e2e-init", "podinfo-primary");
  EXPECT_EQ(primary.value("/spec/template/metadata/labels/app"_json_pointer, std::string()),
            "podinfo-primary");
  EXPECT_EQ(primary.value("/status/availableReplicas"_json_pointer, 0), 2);
  EXPECT_EQ(deployment("e2e-init", "podinfo").value("/spec/replicas"_json_pointer, -1), 0);
  auto get = kubectl("get canaries -n e2e-init");
  EXPECT_NE(get.output.find("Initialized"), std::string::npos) << get.output;
  auto wait = kubectl("wait --for=condition=promoted canary/podinfo -n e2e-init --timeout=10s");
  EXPECT_EQ(wait.exitCode, 0) << wait.output;
  auto vs = kubectl(
      "get virtualservices.networking.istio.io podinfo -n e2e-init -o "
      "jsonpath={.spec.http[0].route[0].weight}");
  EXPECT_EQ(vs.output, "100");
}

TEST_F(CanaryE2E, ThePrimaryGetsItsOwnCopyOfTheAutoscaler) {
  apply(
      "apiVersion: v1\nkind: Namespace\nmetadata: {name: e2e-hpa}\n---\n"
      "apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata: {name: podinfo, namespace: "
      "e2e-hpa}\n"
      "spec:\n  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: podinfo}\n"
      "  minReplicas: 2\n  maxReplicas: 4\n"
      "  metrics: [{type: Resource, resource: {name: cpu, target: {type: Utilization, averageUtilization: "
      "80}}}]\n");
  initialize("e2e-hpa",
             "  autoscalerRef: {apiVersion: autoscaling/v2, kind: HorizontalPodAutoscaler, name: podinfo}\n");
  auto hpa = world->client->get(kube::resources::kHorizontalPodAutoscalers, "e2e-hpa", "podinfo-primary");
  ASSERT_TRUE(hpa) << hpa.error().message;
  EXPECT_EQ((*hpa)["spec"]["scaleTargetRef"]["name"], "podinfo-primary");
  EXPECT_EQ((*hpa)["spec"]["minReplicas"], 2);
  EXPECT_EQ((*hpa)["spec"]["maxReplicas"], 4);
  EXPECT_EQ(readyCondition("e2e-hpa", "reason"), "Valid")
      << "autoscalerRef is supported, not reported as ignored";
}

TEST_F(CanaryE2E, AHealthyReleaseIsPromotedStepByStepWithNoUserErrors) {
  initialize("e2e-healthy");
  double errorsBefore = userRequests("e2e-healthy", "", "error");
  setImage("e2e-healthy");
  std::set<int> weights;
  ASSERT_TRUE(waitPhaseCollectingWeights("e2e-healthy", "Succeeded", std::chrono::seconds(40), weights))
      << "phase " << phase("e2e-healthy");
  EXPECT_TRUE(weights.count(25) && weights.count(50)) << ::testing::PrintToString(weights);
  EXPECT_EQ(primaryImage("e2e-healthy"), "ghcr.io/stefanprodan/podinfo:6.5.1");
  EXPECT_EQ(deployment("e2e-healthy", "podinfo").value("/spec/replicas"_json_pointer, -1), 0);
  EXPECT_EQ(userRequests("e2e-healthy", "", "error"), errorsBefore)
      << "no user request failed during the release";
  EXPECT_GT(userRequests("e2e-healthy", "podinfo", "success"), 0) << "the canary served users";
  auto events = kubectl("get events -n e2e-healthy --field-selector involvedObject.kind=Canary");
  EXPECT_NE(events.output.find("Advance podinfo.e2e-healthy canary weight 50"), std::string::npos)
      << events.output;
  EXPECT_NE(events.output.find("Promotion completed!"), std::string::npos);
}

// Issue 14: the operator's own /metrics (Flagger's series under aviary_, and the controller's), checked
// by the real promtool, plus its health endpoints.
TEST_F(CanaryE2E, TheOperatorExposesFlaggersSeriesAndItsHealth) {
  initialize("e2e-metrics");
  setImage("e2e-metrics");
  ASSERT_TRUE(waitPhase("e2e-metrics", "Succeeded", std::chrono::seconds(40))) << phase("e2e-metrics");
  const std::string url = operatorUrl();
  ASSERT_FALSE(url.empty()) << world->aviary->log();
  EXPECT_EQ(testing::httpGet(url + "/healthz").body, "ok\n");
  auto readiness = testing::httpGet(url + "/readyz");
  EXPECT_EQ(readiness.status, 200);
  EXPECT_EQ(readiness.body, "ok\n");
  std::string scraped;
  ASSERT_TRUE(eventually([&] {
    scraped = testing::httpGet(url + "/metrics").body;
    return scraped.find(
               R"(aviary_canary_successes_total{name="podinfo",namespace="e2e-metrics",deployment_strategy="canary"} 1)") !=
           std::string::npos;
  })) << scraped;
  for (
      const char* series :
      {R"(aviary_info{version="0.1.0",mesh_provider="istio"} 1)",
       R"(aviary_canary_status{name="podinfo",namespace="e2e-metrics"} 1)",
       R"(aviary_canary_weight{workload="podinfo",namespace="e2e-metrics"} 0)",
       R"(aviary_canary_weight{workload="podinfo-primary",namespace="e2e-metrics"} 100)",
       R"(aviary_canary_total{namespace="e2e-metrics"} 1)",
       R"(aviary_canary_duration_seconds_count{name="podinfo",namespace="e2e-metrics"} 1)",
       R"(aviary_canary_metric_analysis{name="podinfo",namespace="e2e-metrics",metric="request-success-rate"} 100)",
       R"(aviary_kube_api_requests_total{verb="patch",code="200"} )",
       "aviary_reconcile_duration_seconds_count ", "aviary_prometheus_query_duration_seconds_count ",
       "aviary_workqueue_depth "}) {
    EXPECT_NE(scraped.find(series), std::string::npos) << series << " in\n" << scraped;
  }
  // The client-side limit: none for the controller on the real control plane, which runs API Priority and
  // Fairness (the operator read it from the FlowSchema header of its /version answer); the default on the
  // sandbox, which does not. Events keep their bucket on both.
  EXPECT_NE(scraped.find(std::string(R"(aviary_kube_client_rate_limit_qps{client="controller"} )") +
                         (world->bed->name() == "kube" ? "0\n" : "300\n")),
            std::string::npos)
      << scraped;
  EXPECT_NE(scraped.find(R"(aviary_kube_client_rate_limit_qps{client="events"} 300)"), std::string::npos)
      << scraped;
  // This release's steps after its first (to 50, then the promotion) were timed against their due times.
  const std::string lateness = "\naviary_canary_step_lateness_seconds_count ";
  const auto at = scraped.find(lateness);
  ASSERT_NE(at, std::string::npos) << scraped;
  EXPECT_GE(std::stod(scraped.substr(at + lateness.size())), 2) << scraped;
  // The exposition as Prometheus's own linter reads it.
  // Its one complaint is Flagger's own name for a gauge, kept so that Flagger's dashboards port.
  auto lint = testing::runCommand("promtool check metrics", scraped);
  std::istringstream problems(lint.output);
  for (std::string line; std::getline(problems, line);) {
    if (!line.empty()) {
      EXPECT_EQ(line, "aviary_canary_total non-counter metrics should not have \"_total\" suffix")
          << lint.output;
    }
  }
  EXPECT_EQ(testing::httpGet(url + "/nothing").status, 404);
}

// Issue 14: two replicas. The suite's operator holds the Lease; a standby waits, is ready, and writes
// nothing; killed mid-release (SIGKILL, so the Lease is not released), the leader is replaced by the
// standby within the Lease's duration, and the standby finishes the release.
TEST_F(CanaryE2E, AStandbyTakesOverWhenTheLeaderDies) {
  auto holder = [&] { return leaseHolder(); };
  ASSERT_TRUE(eventually([&] { return !holder().empty(); })) << "the suite's operator leads";
  const std::string leader = holder();
  auto standby = startStandby("standby.log");
  initialize("e2e-leader");
  setImage("e2e-leader");
  ASSERT_TRUE(eventually([&] { return weight("e2e-leader") == 25; }, std::chrono::seconds(20)));
  EXPECT_EQ(holder(), leader);
  EXPECT_EQ(standby->log().find("canary e2e-leader/podinfo"), std::string::npos)
      << "a standby reconciles nothing:\n"
      << standby->log();
  world->aviary->kill();
  const auto killed = std::chrono::steady_clock::now();
  ASSERT_TRUE(eventually([&] { return holder() == "standby"; }, std::chrono::seconds(25))) << standby->log();
  const double takeover = std::chrono::duration<double>(std::chrono::steady_clock::now() - killed).count();
  RecordProperty("takeover_seconds", std::to_string(takeover));
  EXPECT_LE(takeover, 15 + 2 + 2) << "the Lease's duration, one retry period, and a margin";
  ASSERT_TRUE(waitPhase("e2e-leader", "Succeeded", std::chrono::seconds(40))) << standby->log();
  EXPECT_NE(standby->log().find("canary e2e-leader/podinfo"), std::string::npos) << "the standby finished it";
  // The suite's operator again: it waits as a standby until this one leaves and releases the Lease.
  world->startOperator();
  standby->terminate();
  EXPECT_NE(standby->log().find("standby released Lease aviary-system/aviary-leader"), std::string::npos)
      << standby->log();
  EXPECT_TRUE(eventually([&] { return holder() == leader; }, std::chrono::seconds(10)))
      << "taken at the next retry, not after the Lease's duration";
}

TEST_F(CanaryE2E, AFaultyReleaseIsRolledBackAfterThresholdFailedChecks) {
  initialize("e2e-faulty");
  ASSERT_EQ(kubectl("patch deployment podinfo -n e2e-faulty --type merge -p "
                    "'{\"spec\":{\"template\":{\"metadata\":{\"annotations\":{\"sandbox.aviary.io/"
                    "error-rate\":\"0.3\"}}}}}'")
                .exitCode,
            0);
  ASSERT_TRUE(waitPhase("e2e-faulty", "Failed", std::chrono::seconds(40))) << "phase " << phase("e2e-faulty");
  Json c = canary("e2e-faulty");
  EXPECT_EQ(c["status"]["canaryWeight"], 0);
  EXPECT_EQ(c["status"]["failedChecks"], 2);
  EXPECT_NE(c["status"]["analysis"]["message"].get<std::string>().find("request-success-rate"),
            std::string::npos);
  EXPECT_EQ(primaryImage("e2e-faulty"), "ghcr.io/stefanprodan/podinfo:6.5.0");
  EXPECT_EQ(deployment("e2e-faulty", "podinfo-primary")
                .value("/spec/template/metadata/annotations"_json_pointer, Json::object())
                .count("sandbox.aviary.io/error-rate"),
            0u);
  // The bad version got at most its weight (25%) for at most threshold + 1 intervals (3 × 3 s).
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  double served =
      userRequests("e2e-faulty", "podinfo", "success") + userRequests("e2e-faulty", "podinfo", "error");
  EXPECT_GT(served, 0);
  EXPECT_LE(served, kRps * 0.25 * 9 * 1.2) << "requests the bad version served";
  auto wait = kubectl(
      "get canary podinfo -n e2e-faulty -o jsonpath='{.status.conditions[?(@.type==\"Promoted\")].status}'");
  EXPECT_EQ(wait.output, "False");
}

TEST_F(CanaryE2E, AVersionThatNeverBecomesReadyIsRolledBackAtItsProgressDeadline) {
  // The Canary's deadline (10 s) decides: on a real cluster a Deployment scaled up from zero never reports
  // its own (4 s) as exceeded.
  initialize("e2e-stuck", "  progressDeadlineSeconds: 10\n");
  ASSERT_EQ(kubectl("patch deployment podinfo -n e2e-stuck --type merge -p "
                    "'{\"spec\":{\"template\":{\"metadata\":{\"annotations\":{\"sandbox.aviary.io/"
                    "never-ready\":\"true\"}}}}}'")
                .exitCode,
            0);
  ASSERT_TRUE(waitPhase("e2e-stuck", "Failed", std::chrono::seconds(30))) << "phase " << phase("e2e-stuck");
  EXPECT_NE(canary("e2e-stuck")["status"]["conditions"].dump().find("progress deadline"), std::string::npos);
}

TEST_F(CanaryE2E, ASecondChangeDuringAnalysisRestartsItFromWeightZero) {
  initialize("e2e-restart");
  setImage("e2e-restart");
  ASSERT_TRUE(eventually([&] { return weight("e2e-restart") == 25; }, std::chrono::seconds(20)));
  setImage("e2e-restart", "6.5.2");
  ASSERT_TRUE(eventually([&] { return weight("e2e-restart") == 0; }, std::chrono::seconds(10)))
      << "restarted";
  ASSERT_TRUE(waitPhase("e2e-restart", "Succeeded", std::chrono::seconds(40)));
  EXPECT_EQ(primaryImage("e2e-restart"), "ghcr.io/stefanprodan/podinfo:6.5.2");
}

TEST_F(CanaryE2E, SuspendFreezesAndSkipAnalysisPromotesAtOnce) {
  initialize("e2e-suspend");
  setImage("e2e-suspend");
  ASSERT_TRUE(eventually([&] { return weight("e2e-suspend") == 25; }, std::chrono::seconds(20)));
  ASSERT_EQ(
      kubectl("patch canary podinfo -n e2e-suspend --type merge -p '{\"spec\":{\"suspend\":true}}'").exitCode,
      0);
  std::this_thread::sleep_for(std::chrono::seconds(7));
  EXPECT_EQ(weight("e2e-suspend"), 25);
  EXPECT_EQ(phase("e2e-suspend"), "Progressing");
  ASSERT_EQ(kubectl("patch canary podinfo -n e2e-suspend --type merge -p "
                    "'{\"spec\":{\"suspend\":false,\"skipAnalysis\":true}}'")
                .exitCode,
            0);
  ASSERT_TRUE(waitPhase("e2e-suspend", "Succeeded", std::chrono::seconds(20)));
  EXPECT_EQ(primaryImage("e2e-suspend"), "ghcr.io/stefanprodan/podinfo:6.5.1");
}

TEST_F(CanaryE2E, AnInvalidCanaryTouchesNothingAndSaysWhy) {
  apply(manifests("e2e-invalid", "", "    stepWeights: [20, 10]\n"));
  ASSERT_TRUE(eventually([&] {
    return canary("e2e-invalid").value("/status/conditions"_json_pointer, Json::array()).size() > 0;
  }));
  EXPECT_EQ(readyCondition("e2e-invalid", "message"),
            "spec.analysis.stepWeights[1]: must be greater than the previous step");
  EXPECT_TRUE(gone(kube::resources::kDeployments, "e2e-invalid", "podinfo-primary"));
  EXPECT_EQ(deployment("e2e-invalid", "podinfo").value("/spec/replicas"_json_pointer, -1), 2);
  auto events = kubectl("get events -n e2e-invalid");
  EXPECT_NE(events.output.find("InvalidSpec"), std::string::npos) << events.output;
}

// Issue 9 §6: on a real cluster the garbage collector deletes whatever carries an ownerReference to a
// deleted Canary. What the user made (the Deployment, an apex Service it had before, a ConfigMap) must
// carry none and survive; what Aviary made goes.
TEST_F(CanaryE2E, DeletingACanaryNeverCostsTheUserAnObject) {
  apply(
      "apiVersion: v1\nkind: Namespace\nmetadata: {name: e2e-owned}\n---\n"
      "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: podinfo-config, namespace: e2e-owned}\ndata: {a: "
      "b}\n"
      "---\napiVersion: v1\nkind: Service\nmetadata: {name: podinfo, namespace: e2e-owned, labels: {team: "
      "web}}\n"
      "spec: {selector: {app: podinfo}, ports: [{name: http, port: 9898, targetPort: 9898}]}\n");
  apply(withConfigMapEnv(manifests("e2e-owned"), "podinfo-config"));
  ASSERT_TRUE(waitPhase("e2e-owned", "Initialized")) << "phase " << phase("e2e-owned");
  std::string uid = canary("e2e-owned")["metadata"]["uid"];
  auto ownedByCanary = [&](const kube::ResourceType& type, const std::string& name) {
    auto object = world->client->get(type, "e2e-owned", name);
    if (!object) return false;
    return (*object).value("/metadata/ownerReferences"_json_pointer, Json::array()).dump().find(uid) !=
           std::string::npos;
  };
  EXPECT_FALSE(ownedByCanary(kube::resources::kServices, "podinfo")) << "an adopted Service is not owned";
  EXPECT_FALSE(ownedByCanary(kube::resources::kDeployments, "podinfo"));
  EXPECT_FALSE(ownedByCanary(kube::resources::kConfigMaps, "podinfo-config"));
  EXPECT_TRUE(ownedByCanary(kube::resources::kDeployments, "podinfo-primary"));
  EXPECT_TRUE(ownedByCanary(kube::resources::kConfigMaps, "podinfo-config-primary"));

  ASSERT_EQ(kubectl("delete canary podinfo -n e2e-owned").exitCode, 0);
  if (world->bed->name() == "kube") {
    // The garbage collector has run once Aviary's own objects are gone.
    EXPECT_TRUE(
        eventually([&] { return gone(kube::resources::kDeployments, "e2e-owned", "podinfo-primary"); },
                   std::chrono::seconds(30)));
    EXPECT_TRUE(eventually([&] { return gone(kube::resources::kServices, "e2e-owned", "podinfo-canary"); },
                           std::chrono::seconds(30)));
  } else {
    std::this_thread::sleep_for(std::chrono::seconds(1));
  }
  EXPECT_FALSE(gone(kube::resources::kDeployments, "e2e-owned", "podinfo"));
  EXPECT_FALSE(gone(kube::resources::kConfigMaps, "e2e-owned", "podinfo-config"));
  auto apex = world->client->get(kube::resources::kServices, "e2e-owned", "podinfo");
  ASSERT_TRUE(apex) << "the user's Service survived";
  EXPECT_EQ((*apex)["metadata"]["labels"]["team"], "web");
}

TEST_F(CanaryE2E, AnUnreachablePrometheusNeverPromotes) {
  initialize("e2e-noprom", "", "", "http://127.0.0.1:1");
  setImage("e2e-noprom");
  ASSERT_TRUE(waitPhase("e2e-noprom", "Failed", std::chrono::seconds(30))) << "phase " << phase("e2e-noprom");
  EXPECT_NE(canary("e2e-noprom")["status"]["analysis"]["message"].get<std::string>().find("unreachable"),
            std::string::npos)
      << canary("e2e-noprom")["status"]["analysis"].dump();
  EXPECT_EQ(primaryImage("e2e-noprom"), "ghcr.io/stefanprodan/podinfo:6.5.0");
}

TEST_F(CanaryE2E, AConfigMapChangeIsAReleaseAndThePrimaryGetsItsOwnCopy) {
  apply(
      "apiVersion: v1\nkind: Namespace\nmetadata: {name: e2e-config}\n---\n"
      "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: podinfo-config, namespace: e2e-config}\ndata: "
      "{color: blue}\n");
  apply(withConfigMapEnv(manifests("e2e-config"), "podinfo-config"));
  ASSERT_TRUE(waitPhase("e2e-config", "Initialized")) << "phase " << phase("e2e-config");
  auto copy = world->client->get(kube::resources::kConfigMaps, "e2e-config", "podinfo-config-primary");
  ASSERT_TRUE(copy) << "the primary reads its own copy";
  EXPECT_EQ((*copy)["data"]["color"], "blue");
  EXPECT_EQ(
      deployment("e2e-config", "podinfo-primary")
          .value("/spec/template/spec/containers/0/envFrom/0/configMapRef/name"_json_pointer, std::string()),
      "podinfo-config-primary");
  EXPECT_EQ(canary("e2e-config")["status"]["trackedConfigs"].size(), 1u);

  apply(
      "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: podinfo-config, namespace: e2e-config}\ndata: "
      "{color: green}\n");
  ASSERT_TRUE(eventually([&] { return phase("e2e-config") == "Progressing"; }, std::chrono::seconds(10)))
      << "a config change is a new revision";
  ASSERT_TRUE(waitPhase("e2e-config", "Succeeded", std::chrono::seconds(40)))
      << "phase " << phase("e2e-config");
  EXPECT_EQ((*world->client->get(kube::resources::kConfigMaps, "e2e-config",
                                 "podinfo-config-primary"))["data"]["color"],
            "green");
}

TEST_F(CanaryE2E, DeletingACanaryWithRevertOnDeletionGivesTheTrafficBackToTheTarget) {
  initialize("e2e-revert", "  revertOnDeletion: true\n");
  ASSERT_TRUE(eventually([&] {
    return canary("e2e-revert")
               .value("/metadata/finalizers"_json_pointer, Json::array())
               .dump()
               .find("aviary.io/finalizer") != std::string::npos;
  }));
  // A failed release first: the target then holds a bad template, which deletion must not bring back.
  ASSERT_EQ(kubectl("patch deployment podinfo -n e2e-revert --type merge -p "
                    "'{\"spec\":{\"template\":{\"metadata\":{\"annotations\":{\"sandbox.aviary.io/"
                    "error-rate\":\"0.5\"}}}}}'")
                .exitCode,
            0);
  ASSERT_TRUE(waitPhase("e2e-revert", "Failed", std::chrono::seconds(40)));
  // The rollback's own errors end when the mesh has dropped the failed canary, which the traffic simulator
  // sees on its own watches, some time after the status says Failed: count from the first quiet tick.
  double errorsBefore = -1;
  ASSERT_TRUE(eventually(
      [&] {
        std::this_thread::sleep_for(std::chrono::milliseconds(300));  // three of the simulator's ticks
        double now = userRequests("e2e-revert", "", "error");
        bool quiet = now == errorsBefore &&
                     deployment("e2e-revert", "podinfo").value("/status/replicas"_json_pointer, 0) == 0;
        errorsBefore = now;
        return quiet;
      },
      std::chrono::seconds(20)));

  auto del = kubectl("delete canary podinfo -n e2e-revert --wait=false");
  ASSERT_EQ(del.exitCode, 0) << del.output;
  ASSERT_TRUE(eventually([&] { return gone(kCanaries, "e2e-revert", "podinfo"); }, std::chrono::seconds(30)))
      << "phase " << phase("e2e-revert");
  Json target = deployment("e2e-revert", "podinfo");
  EXPECT_EQ(target.value("/spec/replicas"_json_pointer, 0), 2) << "scaled back to the primary's replicas";
  EXPECT_EQ(target.value("/spec/template/metadata/annotations"_json_pointer, Json::object())
                .count("sandbox.aviary.io/error-rate"),
            0u)
      << "the last promoted template, not the failed one";
  EXPECT_EQ(target.value("/spec/template/metadata/labels/app"_json_pointer, std::string()), "podinfo");
  if (world->bed->name() == "kube") std::this_thread::sleep_for(std::chrono::seconds(2));  // GC's turn
  auto apex = world->client->get(kube::resources::kServices, "e2e-revert", "podinfo");
  ASSERT_TRUE(apex) << "the apex Service is handed over to the user, not collected with the Canary";
  EXPECT_EQ((*apex)["spec"]["selector"]["app"], "podinfo");
  EXPECT_FALSE((*apex)["metadata"].contains("ownerReferences")) << (*apex)["metadata"].dump();
  EXPECT_TRUE(gone(kube::resources::kDeployments, "e2e-revert", "podinfo-primary"));
  EXPECT_TRUE(gone(kube::resources::kServices, "e2e-revert", "podinfo-canary"));
  auto vs = kubectl("get virtualservices.networking.istio.io -n e2e-revert -o name");
  EXPECT_EQ(vs.output, "") << "the VirtualService Aviary created is gone";
  // Traffic moved only once the target was ready: no request met a Service without pods.
  std::this_thread::sleep_for(std::chrono::seconds(1));
  EXPECT_EQ(userRequests("e2e-revert", "none", "error"), 0) << noEndpointSeries("e2e-revert");
  EXPECT_EQ(userRequests("e2e-revert", "", "error"), errorsBefore)
      << "no user error during the revert; by deployment: primary "
      << userRequests("e2e-revert", "podinfo-primary", "error") << ", target "
      << userRequests("e2e-revert", "podinfo", "error") << ", none "
      << userRequests("e2e-revert", "none", "error");
  EXPECT_GT(userRequests("e2e-revert", "podinfo", "success"), 0) << "the target serves again";
}

TEST_F(CanaryE2E, AnOperatorKilledMidAnalysisResumesFromStatus) {
  initialize("e2e-kill");
  setImage("e2e-kill");
  ASSERT_TRUE(eventually([&] { return weight("e2e-kill") == 25; }, std::chrono::seconds(20)));
  std::string applied = canary("e2e-kill")["status"]["lastAppliedSpec"];
  world->aviary->kill();
  world->startOperator();
  std::vector<int> seen;
  ASSERT_TRUE(eventually(
      [&] {
        Json c = canary("e2e-kill");  // weight and phase from one read
        int w = c.value("/status/canaryWeight"_json_pointer, -1);
        if (seen.empty() || seen.back() != w) seen.push_back(w);
        return c.value("/status/phase"_json_pointer, std::string()) == "Succeeded";
      },
      std::chrono::seconds(40)));
  // 25 → 50 → 0 (promotion): never back to 0 before 50, i.e. no restart of the analysis.
  EXPECT_EQ(seen, (std::vector<int>{25, 50, 0})) << ::testing::PrintToString(seen);
  EXPECT_EQ(canary("e2e-kill")["status"]["lastPromotedSpec"], applied);
}

}  // namespace
}  // namespace aviary::e2e

namespace aviary::e2e {
namespace {

// Last in this file (gtest keeps the order): it stops the shared Prometheus.
TEST_F(CanaryE2E, PrometheusStoppedMidAnalysisNeverPromotes) {
  initialize("e2e-promdown");
  setImage("e2e-promdown");
  ASSERT_TRUE(eventually([&] { return weight("e2e-promdown") == 25; }, std::chrono::seconds(20)));
  const std::string prometheusUrl = world->bed->prometheusUrl();
  world->bed->killPrometheus();
  ASSERT_TRUE(waitPhase("e2e-promdown", "Failed", std::chrono::seconds(30)))
      << "phase " << phase("e2e-promdown");
  Json c = canary("e2e-promdown");
  // The freed port may be taken by another process of a parallel test run, which answers something that is
  // not Prometheus: either way the checks fail without a value and say which server did not answer.
  const std::string message = c["status"]["analysis"]["message"].get<std::string>();
  EXPECT_NE(message.find("request-success-rate: prometheus at " + prometheusUrl), std::string::npos)
      << c["status"]["analysis"].dump();
  for (const auto& m : c["status"]["analysis"]["metrics"]) {
    EXPECT_FALSE(m.contains("value")) << m.dump();
    EXPECT_FALSE(m.value("passed", true)) << m.dump();
  }
  EXPECT_EQ(primaryImage("e2e-promdown"), "ghcr.io/stefanprodan/podinfo:6.5.0")
      << "nothing promoted without data";
}

}  // namespace
}  // namespace aviary::e2e
