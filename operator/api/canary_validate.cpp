// What the CRD schema cannot say: weights that increase (and a stepWeight under maxWeight), a step
// configuration that can progress, a provider the operator knows, and a target the operator can release.
#include <algorithm>
#include <set>
#include <string_view>

#include "operator/api/canary.h"
#include "operator/api/names.h"
#include "operator/core/text_safety.h"

namespace aviary::api {

namespace {

// Names Aviary derives by adding a suffix must stay valid names of their kind.
void checkNames(const CanarySpec& spec, std::vector<FieldError>& errors) {
  auto subdomain = [&](const std::string& path, const std::string& name, const std::string& suffix) {
    if (auto p = dns1123SubdomainProblem(name)) return errors.push_back({path, *p});
    if (name.size() + suffix.size() > kMaxSubdomainLength) {
      errors.push_back({path, "must be at most " + std::to_string(kMaxSubdomainLength - suffix.size()) +
                                  " characters, so that \"<name>" + suffix + "\" is a valid name"});
    }
  };
  subdomain("spec.targetRef.name", spec.targetRef.name, "-primary");
  if (spec.autoscalerRef) subdomain("spec.autoscalerRef.name", spec.autoscalerRef->name, "-primary");
  // The apex Service is service.name, or the target's name; "-primary" and "-canary" Services follow it.
  const bool named = !spec.service.name.empty();
  const std::string apex = named ? spec.service.name : spec.targetRef.name;
  const std::string apexPath = named ? "spec.service.name" : "spec.targetRef.name";
  if (auto p = dns1035LabelProblem(apex)) {
    errors.push_back(
        {apexPath, (named ? "" : "names the apex Service when spec.service.name is unset: ") + *p});
  } else if (const std::string longest = apex + "-primary"; longest.size() > kMaxLabelLength) {
    // Name the generated name itself: the user sees what Aviary would have to create, and the limit.
    errors.push_back({apexPath, "the generated Service name " + quoteForMessage(longest) + " has " +
                                    std::to_string(longest.size()) + " characters, over the limit of " +
                                    std::to_string(kMaxLabelLength) + " (use at most " +
                                    std::to_string(kMaxLabelLength - 8) + " characters)"});
  }
  const AnalysisSpec& a = spec.analysis;
  for (std::size_t i = 0; i < a.metrics.size(); ++i) {
    if (!a.metrics[i].templateRef) continue;
    const ObjectRef& ref = *a.metrics[i].templateRef;
    std::string path = "spec.analysis.metrics[" + std::to_string(i) + "].templateRef";
    if (auto p = dns1123SubdomainProblem(ref.name)) errors.push_back({path + ".name", *p});
    if (!ref.ns.empty()) {
      if (auto p = dns1123LabelProblem(ref.ns)) errors.push_back({path + ".namespace", *p});
    }
  }
  for (std::size_t i = 0; i < a.alerts.size(); ++i) {
    const ObjectRef& ref = a.alerts[i].providerRef;
    std::string path = "spec.analysis.alerts[" + std::to_string(i) + "].providerRef";
    if (auto p = dns1123SubdomainProblem(ref.name)) errors.push_back({path + ".name", *p});
    if (!ref.ns.empty()) {
      if (auto p = dns1123LabelProblem(ref.ns)) errors.push_back({path + ".namespace", *p});
    }
  }
}

// Keys Aviary itself writes on the objects it manages ("aviary.io/original-spec" is what revertOnDeletion
// restores; the managed-by label marks what it may delete): a tenant setting them through
// spec.service.{apex,primary,canary} could make the operator write or delete what it chose.
void checkReservedMetadata(const ServiceSpec& service, std::vector<FieldError>& errors) {
  auto reserved = [](const std::string& key) {
    // Exactly the aviary.io/ prefix: the sandbox's own keys (sandbox.aviary.io/rps, …) are the user's.
    return key.rfind("aviary.io/", 0) == 0 || key == "app.kubernetes.io/managed-by";
  };
  const std::pair<const char*, const CustomMetadata*> parts[] = {
      {"apex", &service.apex}, {"primary", &service.primary}, {"canary", &service.canary}};
  for (const auto& [part, metadata] : parts) {
    for (const auto& [field, values] :
         {std::pair{"labels", &metadata->labels}, std::pair{"annotations", &metadata->annotations}}) {
      for (const auto& [key, value] : *values) {
        if (reserved(key)) {
          errors.push_back({std::string("spec.service.") + part + "." + field,
                            quoteForMessage(key) + " is reserved for Aviary"});
        }
      }
    }
  }
}

void checkTrafficScope(const CanarySpec& spec, const std::string& ns, const TrafficScopePolicy& policy,
                       std::vector<FieldError>& errors) {
  for (std::size_t i = 0; i < spec.service.hosts.size(); ++i) {
    if (auto p = hostProblem(spec.service.hosts[i], ns, policy))
      errors.push_back({"spec.service.hosts[" + std::to_string(i) + "]", *p});
  }
  for (std::size_t i = 0; i < spec.service.gateways.size(); ++i) {
    if (auto p = gatewayProblem(spec.service.gateways[i], ns, policy))
      errors.push_back({"spec.service.gateways[" + std::to_string(i) + "]", *p});
  }
  // Gateway API parents: a Gateway of another namespace is held to the same policy as Istio's gateways.
  for (std::size_t i = 0; i < spec.service.gatewayRefs.size(); ++i) {
    const Json& ref = spec.service.gatewayRefs[i];
    const std::string path = "spec.service.gatewayRefs[" + std::to_string(i) + "]";
    if (!ref.is_object() || !ref.contains("name") || !ref["name"].is_string()) {
      errors.push_back({path, "needs a name"});
      continue;
    }
    const std::string refNs =
        ref.contains("namespace") && ref["namespace"].is_string() ? ref["namespace"].get<std::string>() : ns;
    if (auto p = gatewayProblem(refNs + "/" + ref["name"].get<std::string>(), ns, policy))
      errors.push_back({path, *p});
  }
}

// What the spec asks of the traffic against what the Canary's provider can do: a provider never silently
// degrades a strategy it cannot carry out.
// RFC 6265 §4.1.1: a cookie name is an RFC 2616 token (visible ASCII but separators).
bool cookieToken(const std::string& name) {
  static constexpr std::string_view kSeparators = "()<>@,;:\\\"/[]?={} \t";
  return !name.empty() && std::all_of(name.begin(), name.end(), [](unsigned char c) {
    return c > 32 && c < 127 && kSeparators.find(static_cast<char>(c)) == std::string_view::npos;
  });
}

// A cookie attribute value (Domain, Path): RFC 6265 §4.1.1 av-octets, no control characters or ';'.
bool cookieAttribute(const std::string& value) {
  return std::all_of(value.begin(), value.end(),
                     [](unsigned char c) { return c >= 32 && c < 127 && c != ';'; });
}

void checkSessionAffinity(const SessionAffinitySpec& sa, const AnalysisSpec& a, const RouterCapabilities& can,
                          const std::string& provider, bool progressive, std::vector<FieldError>& errors) {
  const std::string path = "spec.analysis.sessionAffinity";
  if (!can.sessionAffinity)
    errors.push_back({path, provider + " does not support session affinity (cookie-based routing)"});
  if (!progressive) {
    errors.push_back({path,
                      "keeps users on the canary while its share of the traffic grows: it needs "
                      "stepWeight or stepWeights, not iterations"});
  }
  if (a.match.is_array() && !a.match.empty()) {
    errors.push_back({path,
                      "cannot be combined with analysis.match: both decide which requests reach the "
                      "canary"});
  }
  if (!cookieToken(sa.cookieName))
    errors.push_back({path + ".cookieName", "must be a cookie name (an RFC 6265 token)"});
  if (!sa.primaryCookieName.empty() && !cookieToken(sa.primaryCookieName))
    errors.push_back({path + ".primaryCookieName", "must be a cookie name (an RFC 6265 token)"});
  if (!sa.primaryCookieName.empty() && sa.primaryCookieName == sa.cookieName)
    errors.push_back({path + ".primaryCookieName", "must differ from cookieName"});
  if (!cookieAttribute(sa.domain)) errors.push_back({path + ".domain", "must not contain ';' or controls"});
  if (!cookieAttribute(sa.path)) errors.push_back({path + ".path", "must not contain ';' or controls"});
  if (!sa.sameSite.empty() && sa.sameSite != "Strict" && sa.sameSite != "Lax" && sa.sameSite != "None")
    errors.push_back({path + ".sameSite", "must be Strict, Lax or None"});
}

void checkStrategy(const CanarySpec& spec, const RouterCapabilities& can, std::vector<FieldError>& errors) {
  const AnalysisSpec& a = spec.analysis;
  const std::string provider = "provider " + quoteForMessage(spec.provider);
  const bool progressive = !spec.skipAnalysis && a.iterations == 0;
  if (progressive && !can.weighted) {
    errors.push_back({"spec.analysis",
                      provider + " switches all traffic at once (blue/green by the apex Service's selector): "
                                 "set analysis.iterations instead of stepWeight or stepWeights"});
  }
  if (!spec.skipAnalysis && a.iterations > 0 && can.replicaRatio) {
    errors.push_back({"spec.analysis.iterations",
                      provider + " approximates weights by replica counts and cannot send all traffic to the "
                                 "canary: blue/green and A/B need another provider"});
  }
  if (!a.match.is_null() && !can.headerMatch)
    errors.push_back({"spec.analysis.match", provider + " does not support request matching (A/B testing)"});
  if (!a.match.is_null() && !a.match.is_array())
    errors.push_back({"spec.analysis.match", "must be a list of match conditions"});
  if (a.postPromotionIterations > 0 && a.iterations == 0) {
    errors.push_back({"spec.analysis.postPromotionIterations",
                      "checks the canary after a blue/green switch: it needs analysis.iterations"});
  }
  if (a.mirror && !can.mirroring)
    errors.push_back({"spec.analysis.mirror", provider + " does not support traffic mirroring"});
  if (a.sessionAffinity) checkSessionAffinity(*a.sessionAffinity, a, can, provider, progressive, errors);
  if (a.sequential && !progressive) {
    errors.push_back({"spec.analysis.sequential",
                      "compares the canary's and the primary's shares of one weighted split: it needs "
                      "stepWeight or stepWeights, not iterations"});
  }
}

}  // namespace

std::vector<FieldError> validateCanary(const CanarySpec& spec, const std::string& ns,
                                       const ValidationPolicy& policy) {
  std::vector<FieldError> errors;
  const AnalysisSpec& a = spec.analysis;
  checkNames(spec, errors);
  checkReservedMetadata(spec.service, errors);
  checkTrafficScope(spec, ns, policy.trafficScope, errors);
  if (!spec.provider.empty()) {
    auto provider = policy.providers.find(spec.provider);
    if (provider == policy.providers.end()) {
      std::vector<std::string> known;
      for (const auto& [name, _] : policy.providers) known.push_back(name);
      errors.push_back({"spec.provider", "unknown provider " + quoteForMessage(spec.provider) +
                                             " (known: " + listForMessage(known) + ")"});
    } else {
      checkStrategy(spec, provider->second, errors);
    }
  }
  if (spec.service.delegation && (!spec.service.hosts.empty() || !spec.service.gateways.empty())) {
    // A delegate route is reached through the route that delegates to it, never by host or gateway.
    errors.push_back({"spec.service.delegation", "cannot be combined with spec.service.hosts or gateways"});
  }
  if (spec.targetRef.kind != "Deployment") {
    errors.push_back({"spec.targetRef.kind",
                      quoteForMessage(spec.targetRef.kind) + " is not supported yet; use Deployment"});
  }
  for (std::size_t i = 0; i < a.stepWeights.size(); ++i) {
    std::string path = "spec.analysis.stepWeights[" + std::to_string(i) + "]";
    if (a.stepWeights[i] <= 0) errors.push_back({path, "must be greater than 0"});
    if (i > 0 && a.stepWeights[i] <= a.stepWeights[i - 1]) {
      errors.push_back({path, "must be greater than the previous step"});
    }
  }
  // analysis.iterations takes precedence over the step weights, as in Flagger.
  bool weighted = !spec.skipAnalysis && a.iterations == 0;
  if (weighted && a.stepWeight == 0 && a.stepWeights.empty()) {
    errors.push_back(
        {"spec.analysis",
         "needs stepWeight or stepWeights (a progressive canary) or iterations (blue/green, A/B) "
         "to make progress"});
  }
  if (weighted && a.stepWeight > a.maxWeight) {
    errors.push_back(
        {"spec.analysis.stepWeight", "must not exceed maxWeight " + std::to_string(a.maxWeight)});
  }
  // Webhooks are gathered and answered by name: each needs one, unique, a URL and a known type.
  std::set<std::string> hookNames;
  for (std::size_t i = 0; i < a.webhooks.size(); ++i) {
    const Webhook& w = a.webhooks[i];
    const std::string path = "spec.analysis.webhooks[" + std::to_string(i) + "]";
    if (w.name.empty()) {
      errors.push_back({path + ".name", "is required"});
    } else if (!hookNames.insert(w.name).second) {
      errors.push_back({path + ".name", quoteForMessage(w.name) + " names another webhook too"});
    }
    if (w.url.empty()) errors.push_back({path + ".url", "is required"});
    if (std::find(std::begin(kWebhookTypes), std::end(kWebhookTypes), w.type) == std::end(kWebhookTypes)) {
      errors.push_back(
          {path + ".type", quoteForMessage(w.type) + " is not a webhook type (" +
                               listForMessage({std::begin(kWebhookTypes), std::end(kWebhookTypes)}) + ")"});
    }
  }
  for (std::size_t i = 0; i < a.alerts.size(); ++i) {
    const std::string& severity = a.alerts[i].severity;
    if (severity != "info" && severity != "warn" && severity != "error") {
      errors.push_back({"spec.analysis.alerts[" + std::to_string(i) + "].severity",
                        quoteForMessage(severity) + " is not a severity (info, warn, error)"});
    }
  }
  if (a.interval.count() < 1000) {
    errors.push_back({"spec.analysis.interval", "must be at least 1s"});
  }
  for (std::size_t i = 0; i < a.metrics.size(); ++i) {
    const MetricCheck& m = a.metrics[i];
    std::string path = "spec.analysis.metrics[" + std::to_string(i) + "]";
    if (m.builtIn() && m.name != "request-success-rate" && m.name != "request-duration") {
      errors.push_back(
          {path + ".name", quoteForMessage(m.name) +
                               " is not a built-in check (request-success-rate, request-duration); "
                               "give it a templateRef"});
    }
    if (!m.range.min && !m.range.max) {
      errors.push_back({path + ".thresholdRange", "needs min or max"});
    }
    if (m.range.min && m.range.max && *m.range.min > *m.range.max) {
      errors.push_back({path + ".thresholdRange", "min must not exceed max"});
    }
    if (!m.query.empty() && !policy.inlineQueries) {
      errors.push_back(
          {path + ".query",
           "inline queries are turned off on this operator (--allow-inline-queries=false); use a "
           "MetricTemplate"});
    }
  }
  return errors;
}

}  // namespace aviary::api
