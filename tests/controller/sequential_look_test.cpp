// Issue 13 in the planner: each step's counters feed the sequential tests kept in status.sequential; a
// rejection rolls back at once (not after `threshold` failed checks), a split mismatch holds the step, the
// first look is only a baseline, and another revision starts afresh (an operator restart resumes from
// status, which is all the state there is).
#include <gtest/gtest.h>

#include <cmath>

#include "analysis/statistics/sequential_analysis.h"
#include "operator/controller/planner.h"
#include "operator/controller/sequential_look.h"
#include "operator/controller/tracked_configs.h"
#include "operator/core/time_format.h"
#include "tests/support/canary_builder.h"

namespace aviary::controller {
namespace {

using api::Phase;
using std::chrono::seconds;

const TimePoint kNow = *parseRfc3339("2026-11-22T10:01:00Z");

CounterReadings counters(double canaryRequests, double canaryErrors, double primaryRequests,
                         double primaryErrors) {
  return {{{"canary.requests", canaryRequests},
           {"canary.errors", canaryErrors},
           {"primary.requests", primaryRequests},
           {"primary.errors", primaryErrors}},
          ""};
}

api::Canary canaryAt(int weight) {
  api::Canary c = testing::canaryForPlanner("test", "podinfo", 50, 5);
  c.spec.analysis.metrics.clear();
  c.spec.analysis.sequential = api::SequentialSpec{.errorRate = true};
  c.status.phase = Phase::Progressing;
  c.status.canaryWeight = weight;
  c.status.lastTransitionTime = "2026-11-22T10:00:00Z";
  c.status.lastAppliedSpec = "v2";
  c.status.lastPromotedSpec = "v1";
  return c;
}

Plan step(const api::Canary& c, const CounterReadings& read) {
  Observed observed;
  observed.target = {true, "v2", 2, true, false, configsChecksum({})};
  observed.primary = {true, "v1", 2, true, false, configsChecksum({})};
  Gathered g{stepId(c.status), {}, {}, read};
  return plan({&c, {}, observed, g, kNow});
}

TEST(SequentialLook, TheFirstStepIsABaselineAndAskedForEvenWithoutTraffic) {
  api::Canary c = canaryAt(0);
  Observed observed;
  observed.target = {true, "v2", 2, true, false, configsChecksum({})};
  observed.primary = {true, "v1", 2, true, false, configsChecksum({})};
  Plan asked = plan({&c, {}, observed, std::nullopt, kNow});
  ASSERT_TRUE(asked.needs);
  EXPECT_TRUE(asked.needs->counters);
  EXPECT_FALSE(asked.needs->checks) << "no traffic: no metric checks yet";

  Plan p = step(c, counters(0, 0, 60000, 300));
  ASSERT_TRUE(p.status.sequential);
  EXPECT_EQ(p.status.sequential->counters.at("primary.requests"), 60000);
  EXPECT_EQ(p.status.sequential->errorRate->message, "error rate: waiting for evidence (counting from now)");
  EXPECT_EQ(p.status.canaryWeight, 10);
}

TEST(SequentialLook, ARegressionRollsBackAtOnceWithItsEvidence) {
  api::Canary c = canaryAt(10);
  c.status.sequential = api::SequentialStatus{"v2", counters(0, 0, 60000, 300).counters};
  // One interval at 10%: 600 canary requests with 30 errors (5%), 5400 primary requests with 27 (0.5%).
  Plan p = step(c, counters(600, 30, 65400, 327));
  EXPECT_EQ(p.status.phase, Phase::Failed) << "threshold 5 would have needed five intervals";
  ASSERT_FALSE(p.events.empty());
  EXPECT_EQ(p.events.front().message.rfind("Rolling back podinfo.test: sequential analysis: canary error "
                                           "rate 10.00× primary (5.00% vs 0.50%), "
                                           "evidence ",
                                           0),
            0u)
      << p.events.front().message;
  EXPECT_EQ(p.status.sequential->errorRate->canaryBad, 30);
  EXPECT_GE(p.status.sequential->errorRate->evidence, 100);
}

TEST(SequentialLook, AHealthyBatchAdvancesAndKeepsTheStateForTheNextLook) {
  api::Canary c = canaryAt(10);
  c.status.sequential = api::SequentialStatus{"v2", counters(0, 0, 60000, 300).counters};
  Plan p = step(c, counters(600, 3, 65400, 327));
  EXPECT_EQ(p.status.phase, Phase::Progressing);
  EXPECT_EQ(p.status.canaryWeight, 20);
  ASSERT_TRUE(p.status.sequential->errorRate);
  EXPECT_EQ(p.status.sequential->errorRate->canaryRequests, 600);
  EXPECT_EQ(p.status.sequential->errorRate->logLikelihoodRatios.size(), 9u);
  EXPECT_LT(p.status.sequential->errorRate->evidence, 100);
  EXPECT_EQ(p.status.sequential->counters.at("canary.requests"), 600) << "the next batch starts here";
}

TEST(SequentialLook, AMeshThatSendsTheCanaryNothingHoldsTheStep) {
  api::Canary c = canaryAt(20);
  c.spec.analysis.sequential = api::SequentialSpec{.trafficSplit = true};
  c.status.sequential = api::SequentialStatus{"v2", counters(0, 0, 60000, 300).counters, 20};
  Plan p = step(c, counters(0, 0, 66000, 330));
  EXPECT_EQ(p.status.phase, Phase::Progressing);
  EXPECT_EQ(p.status.canaryWeight, 20) << "held";
  EXPECT_EQ(p.status.condition("Promoted")->reason, "TrafficSplitMismatch");
  EXPECT_EQ(
      p.status.condition("Promoted")
          ->message.rfind("traffic split: the mesh sends 0.0% to the canary, 20.0% expected (evidence ", 0),
      0u)
      << p.status.condition("Promoted")->message;
}

TEST(SequentialLook, AnotherRevisionOrUnreadableCountersAddNothing) {
  api::SequentialSpec spec{.errorRate = true};
  api::SequentialStatus old{"v1", counters(500, 50, 5000, 5).counters};
  old.errorRate = api::SequentialTestStatus{500, 50, 5000, 5, std::vector<double>(9, 3.0), {}, 900, "old"};
  auto look = sequentialLook(spec, old, "v2", counters(10, 0, 100, 0), 10);
  EXPECT_FALSE(look.rollback) << "v1's evidence is not v2's";
  EXPECT_EQ(look.status.revision, "v2");
  EXPECT_EQ(look.status.counters.at("canary.requests"), 10) << "a baseline";

  auto failed = sequentialLook(spec, look.status, "v2", {{}, "prometheus unreachable"}, 10);
  EXPECT_EQ(failed.status.counters, look.status.counters);
  EXPECT_EQ(failed.status.errorRate->message, "counters not read: prometheus unreachable");
}

}  // namespace
}  // namespace aviary::controller

