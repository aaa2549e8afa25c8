// The Kubernetes Services every provider needs: the apex <svc> (selecting the primary pods), <svc>-primary
// and <svc>-canary, with the canary's port, port name, target port and custom metadata.
#pragma once

#include <string>

#include "operator/api/canary.h"
#include "operator/kube/kube_client.h"

namespace aviary::mesh {

// `labelKey`/`labelValue`: the target's pod selector label (app=podinfo); the primary's pods carry
// labelValue-primary.
Status reconcileServices(kube::KubeClient& client, const api::Canary& canary, const std::string& labelKey,
                         const std::string& labelValue);

}  // namespace aviary::mesh
