// Imitates the Deployment controller for the fields clients read (KUBE-API.md §9): after each
// generation change, status shows the rollout in progress, and the pods become ready after a delay
// (Deployment annotation sandbox.aviary.io/ready-after, default 300ms). A pod template annotated
// sandbox.aviary.io/never-ready: "true" never becomes available and fails after progressDeadlineSeconds.
// Event-driven: it follows the store's Deployment events, with a timer per pending rollout.
#pragma once

#include <atomic>
#include <chrono>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <utility>

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
  // How many times the simulator listed the Deployments again because its watch position expired (tests).
  long long relists() const { return relists_; }

 private:
  struct Rollout {
    long long generation = 0;
    std::string uid;
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
  using Due = std::pair<std::chrono::steady_clock::time_point, std::string>;  // (when, "ns/name")
  // When the rollout's next status change is due: ready, or failed at its deadline; none when finished
  // or never ending (a never-ready template that only scaled).
  static std::optional<std::chrono::steady_clock::time_point> dueOf(const Rollout& r);
  void run();
  // Reads every Deployment (at the start, and after the watch history moved past our position): the
  // version to follow events from, or nullopt when the list failed (logged).
  std::optional<long long> relist(std::chrono::steady_clock::time_point now);
  void observe(const Json& deployment, std::chrono::steady_clock::time_point now);
  void unschedule(const std::string& key, const Rollout& r);  // drops r's entry in due_, if any
  void forget(const std::string& key);
  void writeStatus(const std::string& ns, const std::string& name, const Rollout& r, bool ready, bool failed);

  ObjectStore& store_;
  std::shared_ptr<const ResourceKind> kind_;
  std::chrono::milliseconds defaultReadyAfter_;
  // Owned by the simulator thread. `due_` orders the unfinished rollouts by dueOf, so that a pass costs
  // what is due, not the number of Deployments (20,000 in the 10,000-Canary scale run).
  std::map<std::string, Rollout> rollouts_;  // "ns/name"
  std::set<Due> due_;
  std::atomic<bool> stopping_{false};
  std::atomic<long long> relists_{0};
  std::thread thread_;
};

// "2s", "500ms", "1m", or a bare number of seconds → duration; nullopt when malformed.
std::optional<std::chrono::milliseconds> parseShortDuration(const std::string& text);

}  // namespace aviary::sandbox
