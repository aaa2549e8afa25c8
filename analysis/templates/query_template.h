// Renders a metric query: Flagger's template variables {{ name }}, {{ namespace }}, {{ target }},
// {{ service }}, {{ interval }} and {{ variables.KEY }} (spaces inside the braces optional), the same for
// MetricTemplate queries, inline queries and the built-in ones. Nothing else of Go's text/template is
// understood (no pipelines, functions, conditionals, ranges, comments or {{- trim markers}}): anything
// else between braces is an error that names it, never text passed through to Prometheus.
#pragma once

#include <map>
#include <string>

#include "operator/core/result.h"

namespace aviary::analysis {

// The values a query may name (Flagger's MetricTemplateModel without ingress and route: Aviary has no
// ingressRef or routeRef yet).
struct QueryVariables {
  std::string name;      // the Canary's name
  std::string ns;        // the Canary's namespace ({{ namespace }})
  std::string target;    // spec.targetRef.name
  std::string service;   // the apex Service: spec.service.name, else the target's name
  std::string interval;  // the metric's interval as written ("1m")
  std::map<std::string, std::string> variables;  // metrics[].templateVariables ({{ variables.KEY }})
};

// `query` with every {{ … }} replaced by its value; the result is not scanned again. Errors (Invalid): an
// unknown variable or a variables.KEY that templateVariables lacks (the message names it, and the known
// keys, never a value), a "{{" without "}}".
[[nodiscard]] Result<std::string> renderTemplateQuery(const std::string& query, const QueryVariables& vars);

}  // namespace aviary::analysis
