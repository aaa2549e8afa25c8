#include "operator/api/traffic_scope.h"

#include "operator/api/names.h"
#include "operator/core/text_safety.h"
#include "operator/core/url.h"

namespace aviary::api {
namespace {

std::vector<std::string_view> splitDots(std::string_view s) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  while (true) {
    std::size_t dot = s.find('.', start);
    parts.push_back(s.substr(start, dot == s.npos ? s.npos : dot - start));
    if (dot == s.npos) return parts;
    start = dot + 1;
  }
}

// "<name>.<ns>.svc", "<name>.<ns>.svc.cluster.local" (and "<name>.<ns>" when `twoLabels`) → ns. A host
// "<name>.<ns>" is not read as a Service by Istio: it is a DNS name, and in a namespace called like a
// top-level domain ("dev", "app") it is someone's public site.
std::optional<std::string> namespaceOfServiceName(std::string_view host, bool twoLabels = false) {
  auto parts = splitDots(host);
  bool shape = (twoLabels && parts.size() == 2) || (parts.size() == 3 && parts[2] == "svc") ||
               (parts.size() == 5 && parts[2] == "svc" && parts[3] == "cluster" && parts[4] == "local");
  if (!shape) return std::nullopt;
  return std::string(parts[1]);
}

}  // namespace

std::optional<std::string> hostProblem(std::string_view rawHost, const std::string& ns,
                                       const TrafficScopePolicy& policy) {
  std::string host = normalizeHostName(rawHost);
  for (char c : host) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '*';
    if (!ok) return quoteForMessage(rawHost, 120) + " is not a host name";
  }
  if (host.empty()) return "may not be empty";
  for (const auto& allowed : policy.allowedHostSuffixes) {
    std::string suffix = normalizeHostName(allowed);
    if (suffix == "*") return std::nullopt;
    if (!suffix.empty() && suffix.front() == '.') suffix.erase(0, 1);
    if (host == suffix || host.ends_with("." + suffix)) return std::nullopt;
  }
  if (host.find('*') == std::string::npos) {
    if (host.find('.') == std::string::npos) return std::nullopt;  // a Service of the Canary's namespace
    auto hostNs = namespaceOfServiceName(host);
    if (hostNs && *hostNs == ns) return std::nullopt;
  }
  return quoteForMessage(rawHost, 120) + " would route traffic that is not namespace " + ns +
         "'s; the operator allows host suffixes: " + listForMessage(policy.allowedHostSuffixes) +
         " (--allowed-host-suffixes)";
}

std::optional<std::string> gatewayProblem(std::string_view rawGateway, const std::string& ns,
                                          const TrafficScopePolicy& policy) {
  std::string gateway = normalizeHostName(rawGateway);
  if (gateway == "mesh") return std::nullopt;
  std::string gwNs, name;
  if (auto slash = gateway.find('/'); slash != std::string::npos) {
    gwNs = gateway.substr(0, slash);
    name = gateway.substr(slash + 1);
  } else if (gateway.find('.') == std::string::npos) {
    gwNs = ns;
    name = gateway;
  } else if (auto inNs = namespaceOfServiceName(gateway, true)) {
    gwNs = *inNs;
    name = std::string(splitDots(gateway).front());
  } else {
    return quoteForMessage(rawGateway, 120) +
           " is not a gateway reference (mesh, <name>, <namespace>/<name> or "
           "<name>.<namespace>.svc.cluster.local)";
  }
  if (dns1123LabelProblem(gwNs) || dns1123SubdomainProblem(name)) {
    return quoteForMessage(rawGateway, 120) +
           " is not a gateway reference (mesh, <name>, <namespace>/<name> or "
           "<name>.<namespace>.svc.cluster.local)";
  }
  if (gwNs == ns) return std::nullopt;
  for (const auto& allowed : policy.allowedGateways) {
    std::string a = normalizeHostName(allowed);
    if (a == "*" || a == gwNs + "/*" || a == gwNs + "/" + name) return std::nullopt;
  }
  return quoteForMessage(rawGateway, 120) + " is gateway " + gwNs + "/" + name +
         " of another namespace; the operator allows: " + listForMessage(policy.allowedGateways) +
         " (--allowed-gateways)";
}

}  // namespace aviary::api
