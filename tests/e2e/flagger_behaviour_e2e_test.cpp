// Issue 10 end to end: what Flagger and Argo Rollouts users reported broken, replayed as a user would (the
// Flagger manifest under aviary.io/v1beta1, driven with the real kubectl) on the sandbox and on the real
// control plane: drift corrected, revisions recognised, the user's replicas run, conditions that follow
// the spec, targets that cannot be selected, unsupported fields that stop the Canary, stepWeights beyond
// maxWeight.
#include <set>
#include <thread>

#include "tests/e2e/canary_e2e_fixture.h"

namespace aviary::e2e {
namespace {

const kube::ResourceType kVirtualServices{"networking.istio.io", "v1beta1", "virtualservices",
                                          "VirtualService", true};

class FlaggerBehaviour : public CanaryE2E {
 protected:
  int primaryRouteWeight(const std::string& ns) {
    auto vs = world->client->get(kVirtualServices, ns, "podinfo");
    return vs ? (*vs).value("/spec/http/0/route/0/weight"_json_pointer, -1) : -1;
  }
  std::string apexSelector(const std::string& ns) {
    auto svc = world->client->get(kube::resources::kServices, ns, "podinfo");
    return svc ? (*svc).value("/spec/selector"_json_pointer, Json::object()).dump() : "";
  }
  int countEvents(const std::string& ns, const std::string& reason) {
    auto r = kubectl("get events -n " + ns + " --field-selector reason=" + reason + " -o json");
    Json events = Json::parse(r.output, nullptr, false);
    if (events.is_discarded()) return -1;
    int count = 0;
    for (const auto& e : events.value("items", Json::array())) count += e.value("count", 1);
    return count;
  }
  // The number of Canary Events (aggregated counts included) whose message contains `text`.
  int countEventsWith(const std::string& ns, const std::string& text) {
    auto r = kubectl("get events -n " + ns + " --field-selector involvedObject.kind=Canary -o json");
    Json events = Json::parse(r.output, nullptr, false);
    if (events.is_discarded()) return -1;
    int count = 0;
    for (const auto& e : events.value("items", Json::array())) {
      if (e.value("message", "").find(text) != std::string::npos) count += e.value("count", 1);
    }
    return count;
  }
  void patchDeployment(const std::string& ns, const std::string& type, const std::string& patch) {
    auto r = kubectl("patch deployment podinfo -n " + ns + " --type " + type + " -p '" + patch + "'");
    ASSERT_EQ(r.exitCode, 0) << r.output;
  }
  std::string status(const std::string& ns, const char* field) {
    return canary(ns).value(Json::json_pointer(std::string("/status/") + field), std::string());
  }
};

// §5: another client's edit of what Aviary owns is undone within one analysis interval (3 s here, +1 s for
// the watch on a loaded machine), not when a cache expires (5 min).
TEST_F(FlaggerBehaviour, DriftIsCorrectedWithinOneInterval) {
  initialize("b-drift");
  ASSERT_EQ(primaryRouteWeight("b-drift"), 100);
  auto r = kubectl(
      "patch virtualservices.networking.istio.io podinfo -n b-drift --type json -p "
      "'[{\"op\":\"replace\",\"path\":\"/spec/http/0/route/0/weight\",\"value\":50},"
      "{\"op\":\"replace\",\"path\":\"/spec/http/0/route/1/weight\",\"value\":50}]'");
  ASSERT_EQ(r.exitCode, 0) << r.output;
  EXPECT_TRUE(eventually([&] { return primaryRouteWeight("b-drift") == 100; }, std::chrono::seconds(4)))
      << "weight " << primaryRouteWeight("b-drift");

  const std::string selector = apexSelector("b-drift");
  ASSERT_NE(selector.find("podinfo-primary"), std::string::npos) << selector;
  r = kubectl(
      "patch service podinfo -n b-drift --type merge -p '{\"spec\":{\"selector\":{\"app\":\"podinfo\"}}}'");
  ASSERT_EQ(r.exitCode, 0) << r.output;
  EXPECT_TRUE(eventually([&] { return apexSelector("b-drift") == selector; }, std::chrono::seconds(4)))
      << apexSelector("b-drift");
}

// §2: B fails; the user goes back to the promoted A (nothing to analyse), then applies B again: analysed.
TEST_F(FlaggerBehaviour, AFailedRevisionAppliedAgainAfterARevertIsAnalysedAgain) {
  initialize("b-revert", "  progressDeadlineSeconds: 5\n");
  const std::string promoted = status("b-revert", "lastPromotedSpec");
  const std::string breakIt =
      "{\"spec\":{\"template\":{\"metadata\":{\"annotations\":{\"sandbox.aviary.io/"
      "never-ready\":\"true\"}}}}}";
  patchDeployment("b-revert", "merge", breakIt);
  ASSERT_TRUE(waitPhase("b-revert", "Failed", std::chrono::seconds(30))) << "phase " << phase("b-revert");
  ASSERT_TRUE(eventually([&] { return countEventsWith("b-revert", "New revision detected") == 1; }));

  patchDeployment("b-revert", "json",
                  "[{\"op\":\"remove\",\"path\":\"/spec/template/metadata/annotations\"}]");
  ASSERT_TRUE(eventually([&] { return status("b-revert", "lastAppliedSpec") == promoted; }))
      << "the revert to A is the applied revision";
  EXPECT_EQ(phase("b-revert"), "Failed");
  EXPECT_EQ(deployment("b-revert", "podinfo").value("/spec/replicas"_json_pointer, -1), 0);
  std::this_thread::sleep_for(std::chrono::seconds(2));
  EXPECT_EQ(countEventsWith("b-revert", "New revision detected"), 1) << "the revert itself is no release";

  patchDeployment("b-revert", "merge", breakIt);  // B again
  ASSERT_TRUE(waitPhase("b-revert", "Progressing", std::chrono::seconds(10)))
      << "phase " << phase("b-revert");
  EXPECT_TRUE(eventually(
      [&] { return deployment("b-revert", "podinfo").value("/spec/replicas"_json_pointer, 0) > 0; }));
  EXPECT_TRUE(eventually([&] { return countEventsWith("b-revert", "New revision detected") == 2; }));
}

// §3: the release also changes replicas 2 → 4: the canary runs 4 and the promoted primary gets 4.
TEST_F(FlaggerBehaviour, TheCanaryAndThePromotedPrimaryRunTheReplicasOfTheRelease) {
  initialize("b-replicas");
  patchDeployment("b-replicas", "merge",
                  "{\"spec\":{\"replicas\":4,\"template\":{\"spec\":{\"containers\":[{\"name\":\"podinfod\","
                  "\"image\":\"ghcr.io/stefanprodan/podinfo:6.5.1\"}]}}}}");
  ASSERT_TRUE(eventually([&] { return weight("b-replicas") > 0; }, std::chrono::seconds(20)));
  EXPECT_EQ(deployment("b-replicas", "podinfo").value("/spec/replicas"_json_pointer, -1), 4);
  ASSERT_TRUE(waitPhase("b-replicas", "Succeeded", std::chrono::seconds(40))) << phase("b-replicas");
  EXPECT_EQ(deployment("b-replicas", "podinfo-primary").value("/spec/replicas"_json_pointer, -1), 4);
  EXPECT_EQ(deployment("b-replicas", "podinfo-primary").value("/status/availableReplicas"_json_pointer, -1),
            4);
  EXPECT_EQ(primaryImage("b-replicas"), "ghcr.io/stefanprodan/podinfo:6.5.1");
}

// §6: a spec edit after initialization: `kubectl wait --for=condition=promoted` still succeeds.
TEST_F(FlaggerBehaviour, ConditionsFollowTheSpecsGeneration) {
  initialize("b-generation");
  auto r = kubectl(
      "patch canary podinfo -n b-generation --type merge -p "
      "'{\"spec\":{\"analysis\":{\"interval\":\"4s\"}}}'");
  ASSERT_EQ(r.exitCode, 0) << r.output;
  auto wait = kubectl("wait --for=condition=promoted canary/podinfo -n b-generation --timeout=15s");
  EXPECT_EQ(wait.exitCode, 0) << wait.output;
  Json c = canary("b-generation");
  for (const auto& condition : c["status"]["conditions"])
    EXPECT_EQ(condition["observedGeneration"], c["metadata"]["generation"]) << condition.dump();
}

// §6: a target whose pods carry none of the selector labels: Ready=False saying so, written to the status,
// one Warning, nothing created, no retry storm.
TEST_F(FlaggerBehaviour, ATargetWithoutSelectorLabelsIsReportedInTheStatus) {
  std::string yaml = manifests("b-labels");
  for (const std::string from : {"matchLabels: {app: podinfo}", "labels: {app: podinfo}"}) {
    const std::string to = from.substr(0, from.find('{')) + "{component: podinfo}";
    yaml.replace(yaml.find(from), from.size(), to);
  }
  apply(yaml);
  ASSERT_TRUE(eventually([&] { return readyCondition("b-labels", "reason") == "TargetNotSelectable"; }))
      << readyCondition("b-labels", "reason");
  EXPECT_EQ(readyCondition("b-labels", "message"),
            "the pod template of \"podinfo\" carries none of the selector labels (app, name, "
            "app.kubernetes.io/name)");
  std::this_thread::sleep_for(std::chrono::seconds(4));
  EXPECT_EQ(countEvents("b-labels", "TargetNotSelectable"), 1) << "no retry storm";
  EXPECT_EQ(countEvents("b-labels", "ReconcileError"), 0);
  EXPECT_TRUE(gone(kube::resources::kDeployments, "b-labels", "podinfo-primary"));
}

// §7: a field Aviary cannot run yet (the NGINX provider's ingressRef) stops the Canary; it is never ignored.
TEST_F(FlaggerBehaviour, AFieldThatIsNotSupportedYetStopsTheCanary) {
  apply(manifests("b-gate",
                  "  ingressRef: {apiVersion: networking.k8s.io/v1, kind: Ingress, name: podinfo}\n"));
  ASSERT_TRUE(eventually([&] { return readyCondition("b-gate", "reason") == "NotSupportedYet"; }))
      << readyCondition("b-gate", "reason");
  EXPECT_EQ(readyCondition("b-gate", "status"), "False");
  EXPECT_NE(readyCondition("b-gate", "message").find("spec.ingressRef"), std::string::npos);
  std::this_thread::sleep_for(std::chrono::seconds(2));
  EXPECT_TRUE(gone(kube::resources::kDeployments, "b-gate", "podinfo-primary")) << "nothing is touched";
  EXPECT_EQ(deployment("b-gate", "podinfo").value("/spec/replicas"_json_pointer, -1), 2);
}

// §7: stepWeights [10, 20, 80] with maxWeight 50 runs 10 → 20 → 80 (as Flagger), with a warning.
TEST_F(FlaggerBehaviour, StepWeightsGoBeyondMaxWeightWithAWarning) {
  initialize("b-steps", "", "    stepWeights: [10, 20, 80]\n");
  EXPECT_EQ(readyCondition("b-steps", "message"),
            "spec.analysis.maxWeight (50) is ignored because spec.analysis.stepWeights is set");
  EXPECT_EQ(countEvents("b-steps", "MaxWeightIgnored"), 1);
  setImage("b-steps");
  std::set<int> weights;
  ASSERT_TRUE(waitPhaseCollectingWeights("b-steps", "Succeeded", std::chrono::seconds(40), weights))
      << phase("b-steps");
  EXPECT_TRUE(weights.count(80)) << ::testing::PrintToString(weights);
  EXPECT_FALSE(weights.count(50)) << ::testing::PrintToString(weights);
}

}  // namespace
}  // namespace aviary::e2e
