#include "sandbox/sim/deployment_simulator.h"

#include <spdlog/spdlog.h>

#include "operator/core/duration.h"
#include "operator/core/time_format.h"

namespace aviary::sandbox {

std::optional<std::chrono::milliseconds> parseShortDuration(const std::string& text) {
  // A bare number is seconds (annotations are often written "2"); anything else is a Go duration.
  bool bare = !text.empty() && text.find_first_not_of("0123456789.") == std::string::npos;
  return parseDuration(bare ? text + "s" : text);
}

DeploymentSimulator::DeploymentSimulator(ObjectStore& store, const ResourceRegistry& registry,
                                         std::chrono::milliseconds defaultReadyAfter)
    : store_(store),
      kind_(registry.find("apps", "v1", "deployments")),
      defaultReadyAfter_(defaultReadyAfter) {}

DeploymentSimulator::~DeploymentSimulator() {
  stop();
}

void DeploymentSimulator::start() {
  if (!thread_.joinable()) thread_ = std::thread([this] { run(); });
}

void DeploymentSimulator::stop() {
  stopping_ = true;
  store_.wakeWatchers();
  if (thread_.joinable()) thread_.join();
}

void DeploymentSimulator::observe(const Json& d, std::chrono::steady_clock::time_point now) {
  const Json& meta = d["metadata"];
  std::string key = meta.value("namespace", "") + "/" + meta.value("name", "");
  long long generation = meta.value("generation", 0LL);
  auto it = rollouts_.find(key);
  if (it != rollouts_.end() && it->second.generation == generation) return;  // status writes, labels…
  Rollout r;
  r.generation = generation;
  r.startedAt = now;
  r.templateKey = d.value("/spec/template"_json_pointer, Json::object()).dump();
  r.scalingOnly = it != rollouts_.end() && it->second.templateKey == r.templateKey &&
                  ((it->second.finished && !it->second.neverReady) || it->second.scalingOnly);
  std::string readyAfter =
      meta.value("annotations", Json::object()).value("sandbox.aviary.io/ready-after", std::string());
  auto delay = readyAfter.empty() ? std::optional(defaultReadyAfter_) : parseShortDuration(readyAfter);
  r.readyAt = now + delay.value_or(defaultReadyAfter_);
  r.neverReady = d.value("/spec/template/metadata/annotations"_json_pointer, Json::object())
                     .value("sandbox.aviary.io/never-ready", "") == "true";
  r.deadline = now + std::chrono::seconds(d.value("/spec/progressDeadlineSeconds"_json_pointer, 600));
  if (d.value("/spec/replicas"_json_pointer, 1) == 0) {
    // Nothing to start: the rollout of this template is complete at once.
    r.neverReady = false;
    r.readyAt = now;
  }
  rollouts_[key] = r;
  writeStatus(meta.value("namespace", ""), meta.value("name", ""), r, false, false);
}

void DeploymentSimulator::writeStatus(const std::string& ns, const std::string& name, const Rollout& r,
                                      bool ready, bool failed) {
  std::string now = formatRfc3339(std::chrono::system_clock::now());
  (void)store_.modify(
      *kind_, ns, name,
      [&](const Json& current) -> Result<Json> {
        if (current["metadata"].value("generation", 0LL) != r.generation) return current;  // superseded
        Json next = current;
        int replicas = current.value("/spec/replicas"_json_pointer, 1);
        Json old = current.value("status", Json::object());
        // While new pods start, the old ones keep serving (a surge rollout): status.replicas counts both,
        // which `kubectl rollout status` reports as old replicas pending termination.
        int oldAvailable = ready ? 0 : std::min(old.value("availableReplicas", 0), replicas);
        int readyNow = ready ? replicas : oldAvailable;
        Json status = {{"observedGeneration", r.generation},
                       {"replicas", replicas + oldAvailable},
                       {"updatedReplicas", replicas},
                       {"readyReplicas", readyNow},
                       {"availableReplicas", readyNow}};
        if (!ready) status["unavailableReplicas"] = replicas - oldAvailable;
        auto condition = [&](const char* type, const char* value, const char* reason,
                             const std::string& message) {
          return Json{{"type", type},       {"status", value},       {"reason", reason},
                      {"message", message}, {"lastUpdateTime", now}, {"lastTransitionTime", now}};
        };
        bool available = readyNow >= replicas;
        Json conditions = Json::array();
        conditions.push_back(available ? condition("Available", "True", "MinimumReplicasAvailable",
                                                   "Deployment has minimum availability.")
                                       : condition("Available", "False", "MinimumReplicasUnavailable",
                                                   "Deployment does not have minimum availability."));
        if (failed) {
          conditions.push_back(condition("Progressing", "False", "ProgressDeadlineExceeded",
                                         "ReplicaSet \"" + name + "\" has timed out progressing."));
        } else if (ready || r.scalingOnly) {
          conditions.push_back(condition("Progressing", "True", "NewReplicaSetAvailable",
                                         "ReplicaSet \"" + name + "\" has successfully progressed."));
        } else {
          conditions.push_back(condition("Progressing", "True", "ReplicaSetUpdated",
                                         "ReplicaSet \"" + name + "\" is progressing."));
        }
        status["conditions"] = conditions;
        next["status"] = status;
        return next;
      },
      WriteTarget::Status);
}

void DeploymentSimulator::run() {
  if (!kind_) return;
  long long cursor = store_.currentResourceVersion();
  auto initial = store_.list(*kind_, "", LabelSelector(), FieldSelector(), 0, "");
  auto now = std::chrono::steady_clock::now();
  if (initial) {
    cursor = std::stoll(initial->resourceVersion);
    for (const auto& d : initial->items) observe(d, now);
  }
  while (!stopping_) {
    auto wakeAt = std::chrono::steady_clock::now() + std::chrono::milliseconds(200);
    for (const auto& [key, r] : rollouts_) {
      if (!r.finished && !(r.neverReady && r.scalingOnly))
        wakeAt = std::min(wakeAt, r.neverReady ? r.deadline : r.readyAt);
    }
    auto events = store_.eventsAfter(*kind_, "", cursor, wakeAt);
    now = std::chrono::steady_clock::now();
    if (!events) {
      // Our history position expired (a burst of writes): start again from the current state.
      rollouts_.clear();
      auto fresh = store_.list(*kind_, "", LabelSelector(), FieldSelector(), 0, "");
      if (fresh) {
        cursor = std::stoll(fresh->resourceVersion);
        for (const auto& d : fresh->items) observe(d, now);
      }
      continue;
    }
    for (const auto& e : *events) {
      cursor = e.rv;
      const Json& meta = (*e.object)["metadata"];
      if (e.type == "DELETED") {
        rollouts_.erase(meta.value("namespace", "") + "/" + meta.value("name", ""));
      } else {
        observe(*e.object, now);
      }
    }
    for (auto& [key, r] : rollouts_) {
      if (r.finished) continue;
      auto slash = key.find('/');
      std::string ns = key.substr(0, slash), name = key.substr(slash + 1);
      if (!r.neverReady && now >= r.readyAt) {
        r.finished = true;
        writeStatus(ns, name, r, true, false);
      } else if (r.neverReady && !r.scalingOnly && now >= r.deadline) {
        r.finished = true;
        writeStatus(ns, name, r, false, true);
      }
    }
  }
}

}  // namespace aviary::sandbox
