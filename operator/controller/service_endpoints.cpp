#include "operator/controller/service_endpoints.h"

namespace aviary::controller {
namespace {

// "<deployment>-<hash>-<suffix>": the Deployment's name is all but the last two dash-separated parts.
std::string deploymentOfPod(const std::string& pod) {
  auto last = pod.rfind('-');
  if (last == std::string::npos || last == 0) return "";
  auto hash = pod.rfind('-', last - 1);
  return hash == std::string::npos ? "" : pod.substr(0, hash);
}

}  // namespace

Result<bool> endpointsFollowSelector(kube::KubeClient& client, const std::string& ns,
                                     const std::string& service, const std::string& wanted,
                                     const std::string& unwanted) {
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
      if (owner == unwanted) return false;
      if (owner == wanted && endpoint.value("/conditions/ready"_json_pointer, true)) sawWanted = true;
    }
  }
  return sawWanted;
}

}  // namespace aviary::controller
