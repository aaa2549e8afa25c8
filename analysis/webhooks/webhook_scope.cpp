#include "analysis/webhooks/webhook_scope.h"

#include <vector>

#include "analysis/prometheus/metrics_server_url.h"
#include "operator/core/text_safety.h"
#include "operator/core/url.h"

namespace aviary::analysis {
namespace {

constexpr std::string_view kClusterDomain = ".cluster.local";

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

// "name.ns", "name.ns.svc" or "name.ns.svc.cluster.local": a Service of namespace `ns`. Any other domain
// after "svc" is a public name the tenant may own, so it is not one.
bool serviceOfNamespace(const std::string& host, const std::string& ns) {
  const auto labels = labelsOf(host);
  if (labels.size() < 2 || labels[0].empty() || labels[1] != ns) return false;
  if (labels.size() == 2) return true;
  if (labels[2] != "svc") return false;
  if (labels.size() == 3) return true;
  const bool clusterLocal =
      host.size() > kClusterDomain.size() &&
      host.compare(host.size() - kClusterDomain.size(), kClusterDomain.size(), kClusterDomain) == 0;
  return labels.size() == 5 && clusterLocal;
}

}  // namespace

std::string clusterLocalUrl(const std::string& url, const std::string& ns) {
  auto host = urlHost(url);
  if (!host) return url;
  const std::string name = normalizeHostName(*host);
  const auto labels = labelsOf(name);
  if (!serviceOfNamespace(name, ns) || labels.size() == 5) return url;
  // "name.ns" or "name.ns.svc": spelled out, so that no resolver's search list can turn it into a public
  // name (a namespace called "dev" makes "name.dev" a website).
  const std::string full = labels[0] + "." + labels[1] + ".svc." + std::string(kClusterDomain.substr(1));
  const auto at = url.find(*host, url.find("//") + 2);
  if (at == std::string::npos) return url;
  return url.substr(0, at) + full + url.substr(at + host->size());
}

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