namespace aviary::controller {
namespace {

// A restarted operator has only the status: the tests' state must survive the round trip through it.
TEST(SequentialLook, TheStateSurvivesTheStatusRoundTrip) {
  api::CanaryStatus status;
  status.sequential = api::SequentialStatus{"v2", {{"canary.requests", 600}, {"primary.errors", 327.5}}, 20};
  status.sequential->errorRate = api::SequentialTestStatus{600, 30, 5400, 27, {0.5, -1.25, 3}, {}, 42.5, "m"};
  status.sequential->trafficSplit = api::SequentialTestStatus{600, 0, 5400, 0, {1, 2}, {-3, -4}, 0.25, "s"};
  api::CanaryStatus back = api::decodeStatus(api::encodeStatus(status));
  ASSERT_TRUE(back.sequential);
  EXPECT_EQ(*back.sequential, *status.sequential);
}

}  // namespace
}  // namespace aviary::controller

namespace aviary::controller {
namespace {

// Review findings on the sequential tests (issue 13).
TEST(SequentialLook, ACounterThatWentDownSkipsTheBatchAndBecomesTheBaseline) {
  api::SequentialSpec spec{.errorRate = true};
  api::SequentialStatus before{"v2", counters(1000, 10, 9000, 45).counters, 10};
  before.errorRate = api::SequentialTestStatus{1000, 10, 9000, 45, std::vector<double>(9, 0.5), {}, 1.6, "m"};
  // A canary pod restarted: its sum of requests went down while errors went up.
  auto look = sequentialLook(spec, before, "v2", counters(400, 12, 9900, 50), 10);
  EXPECT_FALSE(look.rollback);
  EXPECT_EQ(look.status.errorRate->logLikelihoodRatios, std::vector<double>(9, 0.5)) << "nothing added";
  EXPECT_EQ(look.status.errorRate->message,
            "error rate: canary.requests went down (a pod restarted or a series left the sum): this batch is "
            "skipped");
  EXPECT_EQ(look.status.counters.at("canary.requests"), 400) << "the next batch starts here";
}

TEST(SequentialLook, ALatencyBoundThatIsNoBucketSaysSo) {
  api::SequentialSpec spec{.latencyMs = 300};
  api::SequentialStatus before{"v2", counters(100, 0, 900, 0).counters, 10};
  auto look = sequentialLook(spec, before, "v2", counters(200, 0, 1800, 0), 10);  // no "slow" keys read
  ASSERT_TRUE(look.status.latency);
  EXPECT_EQ(look.status.latency->message,
            "share of requests slower than 300 ms: canary.slow not read (is 300 ms a bucket boundary of "
            "the provider's duration histogram?)");
}

TEST(SequentialLook, ASplitMismatchCountsAsAFailedCheckAndANewReleaseStartsAfresh) {
  api::Canary c = canaryAt(20);
  c.spec.analysis.sequential = api::SequentialSpec{.trafficSplit = true};
  c.status.sequential = api::SequentialStatus{"v2", counters(0, 0, 60000, 300).counters, 20};
  Plan p = step(c, counters(0, 0, 66000, 330));
  EXPECT_EQ(p.status.failedChecks, 1) << "held, and counted toward the threshold";

  // The same revision released again later (after a rollback and a revert): its evidence starts at 1.
  api::Canary again = canaryAt(0);
  again.status.phase = Phase::Failed;
  again.status.sequential = api::SequentialStatus{"v2", counters(0, 0, 60000, 300).counters, 20};
  again.status.sequential->errorRate = api::SequentialTestStatus{600, 30, 5400, 27, {9, 9}, {}, 900, "old"};
  again.status.lastAppliedSpec = "v1";  // the user went back to v1 in between
  Observed observed;
  observed.target = {true, "v2", 2, true, false, configsChecksum({})};
  observed.primary = {true, "v1", 2, true, false, configsChecksum({})};
  Plan released = plan({&again, {}, observed, std::nullopt, kNow});
  EXPECT_EQ(released.status.phase, Phase::Progressing);
  EXPECT_FALSE(released.status.sequential) << "a new release's tests start from nothing";
}

TEST(SequentialLook, AStatusWithNullsOrHugeEvidenceDecodesAndEncodesFinitely) {
  api::Json status = {{"phase", "Failed"},
                      {"sequential",
                       {{"revision", "v2"},
                        {"counters", {{"canary.requests", 1}}},
                        {"errorRate", {{"evidence", nullptr}, {"canary", {{"requests", "x"}}}}}}}};
  api::CanaryStatus decoded = api::decodeStatus(status);
  ASSERT_TRUE(decoded.sequential && decoded.sequential->errorRate);
  EXPECT_EQ(decoded.sequential->errorRate->evidence, 1);
  analysis::BadRateState state;
  auto r = analysis::updateBadRate(state, {6000, 6000}, {54000, 270}, {});  // a canary answering only 5xx
  EXPECT_TRUE(std::isfinite(r.evidence));
  EXPECT_EQ(r.verdict, analysis::SequentialVerdict::Rejected);
  api::CanaryStatus s;
  s.sequential = api::SequentialStatus{"v2"};
  s.sequential->errorRate = api::SequentialTestStatus{.evidence = r.evidence};
  EXPECT_TRUE(api::encodeStatus(s)["sequential"]["errorRate"]["evidence"].is_number());
}

}  // namespace
}  // namespace aviary::controller
