// Why a check query returned no values. Flagger users' most frequent complaint is "no values found" with
// no hint; Aviary asks Prometheus a few cheap follow-up questions about each vector selector of the query
// (promql_selectors.h) and says what is wrong:
//   - the metric has no series at all ("no series named istio_requests_total");
//   - series exist but none has the value a label matcher asks for, naming the values that do exist,
//     nearest first ("no series of istio_requests_total has destination_workload=~"podinf"; values
//     found: podinfo-primary, podinfo");
//   - the series exist but saw no requests in the query's window ("… did not increase in the last 1m:
//     no requests reached them");
//   - the selectors have data but the query's arithmetic gives NaN (a division by zero).
// Each follow-up is an instant query of count(...), count by (label)(...), max(count_over_time(...)) or
// sum(increase(...)) over one selector; at most kMaxDiagnosedSelectors selectors are examined and all
// queries are sent at once.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <vector>

#include "analysis/prometheus/prometheus_client.h"

namespace aviary::analysis {

inline constexpr std::size_t kMaxDiagnosedSelectors = 4;
inline constexpr std::size_t kMaxListedLabelValues = 5;

// Sends one instant query; `done` is called once (on any thread).
using InstantQuery =
    std::function<void(const std::string& promql, std::function<void(Result<PromQueryResult>)> done)>;

// Explains why `promql` answered no values; `done` gets one sentence, or "" when the follow-ups found
// nothing wrong (or could not run: their errors are not reported, the check has already failed). The
// query itself is asked again with the follow-ups, to tell NaN (0/0) from no series.
void diagnoseNoValues(const std::string& promql, InstantQuery query, std::function<void(std::string)> done);

// `values` ordered by closeness to `wanted`, at most `limit`, each once: first those that contain `wanted` or
// are part of it, then by Levenshtein distance, ties by name.
std::vector<std::string> nearestValues(std::vector<std::string> values, const std::string& wanted,
                                       std::size_t limit);

}  // namespace aviary::analysis
