// The canary state machine, transition by transition: given spec, status, observed cluster and check
// results, the planner's next status, actions, events and requeue time.
#include <gtest/gtest.h>

#include <algorithm>

#include "operator/controller/planner.h"
#include "operator/controller/tracked_configs.h"
#include "operator/core/time_format.h"
#include "tests/support/canary_builder.h"

namespace aviary::controller {
namespace {

using api::Phase;
using std::chrono::milliseconds;
using std::chrono::seconds;

const TimePoint kT0 = *parseRfc3339("2026-11-22T10:00:00Z");

api::Canary makeCanary() {
  return testing::canaryForPlanner();
}

WorkloadState ready(const std::string& hash, int replicas = 2) {
  return {true, hash, replicas, true, false, configsChecksum({})};
}

struct Step {
  api::Canary canary = makeCanary();
  Observed observed;
  std::optional<std::vector<api::MetricResult>> checks;
  std::map<std::string, HookResult> hooks;  // answers of webhooks, by name
  TimePoint now = kT0;

  Step() {
    observed.target = ready("v2", 0);
    observed.primary = ready("v1");
  }
  Step& phase(Phase p, int weight = 0, const std::string& lastTransition = "2026-11-22T10:00:00Z") {
    canary.status.phase = p;
    canary.status.canaryWeight = weight;
    canary.status.lastTransitionTime = lastTransition;
    canary.status.lastAppliedSpec =
        p == Phase::Progressing || p == Phase::Promoting || p == Phase::Finalising ? "v2" : "v1";
    canary.status.lastPromotedSpec = "v1";
    return *this;
  }
  Step& at(milliseconds after) {
    now = kT0 + after;
    return *this;
  }
  Step& passing() {
    checks = std::vector<api::MetricResult>{
        {"request-success-rate", 99.9, {99, std::nullopt}, true, "request-success-rate 99.90 within min 99"}};
    return *this;
  }
  Step& failing() {
    checks = std::vector<api::MetricResult>{
        {"request-success-rate", 91.2, {99, std::nullopt}, false, "request-success-rate 91.2 < 99"}};
    return *this;
  }
  // Runs the planner with the checks (when set) gathered for the current step.
  Plan run() const {
    std::optional<Gathered> gathered;
    if (checks || !hooks.empty())
      gathered = Gathered{stepId(canary.status), checks.value_or(std::vector<api::MetricResult>{}), hooks};
    PlanInput in{&canary, {}, observed, gathered, now};
    in.sessionToken = sessionToken;
    return plan(in);
  }
  std::string sessionToken =
      "0123456789abcdef"
      "fedcba9876543210";
  // Whether the planner asks for the checks of the current step (run without any).
  bool due() const {
    PlanInput in{&canary, {}, observed, std::nullopt, now};
    return plan(in).needs.has_value();
  }
};

Action routes(int canaryWeight) {
  return {ActionType::EnsureRoutes, 0, 100 - canaryWeight, canaryWeight};
}
Action scale(int replicas) {
  return {ActionType::ScaleTarget, replicas, 0, 0};
}
const Action kInitPrimary{ActionType::InitializePrimary, 0, 0, 0};
const Action kPromote{ActionType::PromoteToPrimary, 0, 0, 0};

std::string eventsOf(const Plan& p) {
  std::string out;
  for (const auto& e : p.events) out += (e.warning ? "W:" : "N:") + e.message + "\n";
  return out;
}

TEST(Planner, InitializesThePrimaryAndWaitsForIt) {
  Step s;
  s.observed.target = ready("v1", 2);
  s.observed.primary = {};
  Plan p = s.run();
  EXPECT_EQ(p.status.phase, Phase::Initializing);
  EXPECT_EQ(p.actions, (std::vector<Action>{kInitPrimary}))
      << "no Service selects pods that are not ready yet";
  EXPECT_EQ(p.status.condition("Promoted")->status, "Unknown");
  EXPECT_EQ(p.requeueAfter, milliseconds(s.canary.spec.analysis.interval))
      << "the primary's Deployment events wake it sooner; the poll only bounds a lost event";

  s.canary.status = p.status;
  s.observed.primary = ready("v1");
  p = s.run();
  EXPECT_EQ(p.status.phase, Phase::Initialized);
  EXPECT_EQ(p.actions, (std::vector<Action>{kInitPrimary, routes(0), scale(0)}));
  EXPECT_EQ(p.status.lastAppliedSpec, "v1");
  EXPECT_EQ(p.status.lastPromotedSpec, "v1");
  EXPECT_EQ(p.status.condition("Promoted")->status, "True");
  EXPECT_EQ(eventsOf(p), "N:Initialization done! podinfo.test\n");
}

TEST(Planner, ANewRevisionStartsTheAnalysisAndScalesTheCanaryUp) {
  Step s;
  s.phase(Phase::Initialized);
  s.observed.target = ready("v2", 0);
  Plan p = s.run();
  EXPECT_EQ(p.status.phase, Phase::Progressing);
  EXPECT_EQ(p.status.lastAppliedSpec, "v2");
  EXPECT_EQ(p.status.canaryWeight, 0);
  EXPECT_EQ(p.actions, (std::vector<Action>{scale(2), routes(0)})) << "as many replicas as the primary";
  EXPECT_EQ(p.status.condition("Promoted")->reason, "Progressing");
  EXPECT_EQ(p.requeueAfter, seconds(60));
  EXPECT_EQ(eventsOf(p), "N:New revision detected! Scaling up podinfo.test\n");
}

TEST(Planner, NothingHappensWithoutANewRevisionAndSuspendHoldsOne) {
  Step s;
  s.phase(Phase::Succeeded);
  s.observed.target = ready("v1", 0);
  Plan p = s.run();
  EXPECT_EQ(p.status.phase, Phase::Succeeded);
  EXPECT_EQ(p.actions, (std::vector<Action>{routes(0)}));
  EXPECT_TRUE(p.events.empty());

  s.observed.target = ready("v2", 0);
  s.canary.spec.suspend = true;
  EXPECT_EQ(s.run().status.phase, Phase::Succeeded) << "suspended: the new revision waits";
}

TEST(Planner, AnIdleCanaryIsLookedAtAgainOnlyAfterTheResyncPeriod) {
  for (Phase phase : {Phase::Initialized, Phase::Succeeded, Phase::Failed}) {
    Step s;
    s.phase(phase);
    s.canary.status.lastAppliedSpec = "v1";
    s.observed.target = ready("v1", 0);
    PlanInput in{&s.canary, {}, s.observed, std::nullopt, s.now};
    in.idleResync = std::chrono::minutes(7);
    Plan p = plan(in);
    EXPECT_EQ(p.status.phase, phase);
    EXPECT_EQ(p.requeueAfter, milliseconds(std::chrono::minutes(7)))
        << api::phaseName(phase) << ": events wake it sooner";
    in.idleResync = seconds(1);
    EXPECT_EQ(plan(in).requeueAfter, milliseconds(s.canary.spec.analysis.interval))
        << "never sooner than the analysis interval";
  }
  // Not idle: a step in progress is looked at when it is due, whatever the resync period.
  Step s;
  s.phase(Phase::Progressing, 10);
  PlanInput in{&s.canary, {}, s.observed, std::nullopt, s.now + seconds(5)};
  ASSERT_TRUE(plan(in).requeueAfter.has_value());
  EXPECT_EQ(*plan(in).requeueAfter, seconds(55)) << "the next step, due at lastTransitionTime + interval";
}

// Rollout waits are woken by the Deployments' events and poll once per interval, but never wait past the
// progress deadline for want of an event.
TEST(Planner, ARolloutWaitPollsOncePerIntervalButNeverPastTheDeadline) {
  Step s;
  s.observed.target = ready("v1", 2);
  s.observed.primary = {};
  EXPECT_EQ(s.run().requeueAfter, milliseconds(s.canary.spec.analysis.interval)) << "initializing";
  s.canary.spec.analysis.interval = std::chrono::minutes(5);
  s.canary.spec.progressDeadlineSeconds = 60;
  EXPECT_EQ(s.run().requeueAfter, seconds(60)) << "a 5 min interval does not hide a 60 s deadline";
}

TEST(Planner, APromotionOfNewConfigsWaitsForThePrimaryToCarryThem) {
  Step s;
  s.phase(Phase::Promoting, 50);
  s.canary.status.trackedConfigs = {{"configmap/podinfo-config", "bbb"}};
  s.observed.target = ready("v2", 2);
  s.observed.primary = ready("v2");  // the template is promoted, the configs not yet
  EXPECT_EQ(s.run().status.phase, Phase::Promoting);
  s.observed.primary.configsChecksum = configsChecksum(s.canary.status.trackedConfigs);
  EXPECT_EQ(s.run().status.phase, Phase::Finalising);
}

TEST(Planner, AConfigChangeIsANewRevision) {
  Step s;
  s.phase(Phase::Succeeded);
  s.observed.target = ready("v1", 0);
  s.canary.status.trackedConfigs = {{"configmap/podinfo-config", "aaa"}};
  s.observed.trackedConfigs = {{"configmap/podinfo-config", "bbb"}};
  Plan p = s.run();
  EXPECT_EQ(p.status.phase, Phase::Progressing);
  EXPECT_EQ(p.status.trackedConfigs, s.observed.trackedConfigs);
}

TEST(Planner, StepsOnlyWhenTheIntervalHasPassed) {
  Step s;
  s.phase(Phase::Progressing, 10).at(seconds(20));
  EXPECT_FALSE(s.due());
  Plan p = s.run();
  EXPECT_EQ(p.status.canaryWeight, 10);
  EXPECT_EQ(p.actions, (std::vector<Action>{routes(10)}));
  EXPECT_EQ(p.requeueAfter, seconds(40)) << "requeued at lastTransitionTime + interval";
  EXPECT_TRUE(p.events.empty());
}

TEST(Planner, FirstStepNeedsNoChecksThenEachPassingCheckAdvancesUpToMaxWeight) {
  Step s;
  s.phase(Phase::Progressing, 0).at(seconds(60));
  EXPECT_FALSE(s.due()) << "no traffic yet, nothing to measure";
  Plan p = s.run();
  EXPECT_EQ(p.status.canaryWeight, 10);
  EXPECT_EQ(p.actions, (std::vector<Action>{routes(10)}));
  EXPECT_EQ(p.status.lastTransitionTime, "2026-11-22T10:01:00Z");
  EXPECT_EQ(eventsOf(p), "N:Advance podinfo.test canary weight 10\n");

  s.phase(Phase::Progressing, 10).at(seconds(60)).passing();
  EXPECT_TRUE(s.due());
  p = s.run();
  EXPECT_EQ(p.status.canaryWeight, 20);
  EXPECT_EQ(p.status.analysisMessage, "all checks passed: request-success-rate 99.90 within min 99");

  s.canary.spec.analysis.stepWeight = 15;  // 20 → 35 is clamped to maxWeight 30
  s.phase(Phase::Progressing, 20).at(seconds(60)).passing();
  EXPECT_EQ(s.run().status.canaryWeight, 30);
}

TEST(Planner, StepWeightsAreFollowedInOrder) {
  api::AnalysisSpec a;
  a.maxWeight = 50;
  a.stepWeights = {1, 5, 10, 25, 50};
  EXPECT_EQ(nextWeight(a, 0), 1);
  EXPECT_EQ(nextWeight(a, 1), 5);
  EXPECT_EQ(nextWeight(a, 25), 50);
  EXPECT_EQ(nextWeight(a, 50), 50);
  a.maxWeight = 20;
  EXPECT_EQ(nextWeight(a, 10), 25) << "maxWeight does not apply to stepWeights (Flagger)";
  a.stepWeights.clear();
  a.stepWeight = 15;
  EXPECT_EQ(nextWeight(a, 10), 20) << "stepWeight never goes above maxWeight";
}

TEST(Planner, AFailedCheckHoldsTheWeightAndTheThresholdRollsBack) {
  Step s;
  s.phase(Phase::Progressing, 20).at(seconds(60)).failing();
  Plan p = s.run();
  EXPECT_EQ(p.status.phase, Phase::Progressing);
  EXPECT_EQ(p.status.canaryWeight, 20);
  EXPECT_EQ(p.status.failedChecks, 1);
  EXPECT_EQ(p.actions, (std::vector<Action>{routes(20)}));
  EXPECT_EQ(p.status.analysisMetrics.at(0).value, 91.2);
  EXPECT_EQ(eventsOf(p), "W:Halt podinfo.test advancement: request-success-rate 91.2 < 99\n");
  EXPECT_EQ(p.status.lastTransitionTime, "2026-11-22T10:01:00Z") << "the next check is one interval later";

  s.canary.status = p.status;
  s.at(seconds(120)).failing();
  p = s.run();
  EXPECT_EQ(p.status.phase, Phase::Failed);
  EXPECT_EQ(p.status.canaryWeight, 0);
  EXPECT_EQ(p.status.failedChecks, 2);
  EXPECT_EQ(p.actions, (std::vector<Action>{routes(0), scale(0)}));
  EXPECT_EQ(p.status.condition("Promoted")->status, "False");
  EXPECT_NE(eventsOf(p).find("W:Rolling back podinfo.test: failed checks threshold reached 2"),
            std::string::npos);
}

// Issue 12 §1: the checks are gathered off the worker threads. Without them the step holds, records
// nothing and asks for them; results gathered for another step are never used.
TEST(Planner, WithoutItsChecksAStepHoldsAndAsksForThem) {
  Step s;
  s.phase(Phase::Progressing, 20).at(seconds(60));  // checks not provided
  Plan p = s.run();
  EXPECT_EQ(p.status.canaryWeight, 20);
  EXPECT_EQ(p.status.failedChecks, 0);
  EXPECT_EQ(p.status.lastTransitionTime, s.canary.status.lastTransitionTime) << "nothing recorded";
  EXPECT_TRUE(p.status.analysisMetrics.empty());
  EXPECT_TRUE(p.status.analysisTime.empty());
  EXPECT_EQ(p.actions, (std::vector<Action>{routes(20)}));
  ASSERT_TRUE(p.needs);
  EXPECT_EQ(p.needs->step, stepId(s.canary.status));
  EXPECT_TRUE(p.needs->checks);
  EXPECT_TRUE(p.needs->hooks.empty());
  EXPECT_TRUE(p.events.empty());

  PlanInput stale{
      &s.canary, {}, s.observed, Gathered{"Progressing/v2/10/0/2026-11-22T09:59:00Z", {}, {}}, s.now};
  EXPECT_EQ(plan(stale).needs->step, stepId(s.canary.status))
      << "results of an earlier step are not this step's";
  s.passing();
  p = s.run();
  EXPECT_FALSE(p.needs);
  EXPECT_EQ(p.status.canaryWeight, 30);
}

TEST(Planner, SaysWhenItDecidedADueStep) {
  Step s;  // interval 60 s, last transition at kT0
  s.phase(Phase::Progressing, 20).at(seconds(30));
  EXPECT_FALSE(s.run().stepDecided) << "not due yet";
  s.at(seconds(62));
  EXPECT_FALSE(s.run().stepDecided) << "asking for the checks decides nothing";
  s.passing();
  Plan p = s.run();
  EXPECT_EQ(p.status.canaryWeight, 30);
  EXPECT_TRUE(p.stepDecided);
  EXPECT_FALSE(p.firstStep);
  EXPECT_EQ(p.requeueAfter, seconds(60)) << "when the next step is due";
  s.failing();
  p = s.run();
  EXPECT_EQ(p.status.failedChecks, 1);
  EXPECT_TRUE(p.stepDecided) << "a failed check decides the step too";
  s.phase(Phase::Progressing, 0).at(seconds(75));
  p = s.run();
  EXPECT_EQ(p.status.canaryWeight, 10);
  EXPECT_TRUE(p.stepDecided);
  EXPECT_TRUE(p.firstStep) << "it also waited for the canary's rollout";
}

TEST(Planner, ChecksAreAskedForOnlyWhenAStepIsDue) {
  Step s;
  s.phase(Phase::Progressing, 20).at(seconds(30));
  EXPECT_FALSE(s.due()) << "before the interval";
  s.at(seconds(60));
  EXPECT_TRUE(s.due());
  s.observed.target.ready = false;
  EXPECT_FALSE(s.due()) << "an unready canary halts first";
  s.observed.target.ready = true;
  s.canary.spec.suspend = true;
  EXPECT_FALSE(s.due());
  s.canary.spec.suspend = false;
  s.canary.spec.skipAnalysis = true;
  EXPECT_FALSE(s.due());
  s.canary.spec.skipAnalysis = false;
  s.phase(Phase::Progressing, 0).at(seconds(60));
  EXPECT_FALSE(s.due()) << "no traffic yet, nothing to measure";
  s.phase(Phase::Promoting, 30).at(seconds(60));
  EXPECT_FALSE(s.due());
}

TEST(Planner, AFailedRevisionDoesNotRetriggerButTheNextOneDoes) {
  Step s;
  s.phase(Phase::Failed);
  s.canary.status.lastAppliedSpec = "v2";
  s.observed.target = ready("v2", 0);
  EXPECT_EQ(s.run().status.phase, Phase::Failed);
  s.observed.target = ready("v3", 0);
  EXPECT_EQ(s.run().status.phase, Phase::Progressing);
}

TEST(Planner, ANewRevisionDuringAnalysisRestartsFromWeightZero) {
  Step s;
  s.phase(Phase::Progressing, 20).at(seconds(10));
  s.canary.status.failedChecks = 1;
  s.observed.target = ready("v3", 2);
  Plan p = s.run();
  EXPECT_EQ(p.status.phase, Phase::Progressing);
  EXPECT_EQ(p.status.canaryWeight, 0);
  EXPECT_EQ(p.status.failedChecks, 0);
  EXPECT_EQ(p.status.lastAppliedSpec, "v3");
  EXPECT_EQ(p.actions, (std::vector<Action>{scale(2), routes(0)}));
}

TEST(Planner, AnUnreadyCanaryHaltsAndTheProgressDeadlineRollsBack) {
  Step s;
  s.phase(Phase::Progressing, 0).at(seconds(60));
  s.observed.target = {true, "v2", 2, false, false};
  Plan p = s.run();
  EXPECT_EQ(p.status.canaryWeight, 0);
  EXPECT_EQ(p.requeueAfter, milliseconds(s.canary.spec.analysis.interval)) << "the target's events wake it";
  EXPECT_NE(eventsOf(p).find("waiting for podinfo rollout to finish"), std::string::npos);
  s.observed.target.progressDeadlineExceeded = true;
  p = s.run();
  EXPECT_EQ(p.status.phase, Phase::Failed);
  EXPECT_EQ(p.actions, (std::vector<Action>{routes(0), scale(0)}));
  // The Deployment's deadline ran out, not the Canary's (600 s here): the message must not name the latter.
  EXPECT_NE(eventsOf(p).find("exceeded its progress deadline (its Progressing condition says "
                             "ProgressDeadlineExceeded)"),
            std::string::npos)
      << eventsOf(p);
  EXPECT_EQ(eventsOf(p).find("600s"), std::string::npos) << eventsOf(p);
}

// Issue 9 (real control plane): a Deployment scaled up from zero never reports ProgressDeadlineExceeded,
// so the Canary's own progressDeadlineSeconds, counted from the last transition, decides.
TEST(Planner, TheCanarysOwnProgressDeadlineRollsBackWithoutTheDeploymentsCondition) {
  Step s;
  s.canary.spec.progressDeadlineSeconds = 30;
  s.phase(Phase::Progressing, 0).at(seconds(20));
  s.observed.target = {true, "v2", 2, false, false};
  Plan p = s.run();
  EXPECT_EQ(p.status.phase, Phase::Progressing) << "still waiting at 20 s";
  EXPECT_LE(p.requeueAfter, milliseconds(10'000)) << "woken at the deadline, not at the next step";
  s.at(seconds(30));
  p = s.run();
  EXPECT_EQ(p.status.phase, Phase::Failed);
  EXPECT_EQ(p.actions, (std::vector<Action>{routes(0), scale(0)}));
  EXPECT_NE(eventsOf(p).find("not ready within the progress deadline (30s)"), std::string::npos)
      << eventsOf(p);
}

TEST(Planner, PromotesAfterTheLastStepPassesThenFinalises) {
  Step s;
  s.phase(Phase::Progressing, 30).at(seconds(60)).passing();
  Plan p = s.run();
  EXPECT_EQ(p.status.phase, Phase::Promoting);
  EXPECT_EQ(p.actions, (std::vector<Action>{kPromote, routes(30)}));

  s.canary.status = p.status;
  s.checks.reset();
  s.observed.primary = {true,  "v2",  2,
                        false, false, configsChecksum({})};  // rolling out the promoted template
  p = s.run();
  EXPECT_EQ(p.status.phase, Phase::Promoting);
  EXPECT_EQ(p.actions, (std::vector<Action>{kPromote, routes(30)})) << "the canary keeps its share meanwhile";

  s.observed.primary.ready = true;
  p = s.run();
  EXPECT_EQ(p.status.phase, Phase::Finalising);
  EXPECT_EQ(p.actions, (std::vector<Action>{kPromote, routes(0)}));
  EXPECT_EQ(p.requeueAfter, milliseconds(0));

  s.canary.status = p.status;
  p = s.run();
  EXPECT_EQ(p.status.phase, Phase::Succeeded);
  EXPECT_EQ(p.status.lastPromotedSpec, "v2");
  EXPECT_EQ(p.actions, (std::vector<Action>{routes(0), scale(0)}));
  EXPECT_EQ(p.status.condition("Promoted")->status, "True");
  EXPECT_EQ(p.status.condition("Promoted")->reason, "Succeeded");
}

// Issue 11: blue/green (analysis.iterations): every iteration runs the checks with the canary at weight 0,
// then all traffic switches to the canary in its own pass, and only once the routes carry it is the primary
// promoted; back to the primary when it is ready.
TEST(Planner, BlueGreenAnalysesForItsIterationsThenSwitchesBeforePromoting) {
  Step s;
  s.canary.spec.analysis.iterations = 2;
  s.canary.spec.analysis.stepWeight = 0;
  s.phase(Phase::Progressing, 0).at(seconds(60));
  ASSERT_TRUE(s.due());
  EXPECT_TRUE(s.run().needs->checks) << "checks run although the canary has no share";
  s.passing();
  Plan p = s.run();
  EXPECT_EQ(p.status.phase, Phase::Progressing);
  EXPECT_EQ(p.status.iterations, 1);
  EXPECT_EQ(p.status.canaryWeight, 0);
  EXPECT_EQ(p.actions, (std::vector<Action>{routes(0)}));
  EXPECT_EQ(eventsOf(p), "N:Advance podinfo.test canary iteration 1/2\n");

  s.canary.status = p.status;
  s.at(seconds(120));
  p = s.run();
  EXPECT_EQ(p.status.iterations, 2);
  EXPECT_EQ(p.status.canaryWeight, 100);
  EXPECT_EQ(p.status.phase, Phase::Progressing);
  EXPECT_EQ(p.actions, (std::vector<Action>{routes(100)})) << "the switch first, the primary untouched";
  EXPECT_EQ(p.requeueAfter, milliseconds(0));
  EXPECT_EQ(eventsOf(p), "N:Routing all traffic to canary podinfo.test\n");

  s.canary.status = p.status;
  s.checks.reset();
  p = s.run();
  EXPECT_EQ(p.status.phase, Phase::Promoting);
  EXPECT_EQ(p.actions, (std::vector<Action>{kPromote, routes(100)})) << "users stay on the canary meanwhile";

  s.canary.status = p.status;
  s.observed.primary = ready("v2");
  p = s.run();
  EXPECT_EQ(p.status.phase, Phase::Finalising);
  EXPECT_EQ(p.actions, (std::vector<Action>{kPromote, routes(0)}));
}

// postPromotionIterations (Aviary's own): checks with every user on the canary before the primary is
// promoted; the first failure switches them back, whatever the threshold.
TEST(Planner, BlueGreenChecksAfterTheSwitchAndAFailureSwitchesBackAtOnce) {
  Step s;
  s.canary.spec.analysis.iterations = 1;
  s.canary.spec.analysis.stepWeight = 0;
  s.canary.spec.analysis.postPromotionIterations = 2;
  s.canary.spec.analysis.threshold = 5;
  s.phase(Phase::Progressing, 0).at(seconds(60)).passing();
  Plan p = s.run();
  EXPECT_EQ(p.status.canaryWeight, 100);
  EXPECT_EQ(p.actions, (std::vector<Action>{routes(100)}));
  EXPECT_EQ(p.requeueAfter, milliseconds(60'000)) << "the next check an interval on, not the promotion";
  EXPECT_EQ(eventsOf(p), "N:Routing all traffic to canary podinfo.test; 2 checks before promotion\n");

  s.canary.status = p.status;
  s.at(seconds(90));
  p = s.run();
  EXPECT_EQ(p.status.phase, Phase::Progressing) << "not due yet";
  EXPECT_EQ(p.actions, (std::vector<Action>{routes(100)}));

  s.at(seconds(120));
  p = s.run();
  EXPECT_EQ(p.status.iterations, 2);
  EXPECT_EQ(p.status.phase, Phase::Progressing);
  EXPECT_EQ(eventsOf(p), "N:Check 1/2 after the switch passed for podinfo.test\n");

  Step failing = s;
  failing.canary.status = p.status;
  failing.at(seconds(180)).failing();
  Plan back = failing.run();
  EXPECT_EQ(back.status.phase, Phase::Failed)
      << "threshold 5, yet the first failure after the switch rolls back";
  EXPECT_EQ(back.actions, (std::vector<Action>{routes(0), scale(0)}));
  EXPECT_NE(eventsOf(back).find("a check failed after the switch to the canary"), std::string::npos)
      << eventsOf(back);

  s.canary.status = p.status;
  s.at(seconds(180));
  p = s.run();
  EXPECT_EQ(p.status.iterations, 3);
  EXPECT_EQ(p.status.phase, Phase::Promoting);
  EXPECT_EQ(p.actions, (std::vector<Action>{kPromote, routes(100)}));
}

TEST(Planner, BlueGreenRollsBackAtTheThresholdWithAllTrafficOnThePrimary) {
  Step s;
  s.canary.spec.analysis.iterations = 5;
  s.canary.spec.analysis.threshold = 1;
  s.phase(Phase::Progressing, 0).at(seconds(60)).failing();
  Plan p = s.run();
  EXPECT_EQ(p.status.phase, Phase::Failed);
  EXPECT_EQ(p.actions, (std::vector<Action>{routes(0), scale(0)}));
}

TEST(Planner, ABTestingSendsMatchedRequestsToTheCanaryOnlyWhileAnalysing) {
  Step s;
  s.canary.spec.analysis.iterations = 3;
  s.canary.spec.analysis.match = api::Json::parse(R"([{"headers": {"x-canary": {"exact": "insider"}}}])");
  s.phase(Phase::Progressing, 0).at(seconds(60)).passing();
  Action ab = routes(0);
  ab.matchToCanary = true;
  s.observed.target.replicas = 0;  // the canary still scaling up: matched users must not meet it
  EXPECT_EQ(s.run().actions, (std::vector<Action>{routes(0)}));
  s.observed.target = ready("v2", 2);
  Plan p = s.run();
  EXPECT_EQ(p.actions, (std::vector<Action>{ab}));
  s.canary.status = p.status;
  s.at(seconds(61));
  EXPECT_EQ(s.run().actions, (std::vector<Action>{ab})) << "between steps too";

  Step failed = s;
  failed.at(seconds(120)).failing();
  failed.canary.spec.analysis.threshold = 1;
  EXPECT_EQ(failed.run().actions, (std::vector<Action>{routes(0), scale(0)})) << "a rollback drops the match";
}

TEST(Planner, MirroringCopiesRequestsAtTheFirstStepOfAProgressiveCanary) {
  Step s;
  s.canary.spec.analysis.mirror = true;
  s.canary.spec.analysis.mirrorWeight = 40;
  s.observed.target = ready("v2", 2);
  s.phase(Phase::Progressing, 0).at(seconds(60));
  Plan asked = s.run();
  ASSERT_TRUE(asked.needs);
  EXPECT_TRUE(asked.needs->checks) << "the mirrored step is analysed";
  Action mirrored = routes(0);
  mirrored.mirrorPercent = 40;
  EXPECT_EQ(asked.actions, (std::vector<Action>{mirrored}));
  s.passing();
  Plan p = s.run();
  EXPECT_EQ(p.status.canaryWeight, 10);
  EXPECT_EQ(p.actions, (std::vector<Action>{routes(10)})) << "no mirror once traffic shifts";
}

// Session affinity: one cookie per run, taken from the token when the canary first gets a share, kept
// across steps (a new step must not log users out), and expired once the canary has no share.
TEST(Planner, SessionAffinityKeepsOneCookiePerRunAndExpiresItAfterwards) {
  Step s;
  api::SessionAffinitySpec affinity;
  affinity.cookieName = "aviary";
  affinity.primaryCookieName = "aviary-primary";
  s.canary.spec.analysis.sessionAffinity = affinity;
  s.observed.target = ready("v2", 2);
  s.phase(Phase::Progressing, 0).at(seconds(60)).passing();
  Plan p = s.run();
  ASSERT_EQ(p.status.canaryWeight, 10);
  EXPECT_EQ(p.status.sessionAffinityCookie, "aviary=0123456789abcdef");
  EXPECT_EQ(p.status.primarySessionAffinityCookie, "aviary-primary=fedcba9876543210");
  Action sticky = routes(10);
  sticky.canaryCookie = "aviary=0123456789abcdef";
  sticky.primaryCookie = "aviary-primary=fedcba9876543210";
  EXPECT_EQ(p.actions, (std::vector<Action>{sticky}));

  s.canary.status = p.status;
  s.canary.status.lastTransitionTime = "2026-11-22T10:01:00Z";
  s.sessionToken =
      "ffffffffffffffff"
      "eeeeeeeeeeeeeeee";  // a later pass draws another token
  s.at(seconds(120)).passing();
  p = s.run();
  ASSERT_EQ(p.status.canaryWeight, 20);
  EXPECT_EQ(p.status.sessionAffinityCookie, "aviary=0123456789abcdef") << "the run keeps its cookie";
  ASSERT_EQ(p.actions.size(), 1u);
  EXPECT_EQ(p.actions[0].canaryCookie, "aviary=0123456789abcdef");

  // The canary has no share any more (a rollback here; a promotion's Finalising alike).
  s.canary.status = p.status;
  s.at(seconds(180)).failing();
  s.canary.spec.analysis.threshold = 1;
  p = s.run();
  ASSERT_EQ(p.status.canaryWeight, 0);
  EXPECT_EQ(p.status.sessionAffinityCookie, "");
  EXPECT_EQ(p.status.primarySessionAffinityCookie, "");
  EXPECT_EQ(p.status.previousSessionAffinityCookie, "aviary=0123456789abcdef");
  bool expired = false;
  for (const auto& a : p.actions) {
    if (a.type != ActionType::EnsureRoutes) continue;
    EXPECT_EQ(a.canaryWeight, 0);
    EXPECT_EQ(a.canaryCookie, "");
    expired = expired || a.expiredCookie == "aviary=0123456789abcdef";
  }
  EXPECT_TRUE(expired) << "the past run's cookie holders must be sent to the primary and told to drop it";

  // The next run draws a new cookie.
  Step next;
  next.canary.spec.analysis.sessionAffinity = affinity;
  next.observed.target = ready("v2", 2);
  next.phase(Phase::Progressing, 0).at(seconds(60)).passing();
  next.canary.status.previousSessionAffinityCookie = "aviary=0123456789abcdef";
  next.sessionToken =
      "ffffffffffffffff"
      "eeeeeeeeeeeeeeee";
  p = next.run();
  EXPECT_EQ(p.status.sessionAffinityCookie, "aviary=ffffffffffffffff");
}

// Issue 16: an operator's request (kubectl aviary) is acted on once, recorded with who asked, and cleared.
api::OperatorRequest ask(const std::string& action, const std::string& id = "r1") {
  return {action, id, "alice", "2026-11-22T10:00:30Z", "", "", ""};
}

TEST(PlannerRequests, PauseHoldsTheStepAndResumeLetsItGo) {
  Step s;
  s.observed.target = ready("v2", 2);
  s.phase(Phase::Progressing, 20).at(seconds(60)).passing();
  s.canary.status.request = ask("pause");
  Plan p = s.run();
  EXPECT_FALSE(p.status.request) << "cleared once handled";
  ASSERT_TRUE(p.status.lastRequest);
  EXPECT_EQ(p.status.lastRequest->outcome, "Done");
  EXPECT_EQ(p.status.lastRequest->handledAt, "2026-11-22T10:01:00Z");
  EXPECT_NE(p.status.lastRequest->message.find("asked by alice"), std::string::npos);
  EXPECT_TRUE(p.status.paused);
  EXPECT_EQ(p.status.canaryWeight, 20) << "no step while paused";
  EXPECT_TRUE(p.actions.empty());
  EXPECT_NE(eventsOf(p).find("N:Paused podinfo"), std::string::npos) << eventsOf(p);

  s.canary.status = p.status;
  p = s.run();
  EXPECT_EQ(p.status.canaryWeight, 20) << "still paused on the next pass";
  EXPECT_TRUE(p.events.empty()) << eventsOf(p);

  s.canary.status.request = ask("resume", "r2");
  p = s.run();
  EXPECT_FALSE(p.status.paused);
  EXPECT_EQ(p.status.canaryWeight, 30) << "the due step is taken";
}

TEST(PlannerRequests, TheSameRequestIsActedOnOnce) {
  Step s;
  s.observed.target = ready("v2", 2);
  s.phase(Phase::Progressing, 20).at(seconds(10));
  s.canary.status.request = ask("abort", "same");
  s.canary.status.lastRequest = ask("abort", "same");
  s.canary.status.lastRequest->outcome = "Done";
  Plan p = s.run();
  EXPECT_FALSE(p.status.request);
  EXPECT_EQ(p.status.phase, Phase::Progressing) << "an abort already handled is not acted on again";
  EXPECT_EQ(eventsOf(p).find("Abort"), std::string::npos);
}

TEST(PlannerRequests, PromoteSkipsTheRemainingStepsOnlyWhileAnalysing) {
  Step s;
  s.observed.target = ready("v2", 2);
  s.phase(Phase::Progressing, 10).at(seconds(10));  // the next step is not due yet
  s.canary.status.request = ask("promote");
  Plan p = s.run();
  EXPECT_EQ(p.status.phase, Phase::Promoting);
  EXPECT_EQ(p.actions, (std::vector<Action>{{ActionType::PromoteToPrimary, 2, 0, 0}, routes(10)}));
  EXPECT_NE(eventsOf(p).find("promoted by alice"), std::string::npos) << eventsOf(p);

  Step done;
  done.phase(Phase::Succeeded, 0);
  done.canary.status.lastAppliedSpec = "v2";
  done.canary.status.lastPromotedSpec = "v2";
  done.observed.target = ready("v2", 0);
  done.observed.primary = ready("v2");
  done.canary.status.request = ask("promote");
  p = done.run();
  EXPECT_EQ(p.status.phase, Phase::Succeeded);
  EXPECT_EQ(p.status.lastRequest->outcome, "Ignored");
  EXPECT_NE(eventsOf(p).find("W:nothing done: no analysis to cut short (phase Succeeded)"), std::string::npos)
      << eventsOf(p);

  Step unready;
  unready.observed.target = {true, "v2", 2, false, false, configsChecksum({})};
  unready.phase(Phase::Progressing, 10).at(seconds(10));
  unready.canary.status.request = ask("promote");
  p = unready.run();
  EXPECT_EQ(p.status.phase, Phase::Progressing) << "an unready canary is never promoted";
  EXPECT_EQ(p.status.lastRequest->outcome, "Ignored");
}

TEST(PlannerRequests, AbortRollsBackAndRetryStartsTheAnalysisOfTheSameRevisionAgain) {
  Step s;
  s.observed.target = ready("v2", 2);
  s.phase(Phase::Progressing, 20).at(seconds(10));
  s.canary.status.request = ask("abort");
  Plan p = s.run();
  EXPECT_EQ(p.status.phase, Phase::Failed);
  EXPECT_EQ(p.status.canaryWeight, 0);
  EXPECT_NE(p.status.condition("Promoted")->message.find("aborted by alice"), std::string::npos);

  s.canary.status = p.status;
  s.observed.target = ready("v2", 0);
  p = s.run();
  EXPECT_EQ(p.status.phase, Phase::Failed) << "a failed revision does not start again by itself";

  s.canary.status.request = ask("retry", "r2");
  p = s.run();
  EXPECT_EQ(p.status.phase, Phase::Progressing);
  EXPECT_EQ(p.status.lastAppliedSpec, "v2");
  EXPECT_EQ(p.status.lastRequest->outcome, "Done");
  EXPECT_EQ(p.actions, (std::vector<Action>{scale(2), routes(0)}));
}

// A replica-ratio provider owns the canary's replica count (its routes): the planner neither scales the
// canary up for the analysis nor gives the primary the canary's count at promotion.
TEST(Planner, AReplicaRatioLeavesTheCanarysReplicasToTheRouter) {
  Step s;
  s.phase(Phase::Initialized);
  s.observed.target = ready("v2", 0);
  PlanInput in{&s.canary, {}, s.observed, std::nullopt, s.now};
  in.capabilities.weighted = in.capabilities.replicaRatio = true;
  Plan p = plan(in);
  EXPECT_EQ(p.status.phase, Phase::Progressing);
  EXPECT_EQ(p.actions, (std::vector<Action>{routes(0)})) << "no ScaleTarget: weight 0 is 0 canary pods";

  Step last;
  last.phase(Phase::Progressing, 30).at(seconds(60)).passing();
  last.observed.target = ready("v2", 1);  // the router's 1 pod beside the primary's 2
  std::optional<Gathered> gathered = Gathered{stepId(last.canary.status), *last.checks, {}};
  PlanInput promoting{&last.canary, {}, last.observed, gathered, last.now};
  promoting.capabilities.weighted = promoting.capabilities.replicaRatio = true;
  p = plan(promoting);
  EXPECT_EQ(p.status.phase, Phase::Promoting);
  EXPECT_EQ(p.actions, (std::vector<Action>{kPromote, routes(30)}))
      << "the primary keeps its own replicas (0)";
}

TEST(Planner, SkipAnalysisPromotesAtTheFirstStep) {
  Step s;
  s.canary.spec.skipAnalysis = true;
  s.phase(Phase::Progressing, 0).at(seconds(60));
  Plan p = s.run();
  EXPECT_EQ(p.status.phase, Phase::Promoting);
  EXPECT_EQ(p.actions, (std::vector<Action>{kPromote, routes(0)}));
}

TEST(Planner, SuspendFreezesTheAnalysis) {
  Step s;
  s.canary.spec.suspend = true;
  s.phase(Phase::Progressing, 20).at(seconds(600)).failing();
  EXPECT_FALSE(s.due());
  Plan p = s.run();
  EXPECT_EQ(p.status.canaryWeight, 20);
  EXPECT_EQ(p.status.failedChecks, 0);
  EXPECT_TRUE(p.actions.empty());
  EXPECT_FALSE(p.requeueAfter);
}

TEST(Planner, AnInvalidSpecTouchesNothing) {
  Step s;
  s.phase(Phase::Progressing, 20).at(seconds(60));
  PlanInput in{&s.canary,
               {{"spec.analysis.stepWeights[2]", "must be greater than the previous step"}},
               s.observed,
               std::nullopt,
               s.now};
  Plan p = plan(in);
  EXPECT_TRUE(p.actions.empty());
  EXPECT_FALSE(p.requeueAfter) << "terminal until the Canary changes";
  EXPECT_EQ(p.status.condition("Ready")->status, "False");
  EXPECT_EQ(p.status.condition("Ready")->reason, "InvalidSpec");
  EXPECT_EQ(p.status.condition("Ready")->message,
            "spec.analysis.stepWeights[2]: must be greater than the previous step");
  ASSERT_EQ(p.events.size(), 1u);
  EXPECT_TRUE(p.events[0].warning);
  // Reconciling the same invalid spec again records no second Event.
  s.canary.status = p.status;
  PlanInput again{&s.canary, in.specErrors, s.observed, std::nullopt, s.now};
  EXPECT_TRUE(plan(again).events.empty());
}

TEST(Planner, AMissingTargetIsReportedAndNothingIsTouched) {
  Step s;
  s.observed.target = {};
  Plan p = s.run();
  EXPECT_TRUE(p.actions.empty());
  EXPECT_EQ(p.status.condition("Ready")->reason, "TargetNotFound");
  EXPECT_EQ(p.status.condition("Ready")->message, "Deployment test/podinfo not found");
}

TEST(Planner, ARestartedOperatorResumesWithoutDoubleStepping) {
  // Status says weight 20 was set at 10:01; the operator restarts at 10:01:30 and must wait until 10:02.
  Step s;
  s.phase(Phase::Progressing, 20, "2026-11-22T10:01:00Z").at(seconds(90)).passing();
  EXPECT_FALSE(s.due());
  Plan p = s.run();
  EXPECT_EQ(p.status.canaryWeight, 20);
  EXPECT_EQ(p.requeueAfter, seconds(30));
  s.at(seconds(120));
  EXPECT_EQ(s.run().status.canaryWeight, 30);
}

TEST(Planner, IsIdempotent) {
  Step s;
  s.phase(Phase::Progressing, 10).at(seconds(30));
  Plan first = s.run();
  s.canary.status = first.status;
  Plan second = s.run();
  EXPECT_EQ(api::encodeStatus(first.status), api::encodeStatus(second.status));
  EXPECT_EQ(first.actions, second.actions);
}

}  // namespace
}  // namespace aviary::controller

namespace aviary::controller {
namespace {

// Issue 10 §7: a field whose feature is not built yet stops the Canary (a confirm-promotion gate must never
// become an automatic promotion); nothing is touched, whatever the phase.
TEST(Planner, FieldsOfLaterReleasesStopTheCanary) {
  for (Phase phase : {Phase::Succeeded, Phase::Progressing}) {
    Step s;
    s.phase(phase, phase == Phase::Progressing ? 20 : 0).at(seconds(60)).passing();
    s.canary.spec.unsupported = {"spec.analysis.webhooks", "spec.autoscalerRef"};
    Plan p = s.run();
    const api::Condition* readyCondition = p.status.condition("Ready");
    ASSERT_NE(readyCondition, nullptr);
    EXPECT_EQ(readyCondition->status, "False");
    EXPECT_EQ(readyCondition->reason, "NotSupportedYet");
    EXPECT_EQ(readyCondition->message,
              "not supported yet: spec.analysis.webhooks, spec.autoscalerRef; the Canary is stopped "
              "(nothing is changed) until these fields are removed");
    EXPECT_TRUE(p.actions.empty());
    EXPECT_EQ(p.status.canaryWeight, phase == Phase::Progressing ? 20 : 0);
    EXPECT_EQ(p.status.phase, phase);
    EXPECT_EQ(eventsOf(p), "W:Canary podinfo.test " + readyCondition->message + "\n");
    s.canary.status = p.status;
    EXPECT_TRUE(s.run().events.empty()) << "reported once";
  }
}

}  // namespace
}  // namespace aviary::controller

namespace aviary::controller {
namespace {

TEST(Planner, RevertOnDeletionAddsAndRemovesTheFinalizer) {
  Step s;
  s.phase(Phase::Succeeded);
  s.observed.target = ready("v1", 0);
  s.canary.spec.revertOnDeletion = true;
  Plan p = s.run();
  ASSERT_FALSE(p.actions.empty());
  EXPECT_EQ(p.actions.front(), (Action{ActionType::AddFinalizer, 0, 0, 0}));
  s.canary.finalizers = {kFinalizer};
  EXPECT_EQ(s.run().actions.front(), routes(0)) << "present: nothing to add";
  s.canary.spec.revertOnDeletion = false;
  EXPECT_EQ(s.run().actions.front(), (Action{ActionType::RemoveFinalizer, 0, 0, 0}));
}

TEST(Planner, DeletionRestoresTheTargetBeforeTakingTrafficFromThePrimary) {
  Step s;
  s.phase(Phase::Succeeded);
  s.canary.status.lastPromotedSpec = "v1";
  s.canary.deleting = true;
  s.canary.finalizers = {kFinalizer};
  s.observed.target = ready("v2", 0);  // scaled to zero, holding a failed revision
  s.observed.primary = ready("v1", 3);
  Plan p = s.run();
  EXPECT_EQ(p.status.phase, Phase::Terminating);
  EXPECT_EQ(p.actions, (std::vector<Action>{{ActionType::RestoreTarget, 3, 0, 0}}));
  EXPECT_EQ(p.requeueAfter, milliseconds(s.canary.spec.analysis.interval)) << "the target's events wake it";

  s.canary.status = p.status;
  s.observed.target = ready("v1", 3);  // restored to the promoted template and ready
  p = s.run();
  EXPECT_EQ(p.status.phase, Phase::Terminated);
  EXPECT_EQ(p.actions, (std::vector<Action>{{ActionType::RestoreTarget, 3, 0, 0},
                                            {ActionType::RevertRouting, 0, 0, 0},
                                            {ActionType::RemoveFinalizer, 0, 0, 0}}));
}

TEST(Planner, DeletionWithoutTheFinalizerDoesNothing) {
  Step s;
  s.phase(Phase::Progressing, 20);
  s.canary.deleting = true;
  Plan p = s.run();
  EXPECT_TRUE(p.actions.empty());
  EXPECT_TRUE(p.events.empty());
}

}  // namespace
}  // namespace aviary::controller

// Issue 10: the inputs replayed from public bug reports, one kind per test.
namespace aviary::controller {
namespace {

WorkloadState unready(const std::string& hash, int replicas = 2) {
  return {true, hash, replicas, false, false, configsChecksum({})};
}

bool hasEvent(const Plan& p, const std::string& text) {
  return eventsOf(p).find(text) != std::string::npos;
}

// §1: progressDeadlineSeconds 30, interval 10 s, a template that never becomes ready (the Deployment's own
// 600 s deadline never fires): still Progressing at 20 s, Failed at 30 s, within the 45 s promised.
TEST(Deadlines, ACanaryThatNeverBecomesReadyFailsAtTheCanarysDeadline) {
  Step s;
  s.canary.spec.progressDeadlineSeconds = 30;
  s.canary.spec.analysis.interval = seconds(10);
  s.phase(Phase::Initialized);
  s.observed.target = unready("v2", 0);
  Plan p = s.run();  // the new revision at t0
  ASSERT_EQ(p.status.phase, Phase::Progressing);
  s.canary.status = p.status;
  s.observed.target = unready("v2", 2);
  TimePoint t = kT0;
  while (t < kT0 + seconds(45) && s.canary.status.phase == Phase::Progressing) {
    s.now = t;
    p = s.run();
    if (t <= kT0 + seconds(20)) {
      EXPECT_EQ(p.status.phase, Phase::Progressing)
          << "at " << std::chrono::duration_cast<seconds>(t - kT0).count() << " s";
    }
    s.canary.status = p.status;
    if (p.status.phase == Phase::Progressing) t += p.requeueAfter.value_or(seconds(10));
  }
  EXPECT_EQ(s.canary.status.phase, Phase::Failed);
  EXPECT_LE(t - kT0, seconds(31)) << "noticed at the deadline, not at the next step";
  EXPECT_EQ(p.actions, (std::vector<Action>{routes(0), scale(0)}));
  EXPECT_TRUE(hasEvent(p, "not ready within the progress deadline (30s)")) << eventsOf(p);
}

TEST(Deadlines, SkipAnalysisWithAVersionThatNeverBecomesReadyFails) {
  Step s;
  s.canary.spec.skipAnalysis = true;
  s.canary.spec.progressDeadlineSeconds = 30;
  s.phase(Phase::Progressing, 0).at(seconds(29));
  s.observed.target = unready("v2");
  EXPECT_EQ(s.run().status.phase, Phase::Progressing);
  s.at(seconds(30));
  Plan p = s.run();
  EXPECT_EQ(p.status.phase, Phase::Failed);
  EXPECT_EQ(p.actions, (std::vector<Action>{routes(0), scale(0)})) << "never promoted";
}

TEST(Deadlines, APrimaryThatCannotFinishItsPromotionFailsWithoutTakingTheCanarysTraffic) {
  Step s;
  s.canary.spec.progressDeadlineSeconds = 60;
  s.phase(Phase::Promoting, 30).at(seconds(30));
  s.observed.target = ready("v2", 2);
  s.observed.primary = unready("v2");
  Plan p = s.run();
  EXPECT_EQ(p.status.phase, Phase::Promoting);
  EXPECT_EQ(p.actions, (std::vector<Action>{{ActionType::PromoteToPrimary, 2, 0, 0}, routes(30)}));
  EXPECT_EQ(p.requeueAfter, seconds(30)) << "at the deadline at the latest";

  s.at(seconds(60));
  p = s.run();
  EXPECT_EQ(p.status.phase, Phase::Failed);
  EXPECT_EQ(p.status.canaryWeight, 30);
  EXPECT_EQ(p.actions, (std::vector<Action>{{ActionType::PromoteToPrimary, 2, 0, 0}, routes(30)}))
      << "traffic is never moved to a primary that is not ready";
  EXPECT_EQ(p.status.condition("Promoted")->reason, "ProgressDeadlineExceeded");
  EXPECT_TRUE(hasEvent(p,
                       "W:Promotion of podinfo.test halted: podinfo-primary did not finish its rollout "
                       "within the progress deadline (60s)"))
      << eventsOf(p);

  s.canary.status = p.status;  // Failed, the canary still serving 30 %
  s.at(seconds(300));
  p = s.run();
  EXPECT_EQ(p.actions, (std::vector<Action>{routes(30)})) << "still waiting for the primary";
  s.observed.target = ready("v3", 2);  // a new revision waits: its analysis would route to the primary
  p = s.run();
  EXPECT_EQ(p.actions, (std::vector<Action>{routes(30)}));
  EXPECT_EQ(p.status.phase, Phase::Failed);
  s.observed.target = ready("v2", 2);
  s.observed.primary = ready("v2");
  p = s.run();
  EXPECT_EQ(p.actions, (std::vector<Action>{routes(0), scale(0)})) << "the primary serves: traffic moves";
  EXPECT_EQ(p.status.canaryWeight, 0);
  EXPECT_EQ(p.status.lastPromotedSpec, "v2");
  EXPECT_EQ(p.status.phase, Phase::Succeeded) << "the promotion finished, late";
  EXPECT_EQ(p.status.condition("Promoted")->status, "True");
}

TEST(Deadlines, RevertingDuringAHaltedPromotionGivesThePrimaryTheStableRevisionBack) {
  Step s;
  s.phase(Phase::Failed, 30);  // a promotion of v2 that missed its deadline
  s.canary.status.lastAppliedSpec = "v2";
  s.observed.primary = unready("v2");
  s.observed.target = ready("v1", 2);  // the user went back to the promoted v1
  Plan p = s.run();
  EXPECT_EQ(p.actions, (std::vector<Action>{{ActionType::PromoteToPrimary, 0, 0, 0}, routes(30)}))
      << "the primary gets v1 back; the canary (now v1 too) keeps its share meanwhile";
  s.observed.primary = ready("v1");
  p = s.run();
  EXPECT_EQ(p.actions, (std::vector<Action>{routes(0), scale(0)}));
  EXPECT_EQ(p.status.canaryWeight, 0);
  EXPECT_EQ(p.status.lastAppliedSpec, "v1");
  s.canary.status = p.status;
  s.observed.target = ready("v2", 0);
  EXPECT_EQ(s.run().status.phase, Phase::Progressing) << "v2 again is analysed again";
}

TEST(Deadlines, InitializationWaitsForThePrimaryToRunWhatTheTargetRuns) {
  Step s;
  s.canary.status.phase = Phase::Initializing;
  s.canary.status.lastTransitionTime = "2026-11-22T10:00:00Z";
  s.observed.target = ready("v2", 2);  // edited while the primary (v1) was starting
  s.observed.primary = ready("v1");
  EXPECT_EQ(s.run().status.phase, Phase::Initializing);
  s.observed.primary = ready("v2");
  EXPECT_EQ(s.run().status.phase, Phase::Initialized);
}

TEST(Deadlines, AnInitializationThatNeverFinishesFailsAndResumesWhenThePrimaryIsReady) {
  Step s;
  s.canary.spec.progressDeadlineSeconds = 30;
  s.observed.target = ready("v1", 2);
  s.observed.primary = {};
  Plan p = s.run();
  ASSERT_EQ(p.status.phase, Phase::Initializing);
  s.canary.status = p.status;
  s.observed.primary = unready("v1");
  s.at(seconds(29));
  EXPECT_EQ(s.run().status.phase, Phase::Initializing);
  EXPECT_LE(s.run().requeueAfter, milliseconds(1000));
  s.at(seconds(30));
  p = s.run();
  EXPECT_EQ(p.status.phase, Phase::Failed);
  EXPECT_EQ(p.status.condition("Promoted")->reason, "ProgressDeadlineExceeded");
  EXPECT_TRUE(hasEvent(p,
                       "W:Initialization of podinfo.test failed: podinfo-primary not ready within the "
                       "progress deadline (30s)"))
      << eventsOf(p);
  EXPECT_EQ(p.actions, (std::vector<Action>{kInitPrimary})) << "no Service selects unready pods";

  s.canary.status = p.status;
  s.at(seconds(90));
  p = s.run();
  EXPECT_EQ(p.status.phase, Phase::Failed) << "nothing promoted yet: it goes on initializing";
  EXPECT_TRUE(p.events.empty());
  s.observed.primary = ready("v1");
  p = s.run();
  EXPECT_EQ(p.status.phase, Phase::Initialized);
  EXPECT_EQ(p.status.lastPromotedSpec, "v1");
}

TEST(Deadlines, ARestoreOnDeletionThatNeverFinishesIsReportedAndKeepsTheTrafficOnThePrimary) {
  Step s;
  s.canary.spec.progressDeadlineSeconds = 30;
  s.phase(Phase::Terminating, 0, "2026-11-22T10:00:00Z").at(seconds(31));
  s.canary.deleting = true;
  s.canary.finalizers = {kFinalizer};
  s.observed.target = unready("v1", 3);
  s.observed.primary = ready("v1", 3);
  Plan p = s.run();
  EXPECT_EQ(p.status.phase, Phase::Terminating);
  EXPECT_EQ(p.actions, (std::vector<Action>{{ActionType::RestoreTarget, 3, 0, 0}})) << "no RevertRouting";
  EXPECT_EQ(p.status.condition("Ready")->reason, "ProgressDeadlineExceeded");
  EXPECT_TRUE(hasEvent(p, "restoring podinfo: not ready within the progress deadline (30s)")) << eventsOf(p);
  s.canary.status = p.status;
  EXPECT_TRUE(s.run().events.empty()) << "reported once";
}

// §2: after a failed release B, the user goes back to the promoted A (nothing to analyse), then applies
// B again: B is a new revision.
TEST(Revisions, RevertingToThePromotedRevisionThenReapplyingTheFailedOneAnalysesItAgain) {
  Step s;
  s.phase(Phase::Failed);
  s.canary.status.lastAppliedSpec = "v2";  // B failed
  s.observed.target = ready("v1", 0);      // back to A
  Plan p = s.run();
  EXPECT_EQ(p.status.phase, Phase::Failed);
  EXPECT_EQ(p.status.lastAppliedSpec, "v1");
  EXPECT_EQ(p.actions, (std::vector<Action>{routes(0)})) << "already at zero: nothing to scale";
  EXPECT_TRUE(p.events.empty()) << "no \"New revision\" Event";

  s.canary.status = p.status;
  s.observed.target = ready("v2", 0);  // B again
  p = s.run();
  EXPECT_EQ(p.status.phase, Phase::Progressing);
  EXPECT_EQ(p.actions, (std::vector<Action>{scale(2), routes(0)}));
  EXPECT_TRUE(hasEvent(p, "New revision detected")) << eventsOf(p);
}

TEST(Revisions, RevertingConfigsToWhatThePrimaryRunsIsNotANewRevision) {
  Step s;
  s.phase(Phase::Failed);
  s.observed.target = ready("v1", 0);
  s.canary.status.lastAppliedSpec = "v1";
  s.canary.status.trackedConfigs = {{"configmap/cfg", "bad"}};  // the failed release changed the config
  s.observed.trackedConfigs = {{"configmap/cfg", "good"}};      // reverted
  s.observed.primary.configsChecksum = configsChecksum(s.observed.trackedConfigs);
  Plan p = s.run();
  EXPECT_EQ(p.status.phase, Phase::Failed);
  EXPECT_EQ(p.status.trackedConfigs, s.observed.trackedConfigs);
  s.canary.status = p.status;
  s.observed.trackedConfigs = {{"configmap/cfg", "bad"}};
  EXPECT_EQ(s.run().status.phase, Phase::Progressing) << "the failed config again is analysed again";
}

// §3: the new revision changes replicas 2 → 4 (no autoscaler): the canary runs 4, the primary gets 4.
TEST(Replicas, TheCanaryAndThePromotedPrimaryRunTheReplicasTheUserAskedFor) {
  Step s;
  s.phase(Phase::Succeeded);
  s.observed.primary = ready("v1", 2);
  s.observed.target = ready("v2", 4);
  Plan p = s.run();
  EXPECT_EQ(p.actions, (std::vector<Action>{scale(4), routes(0)}));

  s.phase(Phase::Progressing, 30).at(seconds(60)).passing();
  p = s.run();
  EXPECT_EQ(p.actions, (std::vector<Action>{{ActionType::PromoteToPrimary, 4, 0, 0}, routes(30)}));
  s.canary.status = p.status;
  s.observed.primary = ready("v2", 2);  // the template is promoted, the replicas not yet
  EXPECT_EQ(s.run().status.phase, Phase::Promoting);
  s.observed.primary = ready("v2", 4);
  EXPECT_EQ(s.run().status.phase, Phase::Finalising);

  s.canary.spec.autoscalerRef =
      api::AutoscalerRef{{"autoscaling/v2", "HorizontalPodAutoscaler", "podinfo", ""}};
  s.phase(Phase::Progressing, 30).at(seconds(60)).passing();
  EXPECT_EQ(s.run().actions.front(), (Action{ActionType::PromoteToPrimary, 0, 0, 0}))
      << "an autoscaler owns the primary's count";
}

// §6: every condition carries the current generation, so `kubectl wait --for=condition=promoted` works
// after a spec edit.
TEST(Conditions, EveryConditionCarriesTheCurrentGeneration) {
  Step s;
  s.phase(Phase::Succeeded);
  s.observed.target = ready("v1", 0);
  s.canary.status.setCondition({"Promoted", "True", "Succeeded", "done", 1, "", ""}, "t");
  s.canary.status.setCondition({"Ready", "True", "Valid", "", 1, "", ""}, "t");
  s.canary.generation = 2;  // the interval was edited
  Plan p = s.run();
  for (const auto& c : p.status.conditions) EXPECT_EQ(c.observedGeneration, 2) << c.type;
  EXPECT_EQ(p.status.condition("Promoted")->status, "True");
  EXPECT_EQ(p.status.condition("Promoted")->lastTransitionTime, "t") << "no transition for a generation";
}

TEST(Conditions, ATargetWhosePodsCannotBeSelectedIsReportedOnceAndNothingIsTouched) {
  Step s;
  s.phase(Phase::Succeeded);
  s.observed.targetSelectorProblem =
      "the pod template of \"podinfo\" carries none of the selector labels "
      "(app, name, app.kubernetes.io/name)";
  Plan p = s.run();
  EXPECT_TRUE(p.actions.empty());
  EXPECT_FALSE(p.requeueAfter) << "no retry storm: the next Deployment change wakes it";
  EXPECT_EQ(p.status.condition("Ready")->status, "False");
  EXPECT_EQ(p.status.condition("Ready")->reason, "TargetNotSelectable");
  EXPECT_EQ(p.status.condition("Ready")->message, s.observed.targetSelectorProblem);
  ASSERT_EQ(p.events.size(), 1u);
  s.canary.status = p.status;
  EXPECT_TRUE(s.run().events.empty());
}

// §7: stepWeights with maxWeight is a valid Flagger manifest: 10 → 20 → 80, maxWeight ignored with a
// warning.
TEST(StepWeights, MaxWeightIsIgnoredWithAWarningWhenStepWeightsAreSet) {
  Step s;
  s.canary.spec.analysis.stepWeights = {10, 20, 80};
  s.canary.spec.analysis.maxWeight = 50;
  s.canary.spec.analysis.maxWeightSet = true;
  std::vector<int> weights;
  s.phase(Phase::Progressing, 0).at(seconds(60));
  Plan p = s.run();
  EXPECT_EQ(p.status.condition("Ready")->message,
            "spec.analysis.maxWeight (50) is ignored because spec.analysis.stepWeights is set");
  EXPECT_TRUE(hasEvent(p, "W:Canary podinfo.test: spec.analysis.maxWeight (50) is ignored")) << eventsOf(p);
  for (int w = 0; s.canary.status.phase == Phase::Progressing && weights.size() < 10;) {
    s.phase(Phase::Progressing, w).at(seconds(60)).passing();
    p = s.run();
    w = p.status.canaryWeight;
    if (p.status.phase == Phase::Progressing) weights.push_back(w);
    s.canary.status.phase = p.status.phase;
  }
  EXPECT_EQ(weights, (std::vector<int>{10, 20, 80}));
  EXPECT_EQ(s.canary.status.phase, Phase::Promoting);
}

}  // namespace
}  // namespace aviary::controller

// Issue 12 §3: Flagger's webhooks and their gates.
namespace aviary::controller {
namespace {

api::Webhook hook(const std::string& type, const std::string& name) {
  api::Webhook w;
  w.type = type;
  w.name = name;
  w.url = "http://gate.test/";
  return w;
}

std::vector<std::string> sorted(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  return v;
}

TEST(Webhooks, ConfirmRolloutWaitsWithNothingScaledUntilApproved) {
  Step s;
  s.canary.spec.analysis.webhooks = {hook("confirm-rollout", "approve"), hook("rollback", "abort")};
  s.phase(Phase::Succeeded);
  s.observed.target = ready("v2", 0);
  Plan p = s.run();
  EXPECT_EQ(p.status.phase, Phase::Waiting);
  EXPECT_EQ(p.status.lastAppliedSpec, "v2");
  EXPECT_EQ(p.actions, (std::vector<Action>{routes(0)})) << "nothing scaled up before the approval";
  ASSERT_TRUE(p.needs);
  EXPECT_EQ(p.needs->step, stepId(p.status)) << "asked at once, for the new status";
  EXPECT_EQ(sorted(p.needs->hooks), (std::vector<std::string>{"abort", "approve"}));

  s.canary.status = p.status;
  s.hooks = {{"approve", {false, "HTTP 403"}}, {"abort", {false, "HTTP 403"}}};
  s.at(seconds(1));  // the answers arrive
  p = s.run();
  EXPECT_EQ(p.status.phase, Phase::Waiting);
  EXPECT_NE(eventsOf(p).find("waiting for rollout approval (approve: HTTP 403)"), std::string::npos)
      << eventsOf(p);
  EXPECT_NE(p.status.lastTransitionTime, s.canary.status.lastTransitionTime) << "the next poll is a new step";

  s.canary.status = p.status;
  s.hooks.clear();
  s.at(seconds(31));
  p = s.run();
  EXPECT_FALSE(p.needs) << "between polls";
  s.at(seconds(61));
  p = s.run();
  ASSERT_TRUE(p.needs) << "an interval later it asks again";

  s.hooks = {{"approve", {true, ""}}, {"abort", {false, "HTTP 403"}}};
  p = s.run();
  EXPECT_EQ(p.status.phase, Phase::Progressing);
  EXPECT_EQ(p.actions, (std::vector<Action>{scale(2), routes(0)}));
}

TEST(Webhooks, ARollbackHookThatAnswers2xxRollsBackNow) {
  Step s;
  s.canary.spec.analysis.webhooks = {hook("rollback", "abort")};
  s.phase(Phase::Progressing, 20).at(seconds(60)).passing();
  s.hooks = {{"abort", {true, ""}}};
  Plan p = s.run();
  EXPECT_EQ(p.status.phase, Phase::Failed);
  EXPECT_NE(eventsOf(p).find("rollback hook abort approved"), std::string::npos) << eventsOf(p);
}

TEST(Webhooks, PreRolloutAndRolloutHooksCountAsFailedChecks) {
  Step s;
  s.canary.spec.analysis.webhooks = {hook("pre-rollout", "smoke"), hook("rollout", "load")};
  s.phase(Phase::Progressing, 0).at(seconds(60));
  Plan p = s.run();
  ASSERT_TRUE(p.needs);
  EXPECT_FALSE(p.needs->checks) << "no traffic yet: no checks";
  EXPECT_EQ(sorted(p.needs->hooks), (std::vector<std::string>{"load", "smoke"}));
  s.hooks = {{"smoke", {false, "HTTP 500"}}, {"load", {true, ""}}};
  p = s.run();
  EXPECT_EQ(p.status.canaryWeight, 0) << "the first step waits for the pre-rollout hook";
  EXPECT_EQ(p.status.failedChecks, 1);
  EXPECT_NE(eventsOf(p).find("pre-rollout hook smoke failed: HTTP 500"), std::string::npos) << eventsOf(p);

  s.phase(Phase::Progressing, 20).at(seconds(60)).passing();
  s.hooks = {{"load", {true, ""}}};
  p = s.run();
  EXPECT_EQ(p.status.canaryWeight, 30) << "pre-rollout hooks run only before the first traffic";
  s.hooks = {{"load", {false, "timed out"}}};
  s.canary.status.failedChecks = 1;
  p = s.run();
  EXPECT_EQ(p.status.phase, Phase::Failed) << "threshold 2 reached by a failed rollout hook";
}

TEST(Webhooks, ConfirmTrafficIncreaseHoldsTheWeightWithoutCountingAFailure) {
  Step s;
  s.canary.spec.analysis.webhooks = {hook("confirm-traffic-increase", "more")};
  s.phase(Phase::Progressing, 10).at(seconds(60)).passing();
  s.hooks = {{"more", {false, "HTTP 403"}}};
  Plan p = s.run();
  EXPECT_EQ(p.status.canaryWeight, 10);
  EXPECT_EQ(p.status.failedChecks, 0);
  EXPECT_EQ(p.status.phase, Phase::Progressing);
  EXPECT_EQ(p.actions, (std::vector<Action>{routes(10)}));
  s.hooks = {{"more", {true, ""}}};
  EXPECT_EQ(s.run().status.canaryWeight, 20);
}

TEST(Webhooks, ConfirmPromotionWaitsAtFullWeightWhileChecksGoOn) {
  Step s;
  s.canary.spec.analysis.webhooks = {hook("confirm-promotion", "ship-it"), hook("post-rollout", "done")};
  s.phase(Phase::Progressing, 30).at(seconds(60)).passing();
  s.hooks = {{"ship-it", {false, "HTTP 403"}}};
  Plan p = s.run();
  EXPECT_EQ(p.status.phase, Phase::WaitingPromotion);
  EXPECT_EQ(p.status.canaryWeight, 30) << "the real weight is reported";
  EXPECT_EQ(p.actions, (std::vector<Action>{routes(30)}));
  EXPECT_EQ(p.status.condition("Promoted")->reason, "WaitingPromotion");

  s.canary.status = p.status;
  s.at(seconds(120)).failing();  // checks keep running while waiting
  p = s.run();
  EXPECT_EQ(p.status.failedChecks, 1);
  EXPECT_EQ(p.status.phase, Phase::WaitingPromotion);

  s.canary.status = p.status;
  s.at(seconds(180)).passing();
  s.hooks = {{"ship-it", {true, ""}}};
  p = s.run();
  EXPECT_EQ(p.status.phase, Phase::Promoting);
  EXPECT_TRUE(p.notify.empty());

  s.canary.status = p.status;
  s.observed.primary = ready("v2");
  s.checks.reset();
  s.hooks.clear();
  p = s.run();  // Finalising
  s.canary.status = p.status;
  p = s.run();
  EXPECT_EQ(p.status.phase, Phase::Succeeded);
  EXPECT_EQ(p.notify, (std::vector<std::string>{"done"})) << "post-rollout after the promotion";
}

TEST(Webhooks, PostRolloutHooksAreCalledAfterARollback) {
  Step s;
  s.canary.spec.analysis.webhooks = {hook("post-rollout", "done")};
  s.canary.status.failedChecks = 1;
  s.phase(Phase::Progressing, 20).at(seconds(60)).failing();
  s.canary.status.failedChecks = 1;
  Plan p = s.run();
  EXPECT_EQ(p.status.phase, Phase::Failed);
  EXPECT_EQ(p.notify, (std::vector<std::string>{"done"}));
}

}  // namespace
}  // namespace aviary::controller
