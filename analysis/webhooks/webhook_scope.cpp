#include "analysis/webhooks/webhook_scope.h"

#include <vector>

#include "analysis/prometheus/metrics_server_url.h"
#include "operator/core/text_safety.h"
#include "operator/core/url.h"

namespace aviary::analysis {
namespace {

std::vector<std::string> labelsOf(const std::string& host) {
  std::vector<std::string> labels;
  std::size_t at = 0;
  while (at <= host.size()) {
    std::size_t dot = host.find('.', at);
    if (dot == std::string::npos) dot = host.size();
    labels.push_back(host.substr(at, dot - at));
    at = dot + 1;
  }
  return labels;
}

// "name.ns", "name.ns.svc" or "name.ns.svc.<domain…>": a Service of namespace `ns`.
bool serviceOfNamespace(const std::string& host, const std::string& ns) {
  const auto labels = labelsOf(host);
  if (labels.size() < 2 || labels[0].empty() || labels[1] != ns) return false;
  if (labels.size() == 2) return true;
  if (labels[2] != "svc") return false;
  for (std::size_t i = 3; i < labels.size(); ++i) {
    if (labels[i].empty()) return false;
  }
  return true;
}

}  // namespace

std::optional<std::string> webhookUrlProblem(const std::string& url, const std::string& ns,
                                             const EgressAllowList& allowed) {
  auto host = urlHost(url);
  if (!host) return std::string("must be an http:// or https:// URL with a host");
  const std::string name = normalizeHostName(*host);
  if (serviceOfNamespace(name, ns)) return std::nullopt;
  if (!allowed.problem(name)) return std::nullopt;
  return "host " + quoteForMessage(name) + " is not a Service of namespace " + quoteForMessage(ns) +
         " (name." + ns + "[.svc[.cluster.local]]) and the operator's --webhook-allow does not list it";
}

}  // namespace aviary::analysis
