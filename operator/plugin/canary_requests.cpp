#include "operator/plugin/canary_requests.h"

#include <algorithm>
#include <iterator>

#include "operator/api/canary.h"
#include "operator/controller/reconciler.h"
#include "operator/controller/workloads.h"
#include "operator/core/random_token.h"
#include "operator/core/time_format.h"

namespace aviary::plugin {

using kube::Json;

namespace {
const kube::ResourceType kSelfSubjectReviews{"authentication.k8s.io", "v1", "selfsubjectreviews",
                                             "SelfSubjectReview", false};
}  // namespace

std::string whoAmI(kube::KubeClient& client) {
  auto review = client.create(kSelfSubjectReviews, "",
                              {{"apiVersion", "authentication.k8s.io/v1"}, {"kind", "SelfSubjectReview"}});
  if (!review) return "unknown";
  const std::string user = review->value("/status/userInfo/username"_json_pointer, std::string());
  return user.empty() ? "unknown" : user;
}

Result<RequestSent> sendRequest(kube::KubeClient& client, const std::string& ns, const std::string& name,
                                const std::string& action, std::chrono::system_clock::time_point now) {
  if (std::find(std::begin(api::kRequestActions), std::end(api::kRequestActions), action) ==
      std::end(api::kRequestActions))
    return Error{ErrorCode::Invalid, "unknown request \"" + action + "\""};
  auto canary = client.get(controller::kCanaries, ns, name);
  if (!canary) return canary.error();
  const Json pending = canary->value("/status/request"_json_pointer, Json());
  if (pending.is_object() && pending.value("action", std::string()) == action) {
    return RequestSent{false, action + " of canary " + ns + "/" + name + " was already requested by " +
                                  pending.value("requestedBy", std::string("unknown")) +
                                  "; the operator acts on it once"};
  }
  const std::string by = whoAmI(client);
  const Json request = {
      {"action", action}, {"id", randomHex(8)}, {"requestedBy", by}, {"requestedAt", formatRfc3339(now)}};
  auto patched = client.patch(controller::kCanaries, ns, name, kube::PatchType::Merge,
                              {{"status", {{"request", request}}}}, "status");
  if (!patched) return patched.error();
  return RequestSent{true, action + " of canary " + ns + "/" + name + " requested (as " + by + ")"};
}

Verdict rolloutVerdict(const Json& canary, const Json* target) {
  const std::string phase = canary.value("/status/phase"_json_pointer, std::string());
  const std::string applied = canary.value("/status/lastAppliedSpec"_json_pointer, std::string());
  if (target && controller::templateHash(*target) != applied) return Verdict::Pending;
  if (phase == "Succeeded" || phase == "Initialized") return Verdict::Succeeded;
  if (phase == "Failed") return Verdict::Failed;
  return Verdict::Pending;
}

}  // namespace aviary::plugin
