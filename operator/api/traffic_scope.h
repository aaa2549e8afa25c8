// Which traffic a Canary may capture. A tenant who can edit Canaries in one namespace must not be able to
// route another namespace's requests (or a shared ingress gateway's) through its own pods: every
// spec.service.hosts entry and every spec.service.gateways entry must stay inside the Canary's namespace
// unless the operator's administrator allowed it (--allowed-host-suffixes, --allowed-gateways).
//
// Istio's reading of the names (VirtualService reference, istio.io/latest/docs/reference/config/networking/
// virtual-service/): a host without a dot is a Service of the VirtualService's own namespace; a gateway is
// "mesh", "<name>" (own namespace), "<namespace>/<name>" or "<name>.<namespace>[.svc.cluster.local]".
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace aviary::api {

struct TrafficScopePolicy {
  // "<namespace>/<name>", "<namespace>/*", or "*" (any gateway).
  std::vector<std::string> allowedGateways;
  // "example.com" allows example.com and every name under it; "*" allows any host.
  std::vector<std::string> allowedHostSuffixes;
};

// nullopt when a VirtualService in namespace `ns` may list `host`; else why not.
std::optional<std::string> hostProblem(std::string_view host, const std::string& ns,
                                       const TrafficScopePolicy& policy);
// nullopt when a VirtualService in namespace `ns` may bind to `gateway`; else why not.
std::optional<std::string> gatewayProblem(std::string_view gateway, const std::string& ns,
                                          const TrafficScopePolicy& policy);

}  // namespace aviary::api
