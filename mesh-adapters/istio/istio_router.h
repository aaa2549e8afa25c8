// Istio: a VirtualService <apex> that splits the apex host between <apex>-primary and <apex>-canary by
// weight (with the canary's gateways, hosts, match, retries, timeout, rewrite, headers and corsPolicy),
// and DestinationRules <apex>-primary / <apex>-canary carrying service.trafficPolicy. With
// service.delegation the VirtualService is a delegate: no hosts, no gateways.
#pragma once

#include "mesh-adapters/router.h"

namespace aviary::mesh::istio {

inline const kube::ResourceType kVirtualServices{"networking.istio.io", "v1beta1", "virtualservices",
                                                 "VirtualService", true};
inline const kube::ResourceType kDestinationRules{"networking.istio.io", "v1beta1", "destinationrules",
                                                  "DestinationRule", true};

class IstioRouter : public Router {
 public:
  explicit IstioRouter(kube::KubeClient& client) : client_(client) {}
  Status reconcile(const api::Canary& canary, Weights weights) override;
  Result<Weights> weights(const api::Canary& canary) override;
  Status finalize(const api::Canary& canary) override;

  // The objects reconcile() converges to (exposed for tests).
  static kube::Json virtualService(const api::Canary& canary, Weights weights);
  static kube::Json destinationRule(const api::Canary& canary, const std::string& host);

 private:
  kube::KubeClient& client_;
};

}  // namespace aviary::mesh::istio
