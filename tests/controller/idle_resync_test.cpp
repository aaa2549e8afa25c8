// The idle resync's per-Canary spread (reconciler.h: idleResyncOf).
#include <gtest/gtest.h>

#include <set>

#include "operator/controller/reconciler.h"

namespace aviary::controller {
namespace {

using std::chrono::milliseconds;

TEST(IdleResync, EachCanaryKeepsItsOwnPeriodWithinATenthAboveTheOperators) {
  const milliseconds period = std::chrono::minutes(5);
  std::set<long long> periods;
  for (int i = 0; i < 1000; ++i) {
    std::string key = "team-" + std::to_string(i % 10) + "/podinfo-" + std::to_string(i);
    milliseconds p = idleResyncOf(key, period);
    EXPECT_GE(p, period) << key;
    EXPECT_LE(p, period + period / 10) << key;
    EXPECT_EQ(p, idleResyncOf(key, period)) << "the same key, the same period: " << key;
    periods.insert(p.count());
  }
  // 1,000 Canaries released together spread over the 30 s: not one second (about 970 distinct values
  // are expected of 30,001 possible; 900 leaves room for any reasonable hash).
  EXPECT_GT(periods.size(), 900u);
  EXPECT_GT(*periods.rbegin() - *periods.begin(), 25'000);
}

TEST(IdleResync, AShortPeriodStillWorks) {
  EXPECT_EQ(idleResyncOf("ns/a", milliseconds(0)), milliseconds(0));
  milliseconds p = idleResyncOf("ns/a", milliseconds(1000));
  EXPECT_GE(p, milliseconds(1000));
  EXPECT_LE(p, milliseconds(1100));
}

}  // namespace
}  // namespace aviary::controller
