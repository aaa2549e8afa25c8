// Issue 13's proof: a Monte Carlo comparison of Flagger-style threshold analysis with Aviary's sequential
// test on the same simulated traffic (docs/analysis.md has the table and the command). Not a timed test:
// it counts false rollbacks, missed regressions, the failed user requests a bad canary caused before its
// rollback, and the time to rollback.
//
//   build/bench/aviary-sequential-simulation [--runs 10000] [--seed 1]
//
// The rollout is Flagger's: interval 1 m, stepWeight 10, maxWeight 50, threshold 5; the threshold
// method checks the interval's success rate ≥ 99 % (or p99 ≤ 500 ms: the share of requests slower than
// 500 ms ≤ 1 %). The sequential method runs the same rollout and also rolls back as soon as the
// bad-request test (alpha 0.01) rejects, looking once per interval as the operator does.
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "analysis/statistics/sequential_analysis.h"

namespace {

using aviary::analysis::ArmCounts;
using aviary::analysis::BadRateState;
using aviary::analysis::SequentialVerdict;

struct Scenario {
  const char* name;
  double primaryBad, canaryBad;  // per-request probability of a bad request (error, or slower than 500 ms)
  double rps;                    // all users
  bool latency;                  // judged by p99 rather than success rate
};

struct Outcome {
  bool rolledBack = false;
  double minutes = 0;         // until the decision
  double failedByCanary = 0;  // bad canary requests beyond what the primary's rate would have given
};

constexpr int kStepWeight = 10, kMaxWeight = 50, kThreshold = 5;

Outcome rollout(const Scenario& s, bool sequential, std::mt19937_64& random) {
  Outcome o;
  BadRateState state;
  int failed = 0;
  int weight = kStepWeight;
  const double perInterval = s.rps * 60;
  for (int interval = 1; interval < 200; ++interval) {
    const auto total = static_cast<long long>(std::poisson_distribution<long long>(perInterval)(random));
    const auto canaryRequests = std::binomial_distribution<long long>(total, weight / 100.0)(random);
    const auto primaryRequests = total - canaryRequests;
    const auto canaryBad = std::binomial_distribution<long long>(canaryRequests, s.canaryBad)(random);
    const auto primaryBad = std::binomial_distribution<long long>(primaryRequests, s.primaryBad)(random);
    o.minutes = interval;
    o.failedByCanary += canaryBad - canaryRequests * s.primaryBad;
    if (sequential) {
      auto r =
          aviary::analysis::updateBadRate(state, {double(canaryRequests), double(canaryBad)},
                                          {double(primaryRequests), double(primaryBad)}, {.alpha = 0.01});
      if (r.verdict == SequentialVerdict::Rejected) {
        o.rolledBack = true;
        return o;
      }
    }
    // Flagger: no data fails the check; a failure holds the weight.
    const bool pass = canaryRequests > 0 && double(canaryBad) / canaryRequests <= 0.01;
    if (!pass) {
      if (++failed >= kThreshold) {
        o.rolledBack = true;
        return o;
      }
      continue;
    }
    if (weight >= kMaxWeight) return o;  // promoted
    weight = std::min(kMaxWeight, weight + kStepWeight);
  }
  return o;
}

struct Summary {
  double rollbackRate = 0, meanFailed = 0, meanMinutesToRollback = 0;
};

Summary simulate(const Scenario& s, bool sequential, int runs, std::mt19937_64& random) {
  Summary sum;
  int rollbacks = 0;
  double failed = 0, minutes = 0;
  for (int i = 0; i < runs; ++i) {
    Outcome o = rollout(s, sequential, random);
    failed += std::max(0.0, o.failedByCanary);
    if (o.rolledBack) {
      ++rollbacks;
      minutes += o.minutes;
    }
  }
  sum.rollbackRate = double(rollbacks) / runs;
  sum.meanFailed = failed / runs;
  sum.meanMinutesToRollback = rollbacks ? minutes / rollbacks : 0;
  return sum;
}

}  // namespace

int main(int argc, char** argv) {
  int runs = 10000;
  unsigned long seed = 1;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string flag = argv[i];
    if (flag == "--runs") runs = std::atoi(argv[i + 1]);
    if (flag == "--seed") seed = std::strtoul(argv[i + 1], nullptr, 10);
  }
  const std::vector<Scenario> scenarios = {
      {"healthy (0.5% errors, as the primary)", 0.005, 0.005, 100, false},
      {"0.5% → 1% errors", 0.005, 0.01, 100, false},
      {"0.5% → 2% errors", 0.005, 0.02, 100, false},
      {"0.5% → 5% errors", 0.005, 0.05, 100, false},
      {"0.5% → 30% errors", 0.005, 0.30, 100, false},
      {"latency: 0.5% → 3% slower than 500 ms", 0.005, 0.03, 100, true},
      {"low traffic (1 rps), healthy", 0.005, 0.005, 1, false},
      {"low traffic (1 rps), 0.5% → 5% errors", 0.005, 0.05, 1, false},
  };
  std::mt19937_64 random(seed);
  std::printf("%d runs per row, seed %lu; 100 requests/s unless noted; rollout 10%%→50%%, interval 1 m\n\n",
              runs, seed);
  std::printf(
      "| scenario | method | rollback rate | failed user requests caused by the canary (mean) | "
      "minutes to rollback (mean) |\n|---|---|---|---|---|\n");
  for (const auto& s : scenarios) {
    for (bool sequential : {false, true}) {
      Summary sum = simulate(s, sequential, runs, random);
      std::printf("| %s | %s | %.2f%% | %.1f | %.1f |\n", s.name,
                  sequential ? "sequential (α 0.01) + thresholds" : "thresholds (Flagger)",
                  sum.rollbackRate * 100, sum.meanFailed, sum.meanMinutesToRollback);
    }
  }
  return 0;
}
