#include "operator/controller/planner.h"

#include <algorithm>

#include "operator/controller/tracked_configs.h"
#include "operator/core/time_format.h"

namespace aviary::controller {
namespace {

using api::Phase;
using std::chrono::milliseconds;

// While waiting for a rollout, look again this often even without an informer event.
constexpr milliseconds kRolloutPoll{1000};

class Planner {
 public:
  explicit Planner(const PlanInput& in)
      : in_(in), c_(*in.canary), spec_(c_.spec), obs_(in.observed), now_(formatRfc3339(in.now)) {
    p_.status = c_.status;
    p_.status.observedGeneration = c_.generation;
    id_ = c_.name + "." + c_.ns;
  }

  Plan run() {
    if (c_.deleting) return terminate();
    if (!in_.specErrors.empty()) return invalid();
    bool hasFinalizer = std::count(c_.finalizers.begin(), c_.finalizers.end(), kFinalizer) > 0;
    if (spec_.revertOnDeletion && !hasFinalizer) p_.actions.push_back({ActionType::AddFinalizer, 0, 0, 0});
    if (!spec_.revertOnDeletion && hasFinalizer) p_.actions.push_back({ActionType::RemoveFinalizer, 0, 0, 0});
    if (!obs_.target.exists) return targetMissing();
    ready();
    switch (c_.status.phase) {
      case Phase::None:
      case Phase::Initializing:
        initialize();
        break;
      case Phase::Initialized:
      case Phase::Succeeded:
      case Phase::Failed:
        idle();
        break;
      case Phase::Progressing:
      case Phase::Waiting:
      case Phase::WaitingPromotion:
        progress();
        break;
      case Phase::Promoting:
        promoting();
        break;
      case Phase::Finalising:
        finalise();
        break;
      case Phase::Terminating:
      case Phase::Terminated:
        break;
    }
    return std::move(p_);
  }

 private:
  // --- conditions and events -------------------------------------------------------------------
  bool setCondition(const std::string& type, const std::string& status, const std::string& reason,
                    const std::string& message) {
    const api::Condition* before = c_.status.condition(type);
    bool changed =
        !before || before->status != status || before->reason != reason || before->message != message;
    p_.status.setCondition({type, status, reason, message, c_.generation, "", ""}, now_);
    return changed;
  }
  void event(const std::string& reason, const std::string& message) {
    p_.events.push_back({false, reason, message});
  }
  void warning(const std::string& reason, const std::string& message) {
    p_.events.push_back({true, reason, message});
  }
  void transition(Phase phase) {
    p_.status.phase = phase;
    p_.status.lastTransitionTime = now_;
  }
  void routes(int canaryWeight) {
    p_.actions.push_back({ActionType::EnsureRoutes, 0, 100 - canaryWeight, canaryWeight});
  }
  void scaleTarget(int replicas) { p_.actions.push_back({ActionType::ScaleTarget, replicas, 0, 0}); }
  void requeue(milliseconds after) { p_.requeueAfter = std::max(milliseconds(0), after); }

  Plan invalid() {
    std::string message;
    for (const auto& e : in_.specErrors) message += (message.empty() ? "" : "; ") + e.describe();
    if (setCondition("Ready", "False", "InvalidSpec", message))
      warning("InvalidSpec", "Invalid canary " + id_ + ": " + message);
    return std::move(p_);
  }

  Plan targetMissing() {
    std::string message = spec_.targetRef.kind + " " + c_.ns + "/" + spec_.targetRef.name + " not found";
    if (setCondition("Ready", "False", "TargetNotFound", message)) warning("TargetNotFound", message);
    return std::move(p_);
  }

  void ready() {
    std::string message;
    for (const auto& u : spec_.unsupported) message += (message.empty() ? "" : ", ") + u;
    if (!message.empty()) message = "accepted but not supported yet (ignored): " + message;
    if (setCondition("Ready", "True", message.empty() ? "Valid" : "NotSupportedYet", message) &&
        !message.empty()) {
      warning("NotSupportedYet", "Canary " + id_ + " " + message);
    }
  }

