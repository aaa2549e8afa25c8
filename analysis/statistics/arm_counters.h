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

// A provider's counters as PromQL templates (its descriptor in mesh-adapters/ holds them): `requests`
// and `errors` (5xx) with {{ namespace }} and {{ workload }} (a Deployment's name), and `slow`, the
// requests above a bucket bound, with {{ le }} too (the bound in the histogram's unit, as a regex that
// also matches "500.0").
struct CounterQueryTemplates {
  std::string requests, errors, slow;
  double lePerMs = 1;  // the histogram's unit per millisecond: 1 for milliseconds, 0.001 for seconds
};

// The PromQL of each counter, from `templates`, or NotFound naming `provider` when it has none.
// `latencyMs`: the bound, a histogram bucket boundary; no "slow" keys without one.
Result<std::map<std::string, std::string>> counterQueries(
    const std::optional<CounterQueryTemplates>& templates, const std::string& provider,
    const ArmWorkloads& arms, std::optional<double> latencyMs);

// A latency bound as the queries and messages write it ("500", "2.5").
std::string latencyBoundText(double latencyMs);
// What to check when a "slow" counter was not read: the bound must be a bucket boundary of the
// provider's duration histogram (named by the provider's `slow` template).
std::string slowCounterHint(double latencyMs);

// Reads every counter at once; `done` gets them all, or the first error. A request or error counter with
// no series yet (an arm that has served nothing) reads 0; a "slow" one is left out (the bound may not be a
// bucket boundary: the test says so rather than reading 0 forever).
void readCountersAsync(const std::map<std::string, std::string>& queries,
                       std::shared_ptr<const MetricProvider> metrics,
                       std::function<void(Result<std::map<std::string, double>>)> done);

}  // namespace aviary::analysis
