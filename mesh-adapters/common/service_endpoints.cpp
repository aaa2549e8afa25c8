#include "mesh-adapters/common/service_endpoints.h"

#include <optional>

namespace aviary::mesh {
namespace {

// "<deployment>-<hash>-<suffix>": the Deployment's name is all but the last two dash-separated parts.
std::string deploymentOfPod(const std::string& pod) {
  auto last = pod.rfind('-');
  if (last == std::string::npos || last == 0) return "";
  auto hash = pod.rfind('-', last - 1);
  return hash == std::string::npos ? "" : pod.substr(0, hash);
}

// Whether the ready endpoints of ns/service include a Pod of `wanted` and, when `unwanted` is set, none of
// `unwanted`.
Result<bool> readyEndpoints(kube::KubeClient& client, const std::string& ns, const std::string& service,
                            const std::string& wanted, const std::optional<std::string>& unwanted) {
  kube::ListOptions options;
  options.labelSelector = "kubernetes.io/service-name=" + service;
  auto slices = client.list(kube::resources::kEndpointSlices, ns, options);
  if (!slices) {
    if (slices.error().code == ErrorCode::NotFound) return true;  // not served: nothing lags
    return slices.error();
  }
  bool sawWanted = false;
  for (const auto& slice : slices->value("items", kube::Json::array())) {
    for (const auto& endpoint : slice.value("endpoints", kube::Json::array())) {
      const std::string pod = endpoint.value("/targetRef/name"_json_pointer, std::string());
      const std::string owner = deploymentOfPod(pod);
      if (unwanted && owner == *unwanted) return false;
      if (owner == wanted && endpoint.value("/conditions/ready"_json_pointer, true)) sawWanted = true;
    }
  }
  return sawWanted;
}

}  // namespace

Result<bool> endpointsFollowSelector(kube::KubeClient& client, const std::string& ns,
                                     const std::string& service, const std::string& wanted,
                                     const std::string& unwanted) {
  return readyEndpoints(client, ns, service, wanted, unwanted);
}

Result<bool> endpointsServe(kube::KubeClient& client, const std::string& ns, const std::string& service,
                            const std::string& deployment) {
  return readyEndpoints(client, ns, service, deployment, std::nullopt);
}

}  // namespace aviary::mesh