  // Deleted with revertOnDeletion: bring the target back (running the last promoted version) before
  // taking traffic away from the primary, so no request meets a Service without ready pods.
  Plan terminate() {
    if (std::count(c_.finalizers.begin(), c_.finalizers.end(), kFinalizer) == 0) return std::move(p_);
    if (c_.status.phase != Phase::Terminating) {
      transition(Phase::Terminating);
      event("Synced", "Canary " + id_ + " deleted: restoring " + spec_.targetRef.name);
    }
    bool promotedBefore = !c_.status.lastPromotedSpec.empty() && obs_.primary.exists;
    if (obs_.target.exists && promotedBefore) {
      p_.actions.push_back({ActionType::RestoreTarget, std::max(1, obs_.primary.replicas), 0, 0});
      bool restored = obs_.target.replicas > 0 && obs_.target.ready &&
                      obs_.target.templateHash == c_.status.lastPromotedSpec;
      if (!restored) {
        requeue(kRolloutPoll);
        return std::move(p_);
      }
    }
    p_.actions.push_back({ActionType::RevertRouting, 0, 0, 0});
    p_.actions.push_back({ActionType::RemoveFinalizer, 0, 0, 0});
    transition(Phase::Terminated);
    event("Synced", "Canary " + id_ + " removed: " + spec_.targetRef.name + " serves the traffic again");
    return std::move(p_);
  }

  // --- revisions -----------------------------------------------------------------------------------
  bool configsChanged() const {
    return !obs_.trackedConfigs.empty() && obs_.trackedConfigs != c_.status.trackedConfigs;
  }
  bool revisionChangedSinceApplied() const {
    return obs_.target.templateHash != c_.status.lastAppliedSpec || configsChanged();
  }
  int canaryReplicas() const { return std::max(1, obs_.primary.replicas); }

  void startAnalysis(const std::string& why) {
    transition(Phase::Progressing);
    p_.status.canaryWeight = 0;
    p_.status.failedChecks = 0;
    p_.status.iterations = 0;
    p_.status.lastAppliedSpec = obs_.target.templateHash;
    p_.status.trackedConfigs = obs_.trackedConfigs;
    p_.status.analysisMetrics.clear();
    p_.status.analysisMessage.clear();
    p_.status.analysisTime.clear();
    setCondition("Promoted", "Unknown", "Progressing", "New revision detected, progressing canary analysis.");
    scaleTarget(canaryReplicas());
    routes(0);
    event("Synced", why);
    requeue(spec_.analysis.interval);
  }

  void rollback(const std::string& why) {
    warning("Synced", why);
    transition(Phase::Failed);
    p_.status.canaryWeight = 0;
    routes(0);
    scaleTarget(0);
    setCondition("Promoted", "False", "Failed", why);
    warning("Synced", "Canary failed! Scaling down " + id_);
    requeue(spec_.analysis.interval);
  }

  // --- phases --------------------------------------------------------------------------------------
  void initialize() {
    p_.actions.push_back({ActionType::InitializePrimary, 0, 0, 0});
    // Services and routes only once the primary serves: an apex Service without ready pods fails requests.
    if (!obs_.primary.exists || !obs_.primary.ready) {
      if (c_.status.phase != Phase::Initializing) {
        transition(Phase::Initializing);
        setCondition("Promoted", "Unknown", "Initializing", "Primary " + c_.primaryName() + " is starting.");
        event("Synced", "Initializing " + id_ + ": starting " + c_.primaryName());
      }
      requeue(kRolloutPoll);
      return;
    }
    routes(0);
    scaleTarget(0);
    transition(Phase::Initialized);
    p_.status.canaryWeight = 0;
    p_.status.failedChecks = 0;
    p_.status.iterations = 0;
    p_.status.lastAppliedSpec = obs_.target.templateHash;
    p_.status.lastPromotedSpec = obs_.target.templateHash;
    p_.status.trackedConfigs = obs_.trackedConfigs;
    setCondition("Promoted", "True", "Initialized", "Deployment initialization completed.");
    event("Synced", "Initialization done! " + id_);
    requeue(spec_.analysis.interval);
  }

