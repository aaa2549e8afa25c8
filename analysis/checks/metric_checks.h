// Runs a Canary's metric checks: the built-in request-success-rate (percent) and request-duration (p99,
// milliseconds) per provider, inline queries and MetricTemplate queries, rendered with the template
// variables (analysis/templates/query_template.h), then compared with thresholdRange. Failure is
// fail-safe: no data, an unknown template variable or an unreachable server is a failed check whose
// message says why.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "analysis/checks/metric_provider.h"
#include "analysis/templates/metric_template.h"
#include "analysis/templates/query_template.h"
#include "operator/api/canary.h"

namespace aviary::analysis {

struct CheckContext {
  std::string ns;        // the canary's namespace
  std::string target;    // the canary workload (targetRef.name)
  std::string service;   // the apex Service name
  std::string provider;  // istio, appmesh, traefik, kubernetes, … (for messages)
  std::string name;      // the canary's name ({{ name }})
  // The provider's built-in checks' PromQL templates by metric name (mesh::ProviderDescriptor).
  std::map<std::string, std::string> builtInQueries;
};

// The variables `check`'s query is rendered with: the context's, its interval and its templateVariables.
QueryVariables queryVariables(const api::MetricCheck& check, const CheckContext& context);

// The context's built-in query for `metric`; NotFound when its provider has no such built-in.
Result<std::string> builtInQuery(const CheckContext& context, const std::string& metric);

// Runs a built-in or inline check. A check with a templateRef fails ("its MetricTemplate was not
// resolved") here: the reconciler resolves the template and calls runTemplateCheck / prepareTemplateCheck.
api::MetricResult runCheck(const api::MetricCheck& check, const CheckContext& context,
                           const MetricProvider& metrics);
// Runs `check` with the query of `metricTemplate` (what check.templateRef resolved to) against `metrics`,
// a client made from prometheusOptionsFor(metricTemplate, …) (analysis/templates/template_provider.h).
api::MetricResult runTemplateCheck(const api::MetricCheck& check, const MetricTemplate& metricTemplate,
                                   const CheckContext& context, const MetricProvider& metrics);
std::vector<api::MetricResult> runChecks(const std::vector<api::MetricCheck>& checks,
                                         const CheckContext& context, const MetricProvider& metrics);

// A check ready to run without blocking: its (unrendered) query, where the query came from for messages,
// and the provider that answers it — or the failed result when it cannot run (an unresolved template).
struct PreparedCheck {
  api::MetricCheck check;
  std::string query;
  std::string origin;  // "metric template \"ns/name\": ", or empty
  std::shared_ptr<const MetricProvider> metrics;
  std::optional<api::MetricResult> failed;
};
// A check that cannot run: it fails with the message "<check name>: <why>".
PreparedCheck failedCheck(const api::MetricCheck& check, const std::string& why);
// A built-in or inline check on `metrics` (a templateRef gives a failed one: resolve it first).
PreparedCheck prepareCheck(const api::MetricCheck& check, const CheckContext& context,
                           std::shared_ptr<const MetricProvider> metrics);
// A check on the query of `metricTemplate`, answered by `metrics` (a client for the template's provider).
PreparedCheck prepareTemplateCheck(const api::MetricCheck& check, const MetricTemplate& metricTemplate,
                                   std::shared_ptr<const MetricProvider> metrics);

// Runs the checks without blocking: every query is sent at once and `done` gets the results, in the order
// of `checks`, once the last one answered (on a provider's thread, or before this returns when none is
// asynchronous). The providers are kept alive until their answers arrive.
void runChecksAsync(std::vector<PreparedCheck> checks, const CheckContext& context,
                    std::function<void(std::vector<api::MetricResult>)> done);

}  // namespace aviary::analysis
