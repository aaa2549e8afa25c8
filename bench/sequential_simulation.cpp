// Issue 13's proof: a Monte Carlo comparison of Flagger-style threshold analysis with Aviary's sequential
// test on the same simulated traffic (docs/analysis.md has the table and the command). It drives the real
// planner (operator/controller/planner.h) step by step with simulated per-arm counts; only the cluster and
// Prometheus are simulated. Not a timed test: it counts false rollbacks, missed regressions, the failed
// user requests a bad canary caused before its rollback, and the time to rollback.
//
//   build/bench/aviary-sequential-simulation [--runs 10000] [--seed 1]
//
// The rollout is Flagger's: interval 1 m, stepWeight 10, maxWeight 50, threshold 5, and the
// request-success-rate check (≥ 99 % over the interval; no data fails it). The sequential method is the
// same Canary with spec.analysis.sequential {errorRate: true, alpha: 0.01}; a latency regression is
// simulated as its share of requests slower than the bound, judged by the same machinery.
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "operator/controller/planner.h"
#include "operator/controller/tracked_configs.h"
#include "operator/core/time_format.h"
#include "tests/support/canary_builder.h"

namespace {

using namespace aviary;
using api::Phase;

struct Scenario {
  const char* name;
  double primaryBad, canaryBad;  // per-request probability of a bad request
  double rps;                    // all users
};

struct Outcome {
  bool rolledBack = false;
  int minutes = 0;            // until the decision
  double failedByCanary = 0;  // bad canary requests beyond what the primary's rate would have given
};

api::Canary canary(bool sequential) {
  api::Canary c = testing::canaryForPlanner("sim", "app", 50, 5);
  if (sequential) c.spec.analysis.sequential = api::SequentialSpec{.errorRate = true, .alpha = 0.01};
  c.status.phase = Phase::Progressing;
  c.status.lastAppliedSpec = "v2";
  c.status.lastPromotedSpec = "v1";
  return c;
}

Outcome rollout(const Scenario& s, bool sequential, std::mt19937_64& random) {
  api::Canary c = canary(sequential);
  controller::TimePoint now = *parseRfc3339("2026-11-30T00:00:00Z");
  c.status.lastTransitionTime = formatRfc3339(now);
  controller::Observed observed;
  observed.target = {true, "v2", 2, true, false, controller::configsChecksum({})};
  observed.primary = {true, "v1", 2, true, false, controller::configsChecksum({})};
  double canaryRequests = 0, canaryBad = 0, primaryRequests = 1e6, primaryBad = 1e6 * s.primaryBad;
  Outcome o;
  for (int minute = 1; minute < 200; ++minute) {
    // One interval of traffic at the weight in effect, then the planner's step.
    const int weight = c.status.canaryWeight;
    const auto total = std::poisson_distribution<long long>(s.rps * 60)(random);
    const auto toCanary = std::binomial_distribution<long long>(total, weight / 100.0)(random);
    const auto badOnCanary = std::binomial_distribution<long long>(toCanary, s.canaryBad)(random);
    const auto badOnPrimary = std::binomial_distribution<long long>(total - toCanary, s.primaryBad)(random);
    canaryRequests += toCanary;
    canaryBad += badOnCanary;
    primaryRequests += total - toCanary;
    primaryBad += badOnPrimary;
    o.failedByCanary += badOnCanary - toCanary * s.primaryBad;
    now += std::chrono::minutes(1);
    o.minutes = minute;

    api::MetricResult check{"request-success-rate", std::nullopt, {99, std::nullopt}, false, "no values"};
    if (toCanary > 0) {
      check.value = 100.0 * (1 - double(badOnCanary) / toCanary);
      check.passed = *check.value >= 99;
    }
    controller::Gathered gathered{controller::stepId(c.status), {check}, {}, std::nullopt};
    if (sequential)
      gathered.counters = controller::CounterReadings{{{"canary.requests", canaryRequests},
                                                       {"canary.errors", canaryBad},
                                                       {"primary.requests", primaryRequests},
                                                       {"primary.errors", primaryBad}},
                                                      ""};
    controller::Plan p = controller::plan({&c, {}, observed, gathered, now});
    c.status = p.status;
    if (c.status.phase == Phase::Failed) {
      o.rolledBack = true;
      return o;
    }
    if (c.status.phase == Phase::Promoting || c.status.phase == Phase::WaitingPromotion) return o;
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
      {"healthy (0.5% errors, as the primary)", 0.005, 0.005, 100},
      {"0.5% → 1% errors", 0.005, 0.01, 100},
      {"0.5% → 2% errors", 0.005, 0.02, 100},
      {"0.5% → 5% errors", 0.005, 0.05, 100},
      {"0.5% → 30% errors", 0.005, 0.30, 100},
      {"latency: 0.5% → 3% slower than the bound", 0.005, 0.03, 100},
      {"low traffic (1 rps), healthy", 0.005, 0.005, 1},
      {"low traffic (1 rps), 0.5% → 5% errors", 0.005, 0.05, 1},
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
