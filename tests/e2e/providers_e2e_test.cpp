// Issue 11 end to end, on both test beds: every provider and strategy runs a healthy release to its
// promotion and a faulty one to its rollback, with the operator under its own ServiceAccount, the real
// Prometheus answering the provider's built-in checks, and the sandbox's ground truth (the requests each
// Deployment really answered for the apex Service's users) showing the traffic moved, came back, and that
// no user request failed at a switch. Istio's progressive canary is canary_e2e's.
#include <deque>
#include <thread>

#include "tests/e2e/canary_e2e_fixture.h"

namespace aviary::e2e {
namespace {

struct Scenario {
  std::string name;      // the test's and the namespace's suffix
  std::string provider;  // spec.provider
  std::string analysis;  // YAML under spec.analysis (besides interval, threshold and the checks)
  std::string service;   // YAML under spec.service (besides port and the apex's annotations)
  // The share of the apex's user requests the canary answers at its heaviest analysed step (percent):
  // its weight, or the share of matched requests (A/B); 0 when users never reach it before the switch.
  int analysedShare = 0;
  bool switches = false;  // blue/green: all users on the canary between the analysis and the promotion
  // How long, at least, all users are on the canary at the switch (seconds of the apex's requests):
  // until the promoted primary is ready, or the post-switch checks' intervals.
  double switchSeconds = 0.1;
  // Session affinity: the apex's load comes from simulated clients that keep cookies, and none of them
  // who reached the canary is sent back to the primary while it is analysed.
  bool sticky = false;
};

std::ostream& operator<<(std::ostream& out, const Scenario& s) {
  return out << s.name;
}

const Scenario kScenarios[] = {
    {"appmesh", "appmesh", "    stepWeight: 25\n    maxWeight: 50\n", "", 50, false},
    {"traefik", "traefik", "    stepWeight: 25\n    maxWeight: 50\n", "", 50, false},
    {"gatewayapi", "gatewayapi", "    stepWeight: 25\n    maxWeight: 50\n", "", 50, false},
    // No mesh: the share is the canary's share of the pods (1 of 3 at weight 25, 2 of 4 at 50).
    {"replicas", "replicas", "    stepWeight: 25\n    maxWeight: 50\n", "", 50, false},
    // Blue/green by the apex Service's selector; the analysis reaches the canary through <apex>-canary
    // (here the sandbox's load, as a load tester would send it).
    {"bluegreen", "kubernetes", "    iterations: 3\n",
     "    canary: {annotations: {sandbox.aviary.io/rps: \"100\"}}\n", 0, true},
    // A/B: 20% of the users carry the header; only they reach the canary.
    {"abtesting", "istio", "    iterations: 3\n    match: [{headers: {x-canary: {exact: insider}}}]\n", "",
     20, true},
    // Blue/green with mirroring: copies of every request reach the canary, whose answers users never see.
    {"mirroring", "gatewayapi", "    iterations: 3\n    mirror: true\n", "", 0, true},
    // Blue/green with two checks while every user is on the canary, before the primary is promoted.
    // Three iterations, so the windows the status has confirmed at weight 0 outlast its lag at the switch.
    {"switchchecks", "kubernetes", "    iterations: 3\n    postPromotionIterations: 2\n",
     "    canary: {annotations: {sandbox.aviary.io/rps: \"100\"}}\n", 0, true, 4},
    // A progressive canary with session affinity: its users stay on it, so it answers more than its
    // weight.
    {"sessionaffinity", "istio",
     "    stepWeight: 25\n    maxWeight: 50\n    sessionAffinity: {cookieName: aviary-canary, maxAge: 600}\n",
     "", 50, false, 0.1, true},
};

class ProvidersE2E : public CanaryE2E, public ::testing::WithParamInterface<Scenario> {
 protected:
  std::string ns() const { return "e2e-p-" + GetParam().name; }

  std::string yaml() const {
    const Scenario& s = GetParam();
    return "apiVersion: v1\nkind: Namespace\nmetadata: {name: " + ns() +
           "}\n---\n"
           "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: podinfo, namespace: " +
           ns() +
           ", annotations: {sandbox.aviary.io/ready-after: 500ms}}\n"
           "spec:\n  replicas: 2\n  progressDeadlineSeconds: 4\n  selector: {matchLabels: {app: podinfo}}\n"
           "  template:\n    metadata: {labels: {app: podinfo}}\n"
           "    spec: {containers: [{name: podinfod, image: \"ghcr.io/stefanprodan/podinfo:6.5.0\"}]}\n---\n"
           "apiVersion: aviary.io/v1beta1\nkind: Canary\nmetadata: {name: podinfo, namespace: " +
           ns() + "}\nspec:\n  provider: " + s.provider +
           "\n  targetRef: {apiVersion: apps/v1, kind: Deployment, name: podinfo}\n"
           "  service:\n    port: 9898\n"
           "    apex: {annotations: {sandbox.aviary.io/rps: \"" +
           std::to_string(kRps) + "\", sandbox.aviary.io/traffic-headers: \"x-canary=insider:20%\"" +
           (s.sticky ? ", sandbox.aviary.io/traffic-clients: \"100\"" : "") + "}}\n" + s.service +
           "  analysis:\n    interval: 3s\n    threshold: 2\n" + s.analysis +
           "    metrics:\n"
           "    - {name: request-success-rate, thresholdRange: {min: 99}, interval: 6s}\n"
           "    - {name: request-duration, thresholdRange: {max: 500}, interval: 6s}\n";
  }