  void idle() {
    bool differs = obs_.target.templateHash != c_.status.lastAppliedSpec &&
                   obs_.target.templateHash != c_.status.lastPromotedSpec;
    if ((differs || configsChanged()) && !spec_.suspend) {
      startAnalysis("New revision detected! Scaling up " + id_);
      return;
    }
    routes(0);
    if (obs_.target.replicas != 0) scaleTarget(0);
    requeue(spec_.analysis.interval);
  }

  void progress() {
    if (spec_.suspend) return;  // frozen where it is; a change to the Canary wakes it
    if (revisionChangedSinceApplied()) {
      startAnalysis("New revision detected, restarting analysis of " + id_);
      return;
    }
    const int weight = c_.status.canaryWeight;
    auto last = parseRfc3339(c_.status.lastTransitionTime);
    auto due = last ? *last + spec_.analysis.interval : in_.now;
    // The Canary's own deadline, measured by Aviary from the last transition and checked before the step
    // time: a real Deployment scaled up from zero after its template changed reports Progressing=True
    // (NewReplicaSetAvailable) for ever and never sets ProgressDeadlineExceeded (found on the real control
    // plane, issue 9), so the Deployment's condition is only one more signal.
    const auto deadline = std::chrono::seconds(spec_.progressDeadlineSeconds);
    // When an unready target must be looked at again at the latest (without a transition time, due is
    // now: the next rollout poll).
    const milliseconds untilDeadline =
        last ? std::chrono::duration_cast<milliseconds>(*last + deadline - in_.now) : kRolloutPoll;
    if (!obs_.target.ready && last && in_.now - *last >= deadline) {
      rollback("Rolling back " + id_ + ": canary deployment " + spec_.targetRef.name +
               " not ready within the progress deadline (" + std::to_string(spec_.progressDeadlineSeconds) +
               "s)");
      return;
    }
    if (in_.now < due) {
      routes(weight);
      milliseconds wait = std::chrono::duration_cast<milliseconds>(due - in_.now);
      requeue(obs_.target.ready ? wait : std::min(wait, untilDeadline));
      return;
    }
    if (obs_.target.progressDeadlineExceeded) {
      rollback("Rolling back " + id_ + ": canary deployment " + spec_.targetRef.name +
               " exceeded its progress deadline (" + std::to_string(spec_.progressDeadlineSeconds) + "s)");
      return;
    }
    if (!obs_.target.ready) {
      routes(weight);
      event("Synced",
            "Halt advancement " + id_ + ": waiting for " + spec_.targetRef.name + " rollout to finish");
      requeue(std::min<milliseconds>({spec_.analysis.interval, kRolloutPoll, untilDeadline}));
      return;
    }
    if (spec_.skipAnalysis) {
      promote(weight, "Skipping analysis for " + id_ + "; copying " + spec_.targetRef.name + " template to " +
                          c_.primaryName());
      return;
    }
    if (weight > 0 && !recordChecks()) return;
    int next = nextWeight(spec_.analysis, weight);
    if (weight > 0 && next == weight) {
      promote(weight, "Copying " + spec_.targetRef.name + "." + c_.ns + " template spec to " +
                          c_.primaryName() + "." + c_.ns);
      return;
    }
    routes(next);
    p_.status.canaryWeight = next;
    p_.status.lastTransitionTime = now_;
    event("Synced", "Advance " + id_ + " canary weight " + std::to_string(next));
    requeue(spec_.analysis.interval);
  }

