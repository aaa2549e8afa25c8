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

namespace {
// "ns/name": how the simulator keys a Deployment.
std::string rolloutKey(const Json& meta) {
  return meta.value("namespace", "") + "/" + meta.value("name", "");
}
}  // namespace

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

std::optional<std::chrono::steady_clock::time_point> DeploymentSimulator::dueOf(const Rollout& r) {
  if (r.finished) return std::nullopt;
  if (!r.neverReady) return r.readyAt;
  if (!r.scalingOnly) return r.deadline;
  return std::nullopt;
}

void DeploymentSimulator::unschedule(const std::string& key, const Rollout& r) {
  if (auto when = dueOf(r)) due_.erase(Due{*when, key});
}

void DeploymentSimulator::forget(const std::string& key) {
  auto it = rollouts_.find(key);
  if (it == rollouts_.end()) return;
  unschedule(key, it->second);
  rollouts_.erase(it);
}

void DeploymentSimulator::observe(const Json& d, std::chrono::steady_clock::time_point now) {
  const Json& meta = d["metadata"];
  std::string key = rolloutKey(meta);
  long long generation = meta.value("generation", 0LL);
  std::string uid = meta.value("uid", "");
  auto it = rollouts_.find(key);
  if (it != rollouts_.end() && it->second.uid != uid) {
    forget(key);  // deleted and created again while we were not looking (a relist)
    it = rollouts_.end();
  }
  if (it != rollouts_.end() && it->second.generation == generation) return;  // status writes, labels…
  Rollout r;
  r.generation = generation;
  r.uid = uid;
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
  if (it != rollouts_.end()) unschedule(key, it->second);
  if (auto when = dueOf(r)) due_.insert(Due{*when, key});
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

std::optional<long long> DeploymentSimulator::relist(std::chrono::steady_clock::time_point now) {
  auto listed = store_.list(*kind_, "", LabelSelector(), FieldSelector(), 0, "");
  if (!listed) {
    spdlog::warn("deployment simulator: listing the Deployments: {}", listed.error().message);
    return std::nullopt;
  }
  // Rollouts whose generation did not change keep their clocks (observe ignores them): starting them all
  // again would rewrite every Deployment's status, and at scale that burst expired the history again.
  std::set<std::string> present;
  for (const auto& d : listed->items) {
    present.insert(rolloutKey(d["metadata"]));
    observe(d, now);
  }
  std::vector<std::string> gone;
  for (const auto& [key, r] : rollouts_)
    if (!present.count(key)) gone.push_back(key);
  for (const auto& key : gone) forget(key);
  return std::stoll(listed->resourceVersion);
}

void DeploymentSimulator::run() {
  if (!kind_) return;
  std::optional<long long> cursor;
  while (!stopping_) {
    if (!cursor) {  // the first pass, or a failed relist: try again shortly
      cursor = relist(std::chrono::steady_clock::now());
      if (!cursor) std::this_thread::sleep_for(std::chrono::milliseconds(100));
      continue;
    }
    auto wakeAt = std::chrono::steady_clock::now() + std::chrono::milliseconds(200);
    if (!due_.empty()) wakeAt = std::min(wakeAt, due_.begin()->first);
    auto events = store_.eventsAfter(*kind_, "", *cursor, wakeAt);
    auto now = std::chrono::steady_clock::now();
    if (!events) {
      // Our history position expired (a burst of writes): read the current state. The rollouts due are
      // still finished below, or constant expiry would hold them all back.
      const long long times = ++relists_;
      if (times == 1 || times % 100 == 0)
        spdlog::warn("deployment simulator: {}; listing the Deployments again ({} times so far)",
                     events.error().message, times);
      if (auto relisted = relist(now)) cursor = relisted;
    } else {
      for (const auto& e : *events) {
        cursor = e.rv;
        if (e.type == "DELETED") {
          forget(rolloutKey((*e.object)["metadata"]));
        } else {
          observe(*e.object, now);
        }
      }
    }
    while (!due_.empty() && due_.begin()->first <= now) {
      std::string key = due_.begin()->second;
      due_.erase(due_.begin());
      Rollout& r = rollouts_.at(key);
      r.finished = true;
      auto slash = key.find('/');
      // Ready at readyAt, or (never ready) failed at the progress deadline: dueOf chose which.
      writeStatus(key.substr(0, slash), key.substr(slash + 1), r, !r.neverReady, r.neverReady);
    }
  }
}

}  // namespace aviary::sandbox
