// Issue 13 end to end, on both beds, with the real Prometheus and the sandbox's ground truth: the same
// 2%-error release judged by Flagger's thresholds alone and with sequential analysis (rolled back sooner,
// fewer failed user requests); a healthy canary promoted with the sequential tests on; and a route the
// operator does not control (another VirtualService pinning the traffic to the primary) caught by the
// traffic-split test.
#include "tests/e2e/canary_e2e_fixture.h"

namespace aviary::e2e {
namespace {

class Sequential : public CanaryE2E {
 protected:
  // The fixture's Canary with Flagger's usual threshold of 5 and `analysisExtra` under analysis.
  void initializeWith(const std::string& ns, const std::string& analysisExtra) {
    std::string yaml = manifests(ns, "", analysisExtra);
    yaml.replace(yaml.find("threshold: 2"), 12, "threshold: 5");
    apply(yaml);
    ASSERT_TRUE(waitPhase(ns, "Initialized")) << "phase " << phase(ns);
  }
  void releaseWithErrorRate(const std::string& ns, const std::string& rate) {
    ASSERT_EQ(
        kubectl(
            "patch deployment podinfo -n " + ns +
            " --type merge -p '{\"spec\":{\"template\":{\"metadata\":{\"annotations\":{\"sandbox.aviary.io/"
            "error-rate\":\"" +
            rate + "\"}}}}}'")
            .exitCode,
        0);
  }
  std::string failureEvent(const std::string& ns) {
    auto r = kubectl("get events -n " + ns + " --field-selector involvedObject.kind=Canary -o json");
    for (const auto& e : Json::parse(r.output).value("items", Json::array())) {
      const std::string m = e.value("message", "");
      if (m.rfind("Rolling back", 0) == 0) return m;
    }
    return "";
  }
};

TEST_F(Sequential, ATwoPercentErrorCanaryIsRolledBackSoonerWithFewerFailedRequests) {
  initializeWith("seq-threshold", "");
  initializeWith("seq-sequential", "    sequential: {errorRate: true}\n");
  releaseWithErrorRate("seq-threshold", "0.02");
  releaseWithErrorRate("seq-sequential", "0.02");
  const auto started = std::chrono::steady_clock::now();
  ASSERT_TRUE(waitPhase("seq-sequential", "Failed", std::chrono::seconds(60))) << phase("seq-sequential");
  const double sequentialSeconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  const double sequentialErrors = userRequests("seq-sequential", "podinfo", "error");
  ASSERT_TRUE(waitPhase("seq-threshold", "Failed", std::chrono::seconds(90))) << phase("seq-threshold");
  const double thresholdSeconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  const double thresholdErrors = userRequests("seq-threshold", "podinfo", "error");
  RecordProperty("sequential_seconds", std::to_string(sequentialSeconds));
  RecordProperty("threshold_seconds", std::to_string(thresholdSeconds));
  RecordProperty("sequential_failed_requests", std::to_string(sequentialErrors));
  RecordProperty("threshold_failed_requests", std::to_string(thresholdErrors));

  const std::string why = failureEvent("seq-sequential");
  EXPECT_EQ(why.rfind("Rolling back podinfo.seq-sequential: sequential analysis: canary error rate ", 0), 0u)
      << why;
  EXPECT_NE(why.find("evidence"), std::string::npos) << why;
  EXPECT_LT(canary("seq-sequential").value("/status/failedChecks"_json_pointer, 0), 5)
      << "rolled back before the threshold of failed checks";
  EXPECT_LT(sequentialErrors, thresholdErrors)
      << "failed user requests: sequential " << sequentialErrors << ", thresholds " << thresholdErrors;
  EXPECT_NE(failureEvent("seq-threshold").find("failed checks threshold reached 5"), std::string::npos)
      << failureEvent("seq-threshold");
  Json state = canary("seq-sequential")["status"]["sequential"];
  EXPECT_GE(state.value("/errorRate/evidence"_json_pointer, 0.0), 100) << state.dump();
  EXPECT_GT(state.value("/errorRate/canary/bad"_json_pointer, 0.0), 0) << state.dump();
}

TEST_F(Sequential, AHealthyCanaryIsPromoted) {
  initializeWith("seq-healthy", "    sequential: {errorRate: true, latency: 500, trafficSplit: true}\n");
  setImage("seq-healthy");
  ASSERT_TRUE(waitPhase("seq-healthy", "Succeeded", std::chrono::seconds(60))) << phase("seq-healthy");
  Json state = canary("seq-healthy")["status"]["sequential"];
  EXPECT_GT(state.value("/errorRate/canary/requests"_json_pointer, 0.0), 0) << state.dump();
  EXPECT_LT(state.value("/trafficSplit/evidence"_json_pointer, 1e9), 1000) << state.dump();
  EXPECT_TRUE(state.contains("latency")) << state.dump();
}

TEST_F(Sequential, ARouteThatIgnoresTheWeightsHoldsTheRollout) {
  initializeWith("seq-split", "    sequential: {trafficSplit: true}\n");
  // Another VirtualService for the same host, first by name: the sandbox's mesh follows it, as a mesh
  // follows whichever of two conflicting routes it picked.
  apply(
      "apiVersion: networking.istio.io/v1beta1\nkind: VirtualService\nmetadata: {name: a-pinned, namespace: "
      "seq-split}\nspec:\n  hosts: [podinfo]\n  http:\n  - route:\n    - destination: {host: "
      "podinfo-primary}\n");
  setImage("seq-split");
  ASSERT_TRUE(
      eventually([&] { return conditionOf("seq-split", "Promoted", "reason") == "TrafficSplitMismatch"; },
                 std::chrono::seconds(40)))
      << canary("seq-split")["status"].dump();
  const std::string message = conditionOf("seq-split", "Promoted", "message");
  EXPECT_EQ(message.rfind("traffic split: the mesh sends 0.0% to the canary, 25.0% expected (evidence ", 0),
            0u)
      << message;
  EXPECT_EQ(phase("seq-split"), "Progressing") << "held, not rolled back";
  EXPECT_EQ(weight("seq-split"), 25);
}

}  // namespace
}  // namespace aviary::e2e