  // Records the check results; false when a check failed (the step holds or rolls back).
  bool recordChecks() {
    std::vector<api::MetricResult> results;
    if (in_.checks) {
      results = *in_.checks;
    } else {
      // Fail safe: a reconcile that did not run the checks can never advance.
      for (const auto& m : spec_.analysis.metrics) {
        results.push_back({m.name, std::nullopt, m.range, false, "checks were not run"});
      }
    }
    p_.status.analysisMetrics = results;
    p_.status.analysisTime = now_;
    std::vector<const api::MetricResult*> failed;
    for (const auto& r : results) {
      if (!r.passed) failed.push_back(&r);
    }
    if (failed.empty()) {
      p_.status.analysisMessage = results.empty() ? "no metrics configured" : "all checks passed";
      return true;
    }
    std::string summary;
    for (const auto* r : failed) summary += (summary.empty() ? "" : "; ") + r->message;
    p_.status.analysisMessage = summary;
    p_.status.failedChecks = c_.status.failedChecks + 1;
    p_.status.lastTransitionTime = now_;
    for (const auto* r : failed) warning("Synced", "Halt " + id_ + " advancement: " + r->message);
    if (p_.status.failedChecks >= spec_.analysis.threshold) {
      rollback("Rolling back " + id_ + ": failed checks threshold reached " +
               std::to_string(p_.status.failedChecks));
    } else {
      routes(c_.status.canaryWeight);
      requeue(spec_.analysis.interval);
    }
    return false;
  }

  void promote(int weight, const std::string& message) {
    p_.actions.push_back({ActionType::PromoteToPrimary, 0, 0, 0});
    routes(weight);
    transition(Phase::Promoting);
    event("Synced", message);
    requeue(kRolloutPoll);
  }

  void promoting() {
    p_.actions.push_back({ActionType::PromoteToPrimary, 0, 0, 0});
    bool promoted = obs_.primary.templateHash == c_.status.lastAppliedSpec &&
                    obs_.primary.configsChecksum == configsChecksum(c_.status.trackedConfigs) &&
                    obs_.primary.ready;
    if (!promoted) {
      routes(c_.status.canaryWeight);
      requeue(kRolloutPoll);
      return;
    }
    routes(0);
    transition(Phase::Finalising);
    p_.status.canaryWeight = 0;
    event("Synced", "Routing all traffic to primary " + c_.primaryName() + "." + c_.ns);
    requeue(milliseconds(0));
  }

  void finalise() {
    routes(0);
    scaleTarget(0);
    transition(Phase::Succeeded);
    p_.status.canaryWeight = 0;
    p_.status.lastPromotedSpec = c_.status.lastAppliedSpec;
    setCondition("Promoted", "True", "Succeeded",
                 "Canary analysis completed successfully, promotion finished.");
    event("Synced", "Promotion completed! Scaling down " + id_);
    requeue(spec_.analysis.interval);
  }

  const PlanInput& in_;
  const api::Canary& c_;
  const api::CanarySpec& spec_;
  const Observed& obs_;
  std::string now_, id_;
  Plan p_;
};

}  // namespace

int nextWeight(const api::AnalysisSpec& a, int current) {
  int next = current;
  if (!a.stepWeights.empty()) {
    for (int w : a.stepWeights) {
      if (w > current) {
        next = w;
        break;
      }
    }
  } else {
    next = current + a.stepWeight;
  }
  return std::min(next, a.maxWeight);
}

bool checksDue(const PlanInput& in) {
  const api::Canary& c = *in.canary;
  if (!in.specErrors.empty() || !in.observed.target.exists) return false;
  if (c.status.phase != Phase::Progressing || c.spec.suspend || c.spec.skipAnalysis) return false;
  if (c.status.canaryWeight <= 0) return false;
  if (in.observed.target.templateHash != c.status.lastAppliedSpec) return false;
  if (!in.observed.target.ready || in.observed.target.progressDeadlineExceeded) return false;
  auto last = parseRfc3339(c.status.lastTransitionTime);
  return !last || in.now >= *last + c.spec.analysis.interval;
}

Plan plan(const PlanInput& in) {
  return Planner(in).run();
}

}  // namespace aviary::controller