  // User requests to the apex Service that `deployment` answered ("none": no pod or no route) with
  // `outcome` ("" = any), by the sandbox's ground truth.
  double users(const std::string& deployment, const std::string& outcome = "") {
    std::map<std::string, std::string> labels = {{"namespace", ns()}, {"service", "podinfo"}};
    if (!deployment.empty()) labels["deployment"] = deployment;
    if (!outcome.empty()) labels["outcome"] = outcome;
    return testing::sumSamples(world->bed->trafficMetrics(), "sandbox_user_requests_total", labels);
  }
  // Simulated clients served by `to` whose previous request `from` served.
  double moves(const std::string& from, const std::string& to) {
    return testing::sumSamples(world->bed->trafficMetrics(), "sandbox_user_session_moves_total",
                               {{"namespace", ns()}, {"service", "podinfo"}, {"from", from}, {"to", to}});
  }
};

TEST_P(ProvidersE2E, AHealthyReleaseIsPromotedAndAFaultyOneRolledBackWithNoHuman) {
  const Scenario& s = GetParam();
  apply(yaml());
  ASSERT_TRUE(waitPhase(ns(), "Initialized"))
      << "phase " << phase(ns()) << "; " << readyCondition(ns(), "message");

  // The healthy release: the canary answers users only as the strategy says, and nobody sees an error.
  const double errorsBefore = users("", "error"), lostBefore = users("none");
  setImage(ns());
  const double canaryAtStart = users("podinfo");
  double canaryBefore = users("podinfo"), allBefore = users("");
  double heaviestShare = 0;
  // Users the canary answered, and all users, while it was analysed at weight 0 (a blue/green's
  // iterations: only matched requests may reach it).
  double canaryAtZero = 0, allAtZero = 0;
  // Windows seen at weight 0, counted once the status has said so for kStatusLag after their end.
  struct Window {
    std::chrono::steady_clock::time_point end;
    double canary = 0, all = 0;
  };
  std::deque<Window> pendingAtZero;
  constexpr auto kStatusLag = std::chrono::milliseconds(2500);
  std::set<int> weights, achievedWeights;
  auto atZero = [&](const Json& c) {
    return c.value("/status/canaryWeight"_json_pointer, 0) == 0 &&
           c.value("/status/phase"_json_pointer, std::string()) == "Progressing";
  };
  bool zeroAtLastBoundary = false;
  // Session affinity: clients sent back from the canary to the primary, read while the status said
  // Progressing before and after the read (the Finalising step rightly sends them all back).
  double backToPrimaryWhileAnalysed = 0;
  auto progressing = [&](const Json& c) {
    return c.value("/status/phase"_json_pointer, std::string()) == "Progressing";
  };
  ASSERT_TRUE(eventually(
      [&] {
        const Json c = canary(ns());
        if (s.sticky && progressing(c)) {
          const double back = moves("podinfo", "podinfo-primary");
          if (progressing(canary(ns()))) backToPrimaryWhileAnalysed = back;
        }
        weights.insert(c.value("/status/canaryWeight"_json_pointer, 0));
        if (c.contains("status") && c["status"].contains("achievedWeight"))
          achievedWeights.insert(c["status"]["achievedWeight"].get<int>());
        const double canaryNow = users("podinfo"), allNow = users("");
        if (allNow - allBefore >= kRps) {  // a window of about a second of the users' requests
          const double share = (canaryNow - canaryBefore) / (allNow - allBefore);
          heaviestShare = std::max(heaviestShare, share);
          // A window counts as analysed at weight 0 only when the status said so at both of its ends (read
          // before and after the traffic) and still says so kStatusLag after its end: the operator moves
          // the traffic first and writes the status once the apex's endpoints follow (polled every second),
          // so a switch near a window's end shows in the status a second or two later, and is never
          // counted as a leak.
          const bool zeroAfter = atZero(canary(ns()));
          const bool analysingAtZero = zeroAtLastBoundary && atZero(c) && zeroAfter;
          zeroAtLastBoundary = zeroAfter;
          const auto now = std::chrono::steady_clock::now();
          if (!zeroAfter) pendingAtZero.clear();
          while (!pendingAtZero.empty() && now - pendingAtZero.front().end >= kStatusLag) {
            if (s.switches) {
              canaryAtZero += pendingAtZero.front().canary;
              allAtZero += pendingAtZero.front().all;
            }
            pendingAtZero.pop_front();
          }
          if (analysingAtZero) pendingAtZero.push_back({now, canaryNow - canaryBefore, allNow - allBefore});
          canaryBefore = canaryNow;
          allBefore = allNow;
        }
        return c.value("/status/phase"_json_pointer, std::string()) == "Succeeded";
      },
      std::chrono::seconds(60)))
      << "phase " << phase(ns()) << "; " << canary(ns())["status"].dump();
  EXPECT_EQ(primaryImage(ns()), "ghcr.io/stefanprodan/podinfo:6.5.1");
  EXPECT_EQ(deployment(ns(), "podinfo").value("/spec/replicas"_json_pointer, -1), 0);
  EXPECT_EQ(users("", "error"), errorsBefore) << "a user request failed during the release";
  EXPECT_EQ(users("none"), lostBefore) << "a user request met no pod or no route (a switch dropped it)";
  if (s.provider == "replicas") {
    // Weight 25 beside 2 primary pods is 1 canary pod: the status says the share is 33%.
    EXPECT_EQ(achievedWeights, std::set<int>{33}) << "status.achievedWeight seen";
  } else {
    EXPECT_TRUE(achievedWeights.empty()) << "only a replica ratio approximates its weight";
  }
  if (s.analysedShare > 0 && !s.switches) {
    EXPECT_TRUE(weights.count(25) && weights.count(50)) << ::testing::PrintToString(weights);
    if (s.sticky) {
      // Users who reached the canary stay: it answers more than its weight.
      EXPECT_GT(heaviestShare, s.analysedShare / 100.0 + 0.1) << "the canary's users did not stay on it";
    } else {
      EXPECT_NEAR(heaviestShare, s.analysedShare / 100.0, 0.15) << "the weights did not move the users";
    }
  }
  if (s.sticky) {
    EXPECT_GT(moves("podinfo-primary", "podinfo"), 10) << "clients reached the canary";
    EXPECT_EQ(backToPrimaryWhileAnalysed, 0)
        << "a client who reached the canary was sent back to the primary";
    const Json st = canary(ns())["status"];
    EXPECT_EQ(st.value("sessionAffinityCookie", ""), "") << "the run's cookie is retired at promotion";
    EXPECT_EQ(st.value("previousSessionAffinityCookie", "").rfind("aviary-canary=", 0), 0u) << st.dump();
  }
  if (s.switches) {
    // Blue/green: users reach the canary only while all traffic is switched to it, from the end of the
    // analysis until the promoted primary is ready (half a second or so here).
    EXPECT_TRUE(weights.count(100)) << ::testing::PrintToString(weights);
    EXPECT_GT(users("podinfo") - canaryAtStart, kRps * s.switchSeconds)
        << "the users were not on the canary for " << s.switchSeconds << " s at the switch";
    ASSERT_GT(allAtZero, kRps * 2) << "the iterations were not observed";
    // A/B: the users with the header (20%) and only they; otherwise none (mirrored answers never reach
    // users).
    EXPECT_NEAR(canaryAtZero / allAtZero, s.analysedShare / 100.0, s.analysedShare > 0 ? 0.08 : 0.02)
        << "share of the users the canary answered during the iterations";
  }
  auto status = canary(ns())["status"];
  if (s.switches) {
    EXPECT_EQ(status.value("iterations", 0), 3 + (s.name == "switchchecks" ? 2 : 0));
  }

  // The faulty release: rolled back at the threshold, every user back on the primary.
  ASSERT_EQ(kubectl("patch deployment podinfo -n " + ns() +
                    " --type merge -p '{\"spec\":{\"template\":{\"metadata\":{\"annotations\":{"
                    "\"sandbox.aviary.io/error-rate\":\"0.3\"}}}}}'")
                .exitCode,
            0);
  ASSERT_TRUE(waitPhase(ns(), "Failed", std::chrono::seconds(60))) << "phase " << phase(ns());
  status = canary(ns())["status"];
  EXPECT_EQ(status["canaryWeight"], 0);
  EXPECT_EQ(status["failedChecks"], 2);
  EXPECT_NE(status["analysis"]["message"].get<std::string>().find("request-success-rate"), std::string::npos)
      << status.dump();
  EXPECT_EQ(primaryImage(ns()), "ghcr.io/stefanprodan/podinfo:6.5.1") << "the primary kept the good version";
  // The rollback reached the users: a few seconds on, the canary answers none of them.
  std::this_thread::sleep_for(std::chrono::seconds(2));
  const double canaryAfter = users("podinfo"), allAfter = users("");
  std::this_thread::sleep_for(std::chrono::seconds(3));
  EXPECT_GT(users("") - allAfter, kRps) << "users kept being served";
  EXPECT_EQ(users("podinfo"), canaryAfter) << "the canary still answered users after the rollback";
  EXPECT_EQ(users("none"), lostBefore) << "a request met no pod during the rollback";
}

INSTANTIATE_TEST_SUITE_P(Strategies, ProvidersE2E, ::testing::ValuesIn(kScenarios),
                         [](const auto& info) { return info.param.name; });

}  // namespace
}  // namespace aviary::e2e
