// Imitates the Deployment controller for the fields clients read (KUBE-API.md §9): after each
// generation change, status shows the rollout in progress, and the pods become ready after a delay
// (Deployment annotation sandbox.aviary.io/ready-after, default 300ms). A pod template annotated
// sandbox.aviary.io/never-ready: "true" never becomes available and fails after progressDeadlineSeconds.
// Event-driven: it follows the store's Deployment events, with a timer per pending rollout.
#pragma once

#include <atomic>
#include <chrono>
#include <map>
#include <string>
#include <thread>

#include "sandbox/api/object_store.h"
#include "sandbox/api/resource_registry.h"

namespace aviary::sandbox {

class DeploymentSimulator {
 public:
  DeploymentSimulator(ObjectStore& store, const ResourceRegistry& registry,
                      std::chrono::milliseconds defaultReadyAfter = std::chrono::milliseconds(300));
  ~DeploymentSimulator();
  void start();
  void stop();

 private:
  struct Rollout {
    long long generation = 0;
    std::chrono::steady_clock::time_point startedAt;
    std::chrono::steady_clock::time_point readyAt;
    std::chrono::steady_clock::time_point deadline;
    bool neverReady = false;
    bool finished = false;
    std::string templateKey;  // the pod template as JSON text
    // Only the replica count changed after this template's rollout completed (e.g. at zero replicas):
    // Kubernetes does not track progress for scaling, so no ProgressDeadlineExceeded ever comes and
    // Progressing stays True (NewReplicaSetAvailable), as the real control plane showed (issue 9).
    bool scalingOnly = false;
  };
  void run();
  void observe(const Json& deployment, std::chrono::steady_clock::time_point now);
  void writeStatus(const std::string& ns, const std::string& name, const Rollout& r, bool ready, bool failed);

  ObjectStore& store_;
  std::shared_ptr<const ResourceKind> kind_;
  std::chrono::milliseconds defaultReadyAfter_;
  std::map<std::string, Rollout> rollouts_;  // "ns/name", owned by the simulator thread
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

// "2s", "500ms", "1m", or a bare number of seconds → duration; nullopt when malformed.
std::optional<std::chrono::milliseconds> parseShortDuration(const std::string& text);

}  // namespace aviary::sandbox
