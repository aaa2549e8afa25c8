// Whether a Service's EndpointSlices already follow a selector change. On a real cluster the endpointslice
// controller updates them some time after the Service changes; deleting the pods the old selector chose
// before that leaves the Service with no endpoints, and users get 503s (found on the real control plane,
// issue 9). An API server that does not serve EndpointSlices (the sandbox) follows at once.
#pragma once

#include <string>

#include "operator/core/result.h"
#include "operator/kube/kube_client.h"

namespace aviary::mesh {

// True when the ready endpoints of Service ns/service include a Pod of Deployment `wanted` and none of
// Deployment `unwanted` (Pods named "<deployment>-<pod-template-hash>-<suffix>"). Errors: what listing
// EndpointSlices returned, NotFound (the API is not served) excepted.
Result<bool> endpointsFollowSelector(kube::KubeClient& client, const std::string& ns,
                                     const std::string& service, const std::string& wanted,
                                     const std::string& unwanted);

// True when the ready endpoints of Service ns/service include a Pod of Deployment `deployment`: routes may
// send it traffic. Errors as endpointsFollowSelector's (an API server without EndpointSlices: true).
Result<bool> endpointsServe(kube::KubeClient& client, const std::string& ns, const std::string& service,
                            const std::string& deployment);

}  // namespace aviary::mesh
