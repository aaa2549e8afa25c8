// The cumulative counters the sequential tests read at each look (analysis/statistics/sequential_analysis.h),
// per arm: requests, errors (5xx) and, with a latency bound, requests slower than it. Raw counters, not
// rates: the difference of two looks is a batch (docs/analysis.md).
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "analysis/checks/metric_provider.h"
#include "operator/core/result.h"

namespace aviary::analysis {

// Keys: "canary.requests", "canary.errors", "canary.slow", and the same for "primary".
struct ArmWorkloads {
  std::string ns, canary, primary;  // the Deployments' names
};

// The PromQL of each counter for `provider`'s telemetry, or NotFound when Aviary has no counter queries
// for it yet (Istio has them). `latencyMs`: the bound, a histogram bucket boundary; no "slow" keys
// without one.
Result<std::map<std::string, std::string>> counterQueries(const std::string& provider,
                                                          const ArmWorkloads& arms,
                                                          std::optional<double> latencyMs);

// A latency bound as the queries and messages write it ("500", "2.5").
std::string latencyBoundText(double latencyMs);
// What to check when a "slow" counter was not read: the bound must be a bucket boundary of the
// provider's duration histogram.
std::string slowCounterHint(double latencyMs);

// Reads every counter at once; `done` gets them all, or the first error. A request or error counter with
// no series yet (an arm that has served nothing) reads 0; a "slow" one is left out (the bound may not be a
// bucket boundary: the test says so rather than reading 0 forever).
void readCountersAsync(const std::map<std::string, std::string>& queries,
                       std::shared_ptr<const MetricProvider> metrics,
                       std::function<void(Result<std::map<std::string, double>>)> done);

}  // namespace aviary::analysis
