// What the CRD schema cannot say: weights that increase and stay under maxWeight, a step configuration
// that can progress, a provider the operator knows, and a target the operator can release.
#include <algorithm>

#include "operator/api/canary.h"

namespace aviary::api {

std::vector<FieldError> validateCanary(const CanarySpec& spec,
                                       const std::vector<std::string>& knownProviders) {
  std::vector<FieldError> errors;
  const AnalysisSpec& a = spec.analysis;
  if (!spec.provider.empty() &&
      std::find(knownProviders.begin(), knownProviders.end(), spec.provider) == knownProviders.end()) {
    std::string known;
    for (const auto& p : knownProviders) known += (known.empty() ? "" : ", ") + p;
    errors.push_back({"spec.provider", "unknown provider \"" + spec.provider + "\" (known: " + known + ")"});
  }
  if (spec.targetRef.kind != "Deployment") {
    errors.push_back(
        {"spec.targetRef.kind", "\"" + spec.targetRef.kind + "\" is not supported yet; use Deployment"});
  }
  for (std::size_t i = 0; i < a.stepWeights.size(); ++i) {
    std::string path = "spec.analysis.stepWeights[" + std::to_string(i) + "]";
    if (a.stepWeights[i] <= 0) errors.push_back({path, "must be greater than 0"});
    if (i > 0 && a.stepWeights[i] <= a.stepWeights[i - 1]) {
      errors.push_back({path, "must be greater than the previous step"});
    }
    if (a.stepWeights[i] > a.maxWeight) {
      errors.push_back({path, "must not exceed maxWeight " + std::to_string(a.maxWeight)});
    }
  }
  bool weighted = !spec.skipAnalysis;
  if (weighted && a.stepWeight == 0 && a.stepWeights.empty()) {
    errors.push_back({"spec.analysis",
                      "needs stepWeight or stepWeights to make progress (iterations-based blue/green and A/B "
                      "are not supported yet)"});
  }
  if (weighted && a.stepWeight > a.maxWeight) {
    errors.push_back(
        {"spec.analysis.stepWeight", "must not exceed maxWeight " + std::to_string(a.maxWeight)});
  }
  if (a.interval.count() < 1000) {
    errors.push_back({"spec.analysis.interval", "must be at least 1s"});
  }
  for (std::size_t i = 0; i < a.metrics.size(); ++i) {
    const MetricCheck& m = a.metrics[i];
    std::string path = "spec.analysis.metrics[" + std::to_string(i) + "]";
    if (m.builtIn() && m.name != "request-success-rate" && m.name != "request-duration") {
      errors.push_back(
          {path + ".name", "\"" + m.name +
                               "\" is not a built-in check (request-success-rate, request-duration); "
                               "give it a templateRef"});
    }
    if (!m.range.min && !m.range.max) {
      errors.push_back({path + ".thresholdRange", "needs min or max"});
    }
    if (m.range.min && m.range.max && *m.range.min > *m.range.max) {
      errors.push_back({path + ".thresholdRange", "min must not exceed max"});
    }
  }
  return errors;
}

}  // namespace aviary::api
