// The requests `kubectl aviary` sends and the verdicts it reads, over the operator's own client library.
// A request (promote, abort, retry, pause, resume) is written to the Canary's status subresource
// (status.request, api::OperatorRequest), never to its spec, so a GitOps tool has nothing to revert; the
// operator acts on it once and moves it to status.lastRequest.
#pragma once

#include <chrono>
#include <string>

#include "operator/core/result.h"
#include "operator/kube/kube_client.h"

namespace aviary::plugin {

// The user the API server says the client is (authentication.k8s.io/v1 SelfSubjectReview, Kubernetes
// 1.28+); "unknown" when the server cannot tell.
std::string whoAmI(kube::KubeClient& client);

struct RequestSent {
  bool sent = false;    // false: the same request was already pending (asking twice acts once)
  std::string message;  // for the user
};

// Writes status.request on Canary ns/name (a JSON merge patch of the status subresource). Errors: the
// client's (NotFound for a missing Canary, Forbidden without `patch` on canaries/status), or Invalid for
// an unknown action.
Result<RequestSent> sendRequest(kube::KubeClient& client, const std::string& ns, const std::string& name,
                                const std::string& action, std::chrono::system_clock::time_point now);

// Where the release of the target's current revision stands, for `kubectl aviary status`: Pending until
// the operator has taken up the target's pod template (status.lastAppliedSpec equals its hash, computed
// as the operator does) and the Canary reached Succeeded or Initialized (promoted), or Failed.
enum class Verdict { Pending, Succeeded, Failed };
Verdict rolloutVerdict(const kube::Json& canary, const kube::Json* target);

}  // namespace aviary::plugin
