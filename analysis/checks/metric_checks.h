// Runs a Canary's metric checks: the built-in request-success-rate (percent) and request-duration (p99,
// milliseconds) per provider, and inline queries, rendered with {{ namespace }}, {{ target }},
// {{ service }} and {{ interval }}, then compared with thresholdRange. Failure is fail-safe: no data or an
// unreachable server is a failed check whose message says why.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "analysis/checks/metric_provider.h"
#include "operator/api/canary.h"

namespace aviary::analysis {

struct CheckContext {
  std::string ns;        // the canary's namespace
  std::string target;    // the canary workload (targetRef.name)
  std::string service;   // the apex Service name
  std::string provider;  // istio, appmesh, traefik, kubernetes, …
};

// Replaces "{{ name }}" (spaces optional) with vars[name]; unknown names are left as they are.
std::string renderQuery(const std::string& text, const std::map<std::string, std::string>& vars);

// The built-in query for (provider, metric name); NotFound when the provider has no such built-in.
Result<std::string> builtInQuery(const std::string& provider, const std::string& metric);

api::MetricResult runCheck(const api::MetricCheck& check, const CheckContext& context,
                           const MetricProvider& metrics);
std::vector<api::MetricResult> runChecks(const std::vector<api::MetricCheck>& checks,
                                         const CheckContext& context, const MetricProvider& metrics);
// The same without blocking: every query is sent at once and `done` gets the results, in the order of
// `checks`, once the last one answered (on a provider's thread, or before this returns when none is
// asynchronous). Holds no reference to `checks` or `context` after it returns.
void runChecksAsync(const std::vector<api::MetricCheck>& checks, const CheckContext& context,
                    const MetricProvider& metrics, std::function<void(std::vector<api::MetricResult>)> done);

}  // namespace aviary::analysis
