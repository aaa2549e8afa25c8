#include "analysis/templates/template_ref.h"

#include "operator/core/text_safety.h"

namespace aviary::analysis {
namespace {

std::string refusal(const api::ObjectRef& ref, const std::string& canaryNs) {
  return "metric template " + quoteForMessage(ref.ns + "/" + ref.name) +
         " is outside the Canary's namespace " + quoteForMessage(canaryNs) +
         ": cross-namespace references are refused (--no-cross-namespace-refs)";
}

}  // namespace

Result<std::string> resolveTemplateNamespace(const api::ObjectRef& ref, const std::string& canaryNs,
                                             const TemplateRefPolicy& policy) {
  if (ref.ns.empty() || ref.ns == canaryNs) return canaryNs;
  if (!policy.crossNamespaceRefs) return Error{ErrorCode::Forbidden, refusal(ref, canaryNs)};
  return ref.ns;
}

std::vector<api::FieldError> templateRefErrors(const api::CanarySpec& spec, const std::string& canaryNs,
                                               const TemplateRefPolicy& policy) {
  std::vector<api::FieldError> errors;
  const auto& metrics = spec.analysis.metrics;
  for (std::size_t i = 0; i < metrics.size(); ++i) {
    if (!metrics[i].templateRef) continue;
    auto ns = resolveTemplateNamespace(*metrics[i].templateRef, canaryNs, policy);
    if (!ns) {
      errors.push_back(
          {"spec.analysis.metrics[" + std::to_string(i) + "].templateRef.namespace", ns.error().message});
    }
  }
  return errors;
}

}  // namespace aviary::analysis
