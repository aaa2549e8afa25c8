#include "operator/core/result.h"

#include <gtest/gtest.h>

#include <memory>

namespace aviary {
namespace {

Result<int> parsePositive(int v) {
  if (v <= 0) return makeError(ErrorCode::Invalid, "must be positive");
  return v;
}

TEST(Result, HoldsValueOrError) {
  auto good = parsePositive(3);
  ASSERT_TRUE(good.ok());
  EXPECT_EQ(*good, 3);
  auto bad = parsePositive(-1);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, ErrorCode::Invalid);
  EXPECT_EQ(bad.error().message, "must be positive");
}

TEST(Result, MovesOnlyValues) {
  Result<std::unique_ptr<int>> r = std::make_unique<int>(7);
  ASSERT_TRUE(r);
  std::unique_ptr<int> taken = std::move(r).value();
  EXPECT_EQ(*taken, 7);
}

TEST(Result, TakeErrorForwardsIntoAnotherResultType) {
  auto bad = parsePositive(0);
  Result<std::string> forwarded = bad.takeError();
  ASSERT_FALSE(forwarded.ok());
  EXPECT_EQ(forwarded.error().code, ErrorCode::Invalid);
}

TEST(Result, VoidStatus) {
  Status ok;
  EXPECT_TRUE(ok.ok());
  Status failed = makeError(ErrorCode::Timeout, "slow");
  EXPECT_FALSE(failed.ok());
  EXPECT_EQ(failed.error().code, ErrorCode::Timeout);
}

TEST(Error, DescribeAndTransience) {
  Error e = makeError(ErrorCode::NotFound, "deployments.apps \"x\" not found");
  e.httpStatus = 404;
  EXPECT_EQ(e.describe(), "NotFound (HTTP 404): deployments.apps \"x\" not found");
  EXPECT_FALSE(e.isTransient());
  EXPECT_TRUE(makeError(ErrorCode::Unavailable, "").isTransient());
  EXPECT_TRUE(makeError(ErrorCode::TooManyRequests, "").isTransient());
  EXPECT_FALSE(makeError(ErrorCode::Conflict, "").isTransient());
}

}  // namespace
}  // namespace aviary
