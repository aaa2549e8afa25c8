#include "analysis/checks/metric_checks.h"

#include <cmath>
#include <cstdio>

#include "operator/core/text_safety.h"

namespace aviary::analysis {
namespace {

std::string number(double v) {
  char buf[32];
  if (v == std::floor(v) && std::abs(v) < 1e15) {
    std::snprintf(buf, sizeof buf, "%.0f", v);
  } else {
    std::snprintf(buf, sizeof buf, "%.2f", v);
  }
  return buf;
}

// Renders `query`, asks `metrics` and compares the answer with the check's thresholdRange. `origin`
// ("metric template \"ns/name\": ") says in a rendering error where the query came from.
api::MetricResult evaluate(const api::MetricCheck& check, const std::string& query, const std::string& origin,
                           const CheckContext& context, const MetricProvider& metrics) {
  api::MetricResult r{check.name, std::nullopt, check.range, false, ""};
  auto rendered = renderTemplateQuery(query, queryVariables(check, context));
  if (!rendered) {
    r.message = check.name + ": " + origin + rendered.error().message;
    return r;
  }
  auto value = metrics.queryValue(*rendered);
  if (!value) {
    r.message = check.name + ": " + value.error().message;
    return r;
  }
  r.value = *value;
  if (check.range.min && *value < *check.range.min) {
    r.message = check.name + " " + number(*value) + " < " + number(*check.range.min);
  } else if (check.range.max && *value > *check.range.max) {
    r.message = check.name + " " + number(*value) + " > " + number(*check.range.max);
  } else {
    r.passed = true;
    r.message = check.name + " " + number(*value) + " within range";
  }
  return r;
}

}  // namespace

QueryVariables queryVariables(const api::MetricCheck& check, const CheckContext& context) {
  return QueryVariables{context.name,    context.ns,         context.target,
                        context.service, check.intervalText, check.templateVariables};
}

api::MetricResult runCheck(const api::MetricCheck& check, const CheckContext& context,
                           const MetricProvider& metrics) {
  if (!check.query.empty()) return evaluate(check, check.query, "", context, metrics);
  api::MetricResult failed{check.name, std::nullopt, check.range, false, ""};
  if (check.templateRef) {
    failed.message = check.name + ": MetricTemplate references are not supported yet";
    return failed;
  }
  auto builtIn = builtInQuery(context.provider, check.name);
  if (!builtIn) {
    failed.message = check.name + ": " + builtIn.error().message;
    return failed;
  }
  return evaluate(check, *builtIn, "", context, metrics);
}

api::MetricResult runTemplateCheck(const api::MetricCheck& check, const MetricTemplate& metricTemplate,
                                   const CheckContext& context, const MetricProvider& metrics) {
  return evaluate(check, metricTemplate.query,
                  "metric template " + quoteForMessage(metricTemplate.key()) + ": ", context, metrics);
}

std::vector<api::MetricResult> runChecks(const std::vector<api::MetricCheck>& checks,
                                         const CheckContext& context, const MetricProvider& metrics) {
  std::vector<api::MetricResult> out;
  for (const auto& c : checks) out.push_back(runCheck(c, context, metrics));
  return out;
}

}  // namespace aviary::analysis
