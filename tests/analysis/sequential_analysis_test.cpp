// Issue 13: the sequential tests. Exact values for small counts against an independent computation in
// rational arithmetic (tests/analysis/sequential_expected.py prints the table below), the edges (zero
// baseline, no traffic; counters that go down are tests/controller/sequential_look_test.cpp's), and the A/A
// property: over many seeded runs looked at after every batch, the false rollback rate stays under alpha.
#include <gtest/gtest.h>

#include <array>
#include <random>

#include "analysis/statistics/sequential_analysis.h"

namespace aviary::analysis {
namespace {

double badRateEvidence(const std::vector<std::array<double, 4>>& batches, double tolerance) {
  BadRateState state;
  SequentialResult r;
  for (const auto& [cn, cb, pn, pb] : batches)
    r = updateBadRate(state, {cn, cb}, {pn, pb}, {.alpha = 0.01, .tolerance = tolerance});
  return r.evidence;
}

TEST(SequentialAnalysis, EvidenceMatchesAnIndependentComputation) {
  // python3 tests/analysis/sequential_expected.py
  EXPECT_NEAR(badRateEvidence({{1000, 10, 1000, 5}}, 0), 1.08537961028, 1e-9);
  EXPECT_NEAR(badRateEvidence({{200, 3, 800, 0}}, 0), 31.5474950003, 1e-8);
  EXPECT_NEAR(badRateEvidence({{100, 2, 900, 1}, {500, 4, 500, 3}}, 0.1), 1.37231051945, 1e-9);
  EXPECT_NEAR(badRateEvidence({{500, 1, 500, 6}}, 0), 0.198582792598, 1e-10);
  SplitState none;
  auto r = updateSplit(none, 0, 1000, 0.2, 0.2, {.alpha = 0.001, .tolerance = 0.05});
  EXPECT_NEAR(r.evidence / 5.44711468793e+68, 1, 1e-8);
  SplitState close;
  EXPECT_NEAR(updateSplit(close, 220, 780, 0.2, 0.2, {.alpha = 0.001, .tolerance = 0.05}).evidence,
              1.42021385474e-05, 1e-15);
}

TEST(SequentialAnalysis, ErrorsOnACanaryWhosePrimaryHasNoneAreEvidenceAgainstIt) {
  BadRateState state;
  SequentialResult r;
  for (int batch = 0; batch < 3 && r.verdict != SequentialVerdict::Rejected; ++batch)
    r = updateBadRate(state, {200, 3}, {800, 0}, {});
  EXPECT_EQ(r.verdict, SequentialVerdict::Rejected) << r.message;
  EXPECT_EQ(r.message.rfind("canary error rate 1.50%, primary 0, evidence ", 0), 0u) << r.message;
}

TEST(SequentialAnalysis, NoTrafficOrNoBadRequestIsWaitingNeverAPass) {
  BadRateState state;
  auto r = updateBadRate(state, {0, 0}, {1000, 4}, {});
  EXPECT_EQ(r.verdict, SequentialVerdict::WaitingForEvidence) << r.message;
  r = updateBadRate(state, {300, 0}, {700, 0}, {});
  EXPECT_EQ(r.verdict, SequentialVerdict::WaitingForEvidence);
  EXPECT_EQ(r.message, "error rate: waiting for evidence (300 canary requests, 4 bad requests so far)");
  EXPECT_EQ(r.evidence, 1) << "a batch without canary traffic carries no information";
  r = updateBadRate(state, {300, 1}, {700, 2}, {});
  EXPECT_EQ(r.verdict, SequentialVerdict::NoEvidence);
  EXPECT_EQ(r.message.find("waiting"), std::string::npos) << r.message;
}

TEST(SequentialAnalysis, AClearRegressionIsRejectedWithItsEffect) {
  BadRateState state;
  SequentialResult r;
  int batches = 0;
  while (r.verdict != SequentialVerdict::Rejected && batches < 20) {
    r = updateBadRate(state, {100, 5}, {900, 4.5}, {.alpha = 0.01});
    ++batches;
  }
  EXPECT_EQ(r.verdict, SequentialVerdict::Rejected);
  EXPECT_LE(batches, 3) << "5% against 0.5% at a 10% share";
  EXPECT_EQ(r.message.rfind("canary error rate 10.00× primary (5.00% vs 0.50%), evidence ", 0), 0u)
      << r.message;
  EXPECT_NE(r.message.find(" ≥ 100"), std::string::npos) << r.message;
}

TEST(SequentialAnalysis, TheSplitTestSeesAMeshThatIgnoresTheWeights) {
  SplitState state;
  auto r = updateSplit(state, 0, 1000, 0.2, 0.2, {});
  EXPECT_EQ(r.verdict, SequentialVerdict::Rejected);
  EXPECT_EQ(r.message.rfind("the mesh sends 0.0% to the canary, 20.0% expected (evidence ", 0), 0u)
      << r.message;
  SplitState honest;
  for (int i = 0; i < 50; ++i) r = updateSplit(honest, 230, 770, 0.2, 0.2, {});
  EXPECT_NE(r.verdict, SequentialVerdict::Rejected) << "within the tolerance: " << r.message;
  SplitState stepping;
  r = updateSplit(stepping, 120, 880, 0.0, 0.25, {});
  EXPECT_NE(r.verdict, SequentialVerdict::Rejected)
      << "the batch after a step may hold either weight: " << r.message;
  EXPECT_EQ(r.message.rfind("the mesh sends 12.0% to the canary, 0.0%–25.0% expected", 0), 0u) << r.message;
}

// The A/A property: canary and primary share one error rate; the weight steps 10 → 50; the test is looked
// at after every batch. Ville's inequality bounds the rollback rate by alpha.
TEST(SequentialAnalysis, AARunsRollBackAtMostAlphaOfTheTime) {
  std::mt19937_64 random(20261130);
  const double alpha = 0.05;
  int rollbacks = 0;
  const int runs = 2000;
  for (int run = 0; run < runs; ++run) {
    BadRateState state;
    bool rejected = false;
    for (int step = 1; step <= 5 && !rejected; ++step) {
      for (int batch = 0; batch < 6 && !rejected; ++batch) {  // 6 looks per step
        const int perBatch = 1000;
        const int canaryRequests = std::binomial_distribution<int>(perBatch, step * 0.1)(random);
        const int primaryRequests = perBatch - canaryRequests;
        const double errorRate = 0.005;
        ArmCounts canary{double(canaryRequests),
                         double(std::binomial_distribution<int>(canaryRequests, errorRate)(random))};
        ArmCounts primary{double(primaryRequests),
                          double(std::binomial_distribution<int>(primaryRequests, errorRate)(random))};
        rejected =
            updateBadRate(state, canary, primary, {.alpha = alpha}).verdict == SequentialVerdict::Rejected;
      }
    }
    rollbacks += rejected ? 1 : 0;
  }
  const double rate = double(rollbacks) / runs;
  RecordProperty("false_rollback_rate", std::to_string(rate));
  // The bound is alpha; the margin covers the sampling error of 2000 runs (a binomial sd of 0.5%).
  EXPECT_LE(rate, alpha + 0.015) << rollbacks << " of " << runs;
}

}  // namespace
}  // namespace aviary::analysis
