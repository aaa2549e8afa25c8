#include "operator/kube/rate_limiter.h"

#include <gtest/gtest.h>

namespace aviary::kube {
namespace {

using namespace std::chrono_literals;

TEST(TokenBucket, BurstThenSteadyRate) {
  TokenBucket bucket(10, 3);  // 10 per second, burst 3
  auto t0 = TokenBucket::Clock::now();
  EXPECT_EQ(bucket.reserve(t0), 0ns);
  EXPECT_EQ(bucket.reserve(t0), 0ns);
  EXPECT_EQ(bucket.reserve(t0), 0ns);
  // The fourth and fifth wait for 100 ms and 200 ms of refill, in order.
  auto w4 = bucket.reserve(t0);
  auto w5 = bucket.reserve(t0);
  EXPECT_NEAR(std::chrono::duration<double>(w4).count(), 0.1, 1e-3);
  EXPECT_NEAR(std::chrono::duration<double>(w5).count(), 0.2, 1e-3);
  // After a long pause the bucket is full again, but never above the burst.
  auto later = t0 + 10s;
  EXPECT_EQ(bucket.reserve(later), 0ns);
  EXPECT_EQ(bucket.reserve(later), 0ns);
  EXPECT_EQ(bucket.reserve(later), 0ns);
  EXPECT_GT(bucket.reserve(later), 0ns);
}

TEST(TokenBucket, ZeroQpsDisablesLimiting) {
  TokenBucket bucket(0, 1);
  auto t0 = TokenBucket::Clock::now();
  for (int i = 0; i < 1000; ++i) ASSERT_EQ(bucket.reserve(t0), 0ns);
}

TEST(TokenBucket, AcquireSleeps) {
  TokenBucket bucket(20, 1);
  auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 5; ++i) bucket.acquire();  // 1 free, then 4 × 50 ms
  EXPECT_GE(std::chrono::steady_clock::now() - start, 190ms);
}

}  // namespace
}  // namespace aviary::kube
