// Watches what Aviary writes (Services and mesh routes labelled app.kubernetes.io/managed-by=aviary, which
// includes the user's objects it adopted) so that another client's edit is corrected at once instead of
// when the write-through cache expires: a change whose resourceVersion is not the one Aviary last wrote
// drops the cached copy and wakes the Canaries the object belongs to (issue 10 §5: drift).
//
// The informers keep a projection (namespace, name, resourceVersion) only; the whole object is handed to
// the change callback as it arrives, so that the write-through cache can keep it instead of reading it
// again (after a restart, every owned object arrives in the first list). They are not waited for at
// start-up: a mesh whose CRDs are not installed leaves its informer retrying with backoff, harmlessly.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "operator/kube/informer.h"
#include "operator/kube/resource_type.h"

namespace aviary::controller {

class OwnedObjectWatch {
 public:
  // Called on the informers' threads for every add, update and delete: the object's type, namespace,
  // name and resourceVersion ("" when it was deleted), and the object as the list or watch delivered it
  // (null when it was deleted; valid for the call only). Must be quick and thread-safe.
  using OnChange =
      std::function<void(const kube::ResourceType& type, const std::string& ns, const std::string& name,
                         const std::string& resourceVersion, const kube::Json* object)>;

  // `ns`: "" watches every namespace.
  OwnedObjectWatch(kube::KubeClient& client, const std::vector<kube::ResourceType>& types,
                   const std::string& ns, OnChange onChange);
  // Starts the informers (list, then watch, retrying with backoff). Call once.
  void start();
  // Stops them and waits for their threads; no callback runs after it returns. Idempotent.
  void stop();
  // The resourceVersion the watch last saw for the object; nullopt when it has not seen it (not
  // labelled as Aviary's, not listed yet, or of a type not watched). Thread-safe.
  std::optional<std::string> resourceVersion(const kube::ResourceType& type, const std::string& ns,
                                             const std::string& name) const;
  // Whether the informer of `type` has listed every labelled object (so that resourceVersion's nullopt
  // means "not labelled as Aviary's, or not there"); false for a type not watched. Thread-safe.
  bool hasSynced(const kube::ResourceType& type) const;

 private:
  // What the informers keep of each object: a few strings, not a parsed JSON object (about 500 bytes
  // each; there are 6 to 7 owned objects per Canary).
  struct Seen {
    std::string ns, name, resourceVersion;
  };
  std::vector<kube::ResourceType> types_;  // types_[i] is what informers_[i] watches
  std::vector<std::unique_ptr<kube::Informer<Seen>>> informers_;
};

// The apex Service names an owned object `name` can belong to: itself ("podinfo", its VirtualService)
// and, for "<apex>-primary"/"<apex>-canary" (Services, DestinationRules), the apex.
std::vector<std::string> apexCandidates(const std::string& name);

}  // namespace aviary::controller
