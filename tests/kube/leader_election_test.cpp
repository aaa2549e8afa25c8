// Issue 14: leader election on a Lease, against the sandbox API server (the real control plane runs the
// same code in tests/e2e/canary_e2e_test.cpp, AStandbyTakesOverWhenTheLeaderDies). One winner while the
// holder renews; a holder that stops renewing is replaced only after the Lease's duration, measured on the
// candidate's own clock; a release hands over at once; writes race on resourceVersion.
#include <gtest/gtest.h>

#include "operator/kube/leader_election.h"
#include "tests/support/eventually.h"
#include "tests/support/sandbox_with_crds.h"

namespace aviary::kube {
namespace {

using std::chrono::seconds;

class LeaderElection : public testing::SandboxWithCrds {
 protected:
  LeaderElection() : SandboxWithCrds(std::string(AVIARY_SOURCE_DIR) + "/crds") {}
  void SetUp() override {
    SandboxWithCrds::SetUp();
    ASSERT_TRUE(client_->create(
        resources::kNamespaces, "",
        {{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", "aviary-system"}}}}));
  }
  LeaderElectionOptions options(const std::string& identity) {
    LeaderElectionOptions o;
    o.ns = "aviary-system";
    o.identity = identity;
    return o;
  }
  std::string holder() {
    auto lease = client_->get(kLeases, "aviary-system", "aviary-leader");
    return lease ? lease->value("/spec/holderIdentity"_json_pointer, std::string()) : "";
  }
};

TEST_F(LeaderElection, OneWinnerUntilTheHolderStopsRenewingForTheLeaseDuration) {
  LeaderElector a(*client_, options("a")), b(*client_, options("b"));
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_TRUE(a.tryAcquireOrRenew(t0));
  EXPECT_FALSE(b.tryAcquireOrRenew(t0));
  EXPECT_EQ(holder(), "a");
  EXPECT_TRUE(a.tryAcquireOrRenew(t0 + seconds(10))) << "the holder renews";
  // b saw the record change at +10 s (its clock): the renewed Lease runs 15 s from then.
  EXPECT_FALSE(b.tryAcquireOrRenew(t0 + seconds(10)));
  EXPECT_FALSE(b.tryAcquireOrRenew(t0 + seconds(24)));
  EXPECT_TRUE(b.tryAcquireOrRenew(t0 + seconds(26))) << "a stopped renewing 16 s ago";
  EXPECT_EQ(holder(), "b");
  auto lease = client_->get(kLeases, "aviary-system", "aviary-leader");
  EXPECT_EQ(lease->value("/spec/leaseTransitions"_json_pointer, -1), 1);
  EXPECT_EQ(lease->value("/spec/leaseDurationSeconds"_json_pointer, -1), 15);
  EXPECT_FALSE(a.tryAcquireOrRenew(t0 + seconds(27))) << "the old holder lost it";
}

TEST_F(LeaderElection, ALeaderThatStopsReleasesTheLeaseForTheStandby) {
  LeaderElector a(*client_, options("a"));
  std::atomic<bool> started{false}, lost{false};
  a.run([&] { started = true; }, [&] { lost = true; });
  ASSERT_TRUE(aviary::testing::eventually([&] { return started.load(); }));
  EXPECT_TRUE(a.leading());
  LeaderElector b(*client_, options("b"));
  EXPECT_FALSE(b.tryAcquireOrRenew(std::chrono::steady_clock::now()));
  a.stop();
  EXPECT_FALSE(lost) << "stopping is not losing";
  EXPECT_EQ(holder(), "");
  EXPECT_TRUE(b.tryAcquireOrRenew(std::chrono::steady_clock::now())) << "released: no wait for the duration";
}

TEST_F(LeaderElection, ALeaderThatCannotRenewGivesUpBeforeAnotherMayTakeOver) {
  LeaderElectionOptions o = options("a");
  o.leaseDuration = std::chrono::milliseconds(3000);
  o.renewDeadline = std::chrono::milliseconds(1000);
  o.retryPeriod = std::chrono::milliseconds(200);
  LeaderElector a(*client_, o);
  std::atomic<bool> started{false}, lost{false}, mayWriteWhenLost{true};
  EXPECT_FALSE(a.mayWrite()) << "a candidate writes nothing";
  a.run([&] { started = true; },
        [&] {
          mayWriteWhenLost = a.mayWrite();
          lost = true;
        });
  ASSERT_TRUE(aviary::testing::eventually([&] { return started.load(); }));
  EXPECT_TRUE(a.mayWrite());
  // Someone else takes the Lease (an administrator, or a candidate whose clock said it expired): every
  // renewal now fails, and within the renew deadline the leader stops leading.
  auto lease = *client_->get(kLeases, "aviary-system", "aviary-leader");
  lease["spec"]["holderIdentity"] = "intruder";
  lease["spec"]["renewTime"] = "2099-01-01T00:00:00.000000Z";
  ASSERT_TRUE(client_->update(kLeases, "aviary-system", lease));
  EXPECT_TRUE(aviary::testing::eventually([&] { return lost.load(); }, seconds(5)));
  EXPECT_FALSE(a.leading());
  EXPECT_FALSE(mayWriteWhenLost) << "writes were refused before the loss was reported";
  EXPECT_FALSE(a.mayWrite());
}

}  // namespace
}  // namespace aviary::kube
