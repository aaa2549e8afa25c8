// Sequential analysis of a canary against its primary (issue 13; docs/analysis.md): anytime-valid tests
// that may be looked at after every batch of counts without inflating false alarms.
//   - Bad requests (errors, or requests slower than a latency bound): is the canary's bad-request rate more
//     than (1 + tolerance) times the primary's? Each bad request falls on the canary with a probability
//     fixed by the arms' request counts under the null; an OddsMixture over "ψ times the null odds"
//     (ψ > 1) measures the evidence. It can only reject (roll back): it never passes a canary, and too
//     little traffic is "waiting for evidence".
//   - Traffic split (sample-ratio mismatch): does the canary receive the share of requests the router was
//     told, within a tolerance? Two one-sided mixtures (more, and less, than expected).
// Counts are the increases of cumulative counters between two looks (operator/controller/sequential_look
// turns readings into batches).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "analysis/statistics/odds_mixture.h"

namespace aviary::analysis {

// Requests and bad requests of one arm (counts).
struct ArmCounts {
  double requests = 0, bad = 0;
};

enum class SequentialVerdict {
  WaitingForEvidence,  // no bad request yet in a batch where both arms served: nothing can be said
  NoEvidence,          // evidence below 1/alpha: the canary is not shown worse (not a pass)
  Rejected,            // evidence ≥ 1/alpha: the canary is worse (or the split is wrong)
};

struct SequentialResult {
  SequentialVerdict verdict = SequentialVerdict::WaitingForEvidence;
  double evidence = 1;   // the mixture's likelihood ratio
  double threshold = 0;  // 1/alpha
  std::string message;   // "canary error rate 2.1× primary (1.05% vs 0.50%), evidence 340 ≥ 100"
};

// --- bad-request rates ------------------------------------------------------------------------------
struct BadRateTestOptions {
  double alpha = 0.01;              // false rollback probability bound, over the whole analysis
  double tolerance = 0;             // relative: the null is canary rate ≤ primary rate × (1 + tolerance)
  std::string what = "error rate";  // for messages
};

struct BadRateState {
  ArmCounts canary, primary;  // totals since the analysis began
  OddsMixture::State logLikelihoodRatios;
};

// The alternatives' odds multipliers (ψ > 1), shared by every bad-rate test.
const OddsMixture& badRateMixture();

// Adds one batch (the arms' increases) and judges the totals.
SequentialResult updateBadRate(BadRateState& state, const ArmCounts& canary, const ArmCounts& primary,
                               const BadRateTestOptions& options);
// Judges the state as it is (no new batch).
SequentialResult judgeBadRate(const BadRateState& state, const BadRateTestOptions& options);

// --- traffic split -------------------------------------------------------------------------------------
struct SplitTestOptions {
  double alpha = 0.001;
  // Absolute share (0–1) the observed share may differ from the expected one by under the null: covers
  // the mesh applying a weight change later than the counters saw it.
  double tolerance = 0.05;
};

struct SplitState {
  ArmCounts canary, primary;  // requests only (bad unused)
  OddsMixture::State more, less;
};

const OddsMixture& splitMoreMixture();
const OddsMixture& splitLessMixture();

// Adds one batch of requests served while the canary's weight was between `expectedLow` and
// `expectedHigh` (shares, 0–1): a batch that follows a step starts with requests the counters saw before
// the router applied the new weight, so its share may be anywhere between the two weights.
SequentialResult updateSplit(SplitState& state, double canaryRequests, double primaryRequests,
                             double expectedLow, double expectedHigh, const SplitTestOptions& options);

}  // namespace aviary::analysis
