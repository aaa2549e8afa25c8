#include "operator/controller/step_schedule.h"

#include <gtest/gtest.h>

namespace aviary::controller {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using Clock = StepSchedule::Clock;

TEST(StepSchedule, AStepIsAsLateAsItsDecisionCameAfterTheTimeThePreviousOneSetForIt) {
  StepSchedule steps;
  const Clock::time_point t0{};
  EXPECT_FALSE(steps.decided("ns/a", true, t0, seconds(10))) << "a release's first step is not measured";
  EXPECT_EQ(steps.decided("ns/a", false, t0 + milliseconds(10'300), seconds(10)), milliseconds(300));
  EXPECT_EQ(steps.decided("ns/a", false, t0 + milliseconds(20'000), seconds(10)), Clock::duration::zero())
      << "early (a gate's answer came first) counts as on time";
  EXPECT_FALSE(steps.decided("ns/b", false, t0 + seconds(5), seconds(10)))
      << "another Canary's due time is its own; none known yet (the first step after a restart)";
  EXPECT_EQ(steps.decided("ns/b", false, t0 + seconds(20), seconds(10)), seconds(5));
}

TEST(StepSchedule, NoDueTimeIsKeptWithoutARequeueOrAfterTheCanaryIsGone) {
  StepSchedule steps;
  const Clock::time_point t0{};
  steps.decided("ns/a", true, t0, std::nullopt);
  EXPECT_FALSE(steps.decided("ns/a", false, t0 + seconds(30), seconds(10)))
      << "a step that set no requeue set no due time";
  steps.forget("ns/a");
  EXPECT_FALSE(steps.decided("ns/a", false, t0 + seconds(60), seconds(10)));
  EXPECT_EQ(steps.decided("ns/a", false, t0 + seconds(71), seconds(10)), seconds(1));
}

}  // namespace
}  // namespace aviary::controller
