#include "operator/controller/routes_memo.h"

#include <gtest/gtest.h>

namespace aviary::controller {
namespace {

using std::chrono::seconds;
using Clock = RoutesMemo::Clock;

RoutedState routed(int canaryWeight, long long generation = 1, std::string uid = "u1") {
  RoutedState s{std::move(uid), generation, {"app", "podinfo"}, {}};
  s.intent.primaryWeight = 100 - canaryWeight;
  s.intent.canaryWeight = canaryWeight;
  return s;
}

struct RoutesMemoTest : ::testing::Test {
  Clock::time_point now{};
  RoutesMemo memo{seconds(30), [this] { return now; }};

  // Runs "the router" for `state` when the memo asks for it; true when it ran.
  bool pass(const std::string& key, const RoutedState& state) {
    auto ticket = memo.check(key, state);
    if (!ticket) return false;
    memo.remember(key, std::move(*ticket));
    return true;
  }
};

TEST_F(RoutesMemoTest, ThePassAfterASuccessfulOneWithTheSameRoutingSkipsTheRouter) {
  EXPECT_TRUE(pass("ns/a", routed(10))) << "nothing is known of a Canary's routes at first";
  EXPECT_FALSE(pass("ns/a", routed(10)));
  EXPECT_TRUE(pass("ns/b", routed(10))) << "each Canary its own";
  EXPECT_TRUE(pass("ns/a", routed(20))) << "the next step's weight";
  EXPECT_FALSE(pass("ns/a", routed(20)));
  EXPECT_TRUE(pass("ns/a", routed(20, 2))) << "a spec change (generation)";
  EXPECT_TRUE(pass("ns/a", routed(20, 2, "u2"))) << "a Canary recreated under the same name";
  auto mirrored = routed(20, 2, "u2");
  mirrored.intent.mirrorPercent = 50;
  EXPECT_TRUE(pass("ns/a", mirrored));
  auto relabelled = mirrored;
  relabelled.pods.value = "podinfo-v2";
  EXPECT_TRUE(pass("ns/a", relabelled)) << "another pod selector";
}

TEST_F(RoutesMemoTest, AFailedRouterIsAskedAgain) {
  ASSERT_TRUE(memo.check("ns/a", routed(10)));  // the router failed: nothing remembered
  EXPECT_TRUE(pass("ns/a", routed(10)));
  EXPECT_FALSE(pass("ns/a", routed(10)));
}

TEST_F(RoutesMemoTest, AnotherClientsChangeMakesTheNextPassRoute) {
  ASSERT_TRUE(pass("ns/a", routed(10)));
  memo.invalidate("ns/a");
  EXPECT_TRUE(pass("ns/a", routed(10)));
  EXPECT_FALSE(pass("ns/a", routed(10)));
  memo.invalidate("ns/unknown");  // no Canary of that key was routed: nothing happens
  EXPECT_FALSE(pass("ns/a", routed(10)));
}

TEST_F(RoutesMemoTest, AChangeReportedWhileTheRouterRunsVoidsItsTicket) {
  auto ticket = memo.check("ns/a", routed(10));
  ASSERT_TRUE(ticket);
  memo.invalidate("ns/a");  // the router may have read the object before the edit
  memo.remember("ns/a", std::move(*ticket));
  EXPECT_TRUE(pass("ns/a", routed(10))) << "the edit is looked at";

  ticket = memo.check("ns/b", routed(10));
  ASSERT_TRUE(ticket);
  memo.forget("ns/b");  // deleted meanwhile
  ASSERT_TRUE(memo.check("ns/b", routed(10))) << "a new entry; its ticket is not remembered";
  memo.remember("ns/b", std::move(*ticket));
  EXPECT_TRUE(memo.check("ns/b", routed(10))) << "a ticket taken before forget is not remembered";
}

TEST_F(RoutesMemoTest, AMemoLastsAtMostMaxAgeFromBeforeTheRoutersReads) {
  auto ticket = memo.check("ns/a", routed(10));
  ASSERT_TRUE(ticket);
  now += seconds(5);  // the router took 5 s
  memo.remember("ns/a", std::move(*ticket));
  now += seconds(24);
  EXPECT_FALSE(pass("ns/a", routed(10)));
  now += seconds(1);  // 30 s after the ticket
  EXPECT_TRUE(pass("ns/a", routed(10)));
  EXPECT_FALSE(pass("ns/a", routed(10)));
}

}  // namespace
}  // namespace aviary::controller
