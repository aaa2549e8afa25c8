#include "operator/kube/backoff.h"

#include <gtest/gtest.h>

namespace aviary::kube {
namespace {

using namespace std::chrono_literals;

TEST(JitteredBackoff, GrowsWithinJitterAndCaps) {
  JitteredBackoff b(800ms, 30s, 2.0, 0.2, /*seed=*/42);
  double expected = 800;
  for (int i = 0; i < 10; ++i) {
    auto d = b.next();
    double base = std::min(expected, 30000.0);
    EXPECT_GE(d.count(), base * 0.8 - 1) << i;
    EXPECT_LE(d.count(), std::min(base * 1.2, 30000.0) + 1) << i;
    expected *= 2;
  }
  b.reset();
  EXPECT_LE(b.next().count(), 960);
}

TEST(JitteredBackoff, SameSeedSameSequence) {
  JitteredBackoff a(100ms, 10s, 2.0, 0.5, 7), b(100ms, 10s, 2.0, 0.5, 7);
  for (int i = 0; i < 8; ++i) EXPECT_EQ(a.next(), b.next());
}

TEST(ItemExponentialBackoff, DoublesPerFailureUpToMax) {
  ItemExponentialBackoff b(5ms, 1s);
  EXPECT_EQ(b.when("a"), 5ms);
  EXPECT_EQ(b.when("a"), 10ms);
  EXPECT_EQ(b.when("a"), 20ms);
  EXPECT_EQ(b.when("other"), 5ms);
  for (int i = 0; i < 100; ++i) (void)b.when("a");
  EXPECT_EQ(b.when("a"), 1s);
  b.forget("a");
  EXPECT_EQ(b.failures("a"), 0);
  EXPECT_EQ(b.when("a"), 5ms);
}

}  // namespace
}  // namespace aviary::kube
