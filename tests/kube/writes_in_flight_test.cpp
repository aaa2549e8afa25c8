// What the watch reports about an object while it is being written is held for the writer, who tells its
// own echo from someone else's change by the version its write made.
#include <gtest/gtest.h>

#include "operator/kube/writes_in_flight.h"

namespace aviary::kube {
namespace {

TEST(WritesInFlight, OnlyReportsDuringAWriteAreHeld) {
  WritesInFlight writes;
  EXPECT_FALSE(writes.hold("ns/a", "5")) << "no write in flight: the watch's report is not held";
  auto writing = writes.begin("ns/a");
  EXPECT_TRUE(writes.hold("ns/a", "6"));
  EXPECT_FALSE(writes.hold("ns/b", "6")) << "another object";
  SeenDuringWrite seen = writing.end();
  EXPECT_EQ(seen.versions, std::vector<std::string>{"6"});
  EXPECT_FALSE(seen.othersChanged("6")) << "the write's own echo";
  EXPECT_TRUE(seen.includes("6"));
  EXPECT_TRUE(seen.othersChanged("7")) << "a version the write did not make";
  EXPECT_TRUE(seen.othersChanged("")) << "the write failed: whatever was seen is someone else's";
  EXPECT_FALSE(writes.hold("ns/a", "8")) << "the write ended";
}

TEST(WritesInFlight, ADeletionSeenIsAlwaysSomeoneElses) {
  WritesInFlight writes;
  auto writing = writes.begin("ns/a");
  EXPECT_TRUE(writes.hold("ns/a", ""));
  EXPECT_TRUE(writing.end().othersChanged("6"));
}

TEST(WritesInFlight, OverlappingWritersEachJudgeEverythingSeen) {
  WritesInFlight writes;
  auto one = writes.begin("ns/a");
  auto two = writes.begin("ns/a");
  EXPECT_TRUE(writes.hold("ns/a", "6"));
  const SeenDuringWrite first = one.end();
  EXPECT_TRUE(writes.hold("ns/a", "7")) << "the second writer is still in flight";
  const SeenDuringWrite second = two.end();
  EXPECT_EQ(first.versions, std::vector<std::string>{"6"});
  EXPECT_EQ(second.versions, (std::vector<std::string>{"6", "7"}));
  EXPECT_FALSE(writes.hold("ns/a", "8")) << "both ended";
}

}  // namespace
}  // namespace aviary::kube
