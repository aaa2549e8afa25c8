// Where a Canary's metrics[].templateRef points: a MetricTemplate in the Canary's namespace unless the
// reference names another, and another only when the operator allows cross-namespace references (Flagger's
// -no-cross-namespace-refs, Aviary's --no-cross-namespace-refs). The template's Secret is read from the
// template's own namespace. Pure functions, no I/O.
#pragma once

#include <string>
#include <vector>

#include "operator/api/canary.h"
#include "operator/core/result.h"

namespace aviary::analysis {

struct TemplateRefPolicy {
  bool crossNamespaceRefs = true;  // false: --no-cross-namespace-refs
};

// The namespace of the MetricTemplate `ref` names: ref.ns, or `canaryNs` when that is empty. Errors
// (Forbidden): another namespace while the policy forbids it; the message names the reference and the
// flag.
[[nodiscard]] Result<std::string> resolveTemplateNamespace(const api::ObjectRef& ref,
                                                           const std::string& canaryNs,
                                                           const TemplateRefPolicy& policy);

// Every metrics[].templateRef of `spec` that the policy refuses, with its field path
// ("spec.analysis.metrics[2].templateRef.namespace"), for validation before any analysis runs.
std::vector<api::FieldError> templateRefErrors(const api::CanarySpec& spec, const std::string& canaryNs,
                                               const TemplateRefPolicy& policy);

}  // namespace aviary::analysis
