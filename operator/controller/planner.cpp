#include "operator/controller/planner.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <functional>

#include "operator/controller/sequential_look.h"
#include "operator/controller/tracked_configs.h"
#include "operator/core/time_format.h"

namespace aviary::controller {
namespace {

using api::Phase;
using std::chrono::milliseconds;

class Planner {
 public:
  explicit Planner(const PlanInput& in)
      : in_(in), c_(*in.canary), spec_(c_.spec), obs_(in.observed), now_(formatRfc3339(in.now)) {
    p_.status = c_.status;
    p_.status.observedGeneration = c_.generation;
    id_ = c_.name + "." + c_.ns;
  }

  Plan run() {
    Plan p = decide();
    // Every condition speaks for the current spec (`kubectl wait --for=condition=promoted` compares
    // observedGeneration): a spec edit that changes no condition must still move their generation.
    for (auto& condition : p.status.conditions) condition.observedGeneration = c_.generation;
    return p;
  }

 private:
  Plan decide() {
    if (c_.deleting) return terminate();
    if (!in_.specErrors.empty()) return invalid();
    bool hasFinalizer = std::count(c_.finalizers.begin(), c_.finalizers.end(), kFinalizer) > 0;
    if (spec_.revertOnDeletion && !hasFinalizer) p_.actions.push_back({ActionType::AddFinalizer, 0, 0, 0});
    if (!spec_.revertOnDeletion && hasFinalizer) p_.actions.push_back({ActionType::RemoveFinalizer, 0, 0, 0});
    if (!obs_.target.exists) return targetMissing();
    if (!obs_.targetSelectorProblem.empty()) return unselectable();
    if (!spec_.unsupported.empty()) return notSupportedYet();
    ready();
    if (c_.status.request && handleRequest(*c_.status.request)) return std::move(p_);
    switch (c_.status.phase) {
      case Phase::None:
      case Phase::Initializing:
        initialize();
        break;
      case Phase::Failed:
        // A Canary whose initialization failed has nothing promoted yet: it goes on initializing.
        if (c_.status.lastPromotedSpec.empty()) {
          initialize();
        } else {
          idle();
        }
        break;
      case Phase::Initialized:
      case Phase::Succeeded:
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

  // --- conditions and events -------------------------------------------------------------------
  bool setCondition(const std::string& type, const std::string& status, const std::string& reason,
                    const std::string& message) {
    const api::Condition* before = c_.status.condition(type);
    bool changed =
        !before || before->status != status || before->reason != reason || before->message != message;
    p_.status.setCondition({type, status, reason, message, c_.generation, "", ""}, now_);
    return changed;
  }
  void event(const std::string& reason, const std::string& message, AlertLevel alert = AlertLevel::None) {
    p_.events.push_back({false, reason, message, alert});
  }
  void warning(const std::string& reason, const std::string& message, AlertLevel alert = AlertLevel::None) {
    p_.events.push_back({true, reason, message, alert});
  }
  void transition(Phase phase) {
    p_.status.phase = phase;
    p_.status.lastTransitionTime = now_;
  }
  // Blue/green and A/B (analysis.iterations, which takes precedence over the step weights, as in Flagger):
  // the canary is analysed for that many intervals with no share of the traffic (only mirrored copies or
  // matched requests reach it), then all traffic switches to it while the primary is promoted.
  bool iterationsMode() const { return spec_.analysis.iterations > 0; }
  // Blue/green's checks after the switch (postPromotionIterations) are all done.
  bool postSwitchDone() const {
    return c_.status.iterations >= spec_.analysis.iterations + spec_.analysis.postPromotionIterations;
  }
  // Whether the canary gets mirrored copies at `weight` while analysed: every iteration of a blue/green,
  // or the first step (weight 0) of a progressive canary, before any shift (Flagger's mirroring).
  bool mirrored(int weight) const {
    return spec_.analysis.mirror && weight < 100 && (iterationsMode() || weight == 0);
  }
  // The routes for `canaryWeight`; while the analysis runs (the planned phase) on a canary whose pods
  // serve, with A/B matches and mirroring as the spec asks (matched users must never meet a canary that
  // is still scaling up: a weight only moves once it is ready, and so do these).
  void routes(int canaryWeight) {
    Action a{ActionType::EnsureRoutes, 0, 100 - canaryWeight, canaryWeight};
    const bool analysing =
        p_.status.phase == Phase::Progressing || p_.status.phase == Phase::WaitingPromotion;
    const bool canaryServes = obs_.target.ready && obs_.target.replicas > 0;
    if (analysing && canaryServes && canaryWeight < 100) {
      a.matchToCanary = spec_.analysis.match.is_array() && !spec_.analysis.match.empty();
      if (mirrored(canaryWeight))
        a.mirrorPercent = spec_.analysis.mirrorWeight > 0 ? spec_.analysis.mirrorWeight : 100;
    }
    if (spec_.analysis.sessionAffinity) stickySessions(canaryWeight, a);
    p_.actions.push_back(a);
  }
  // Session affinity (analysis.sessionAffinity): while the canary has a share of the traffic, its
  // responses set a cookie and requests that carry it go to the canary (with primaryCookieName, the
  // primary's responses likewise, for one interval). Each run has a cookie value of its own. Once the
  // canary has no share, requests still carrying the last run's cookie go to the primary, which tells the
  // client to drop it.
  void stickySessions(int canaryWeight, Action& a) {
    const api::SessionAffinitySpec& sa = *spec_.analysis.sessionAffinity;
    api::CanaryStatus& s = p_.status;
    if (canaryWeight > 0) {
      std::string token = in_.sessionToken;
      if (token.size() < 32) {
        const unsigned long long h = std::hash<std::string>{}(c_.uid + "/" + s.lastAppliedSpec);
        char hex[33];
        std::snprintf(hex, sizeof hex, "%016llx%016llx", h, h ^ 0x9e3779b97f4a7c15ull);
        token = hex;
      }
      if (s.sessionAffinityCookie.empty())
        s.sessionAffinityCookie = sa.cookieName + "=" + token.substr(0, 16);
      if (!sa.primaryCookieName.empty() && s.primarySessionAffinityCookie.empty())
        s.primarySessionAffinityCookie = sa.primaryCookieName + "=" + token.substr(16, 16);
      a.canaryCookie = s.sessionAffinityCookie;
      if (!sa.primaryCookieName.empty()) a.primaryCookie = s.primarySessionAffinityCookie;
      return;
    }
    if (!s.sessionAffinityCookie.empty()) s.previousSessionAffinityCookie = s.sessionAffinityCookie;
    s.sessionAffinityCookie.clear();
    s.primarySessionAffinityCookie.clear();
    a.expiredCookie = s.previousSessionAffinityCookie;
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

  // A field whose feature is not built yet stops the Canary where it is, like an invalid spec: a gate such
  // as confirm-promotion (a human approval) must never turn into an automatic promotion.
  Plan notSupportedYet() {
    std::string fields;
    for (const auto& u : spec_.unsupported) fields += (fields.empty() ? "" : ", ") + u;
    const std::string message = "not supported yet: " + fields +
                                "; the Canary is stopped (nothing is changed) until these fields are removed";
    if (setCondition("Ready", "False", "NotSupportedYet", message))
      warning("NotSupportedYet", "Canary " + id_ + " " + message);
    return std::move(p_);
  }

  // The target's pods cannot be told apart from the primary's: nothing can be routed. The status says why
  // and the next Deployment change wakes the Canary (no retries meanwhile).
  Plan unselectable() {
    if (setCondition("Ready", "False", "TargetNotSelectable", obs_.targetSelectorProblem))
      warning("TargetNotSelectable", "Canary " + id_ + ": " + obs_.targetSelectorProblem);
    return std::move(p_);
  }

  void ready() {
    std::string message;
    // Flagger ignores maxWeight when stepWeights is set; so does Aviary, and says so.
    if (!spec_.analysis.stepWeights.empty() && spec_.analysis.maxWeightSet) {
      message = "spec.analysis.maxWeight (" + std::to_string(spec_.analysis.maxWeight) +
                ") is ignored because spec.analysis.stepWeights is set";
    }
    if (spec_.analysis.iterations > 0 &&
        (spec_.analysis.stepWeight > 0 || !spec_.analysis.stepWeights.empty())) {
      message =
          "spec.analysis.stepWeight and stepWeights are ignored because spec.analysis.iterations is set "
          "(blue/green" +
          std::string(spec_.analysis.match.is_null() ? "" : ", A/B") + ")";
    }
    if (setCondition("Ready", "True", "Valid", message) && !message.empty())
      warning(spec_.analysis.iterations > 0 ? "StepWeightIgnored" : "MaxWeightIgnored",
              "Canary " + id_ + ": " + message);
  }

  // --- operators' requests (kubectl aviary) ----------------------------------------------------------
  // Acts on status.request once: records it in status.lastRequest (with who asked, what came of it) and an
  // Event, and clears it. True when it decided this pass (a promotion, rollback or new analysis).
  bool handleRequest(const api::OperatorRequest& request) {
    p_.status.request.reset();
    if (c_.status.lastRequest && c_.status.lastRequest->id == request.id) return false;  // asked twice
    const std::string by = request.requestedBy.empty() ? "unknown" : request.requestedBy;
    const Phase phase = c_.status.phase;
    auto done = [&](const std::string& what) { answer(request, "Done", what + " (asked by " + by + ")"); };
    auto ignored = [&](const std::string& why) {
      answer(request, "Ignored", "nothing done: " + why + " (asked by " + by + ")");
      return false;
    };
    const std::string& action = request.action;
    if (action == "pause") {
      p_.status.paused = true;
      done("Paused " + id_ + ": no step is taken until it is resumed");
      return false;
    }
    if (action == "resume") {
      if (!c_.status.paused) return ignored("not paused");
      p_.status.paused = false;
      done("Resumed " + id_);
      return false;
    }
    const bool analysing = phase == Phase::Progressing || phase == Phase::WaitingPromotion;
    if (action == "promote") {
      if (!analysing)
        return ignored("no analysis to cut short (phase " + std::string(api::phaseName(phase)) + ")");
      if (revisionChangedSinceApplied()) return ignored("a newer revision is waiting to be analysed");
      if (!obs_.target.ready) return ignored("the canary " + spec_.targetRef.name + " is not ready");
      done("Promoting " + id_ + ", skipping the remaining steps");
      promote(c_.status.canaryWeight, "Copying " + spec_.targetRef.name + "." + c_.ns + " template spec to " +
                                          c_.primaryName() + "." + c_.ns + " (promoted by " + by + ")");
      return true;
    }
    if (action == "abort") {
      if (!analysing && phase != Phase::Waiting)
        return ignored("no release to abort (phase " + std::string(api::phaseName(phase)) + ")");
      done("Aborted " + id_);
      rollback("Rolling back " + id_ + ": aborted by " + by);
      return true;
    }
    if (action == "retry") {
      const bool failedRelease = phase == Phase::Failed && !c_.status.lastPromotedSpec.empty() &&
                                 c_.status.canaryWeight == 0 && !targetIsPromotedRevision();
      if (!failedRelease)
        return ignored("no failed release to retry (phase " + std::string(api::phaseName(phase)) + ")");
      done("Retrying the analysis of " + id_);
      beginRelease("Retrying the analysis of " + id_ + " as asked by " + by + "; scaling up " + id_);
      return true;
    }
    return ignored("unknown action \"" + action + "\"");
  }
  void answer(const api::OperatorRequest& request, const std::string& outcome, const std::string& message) {
    api::OperatorRequest handled = request;
    handled.handledAt = now_;
    handled.outcome = outcome;
    handled.message = message;
    p_.status.lastRequest = handled;
    std::string reason = request.action;  // PromoteRequested, AbortRequested, …
    if (!reason.empty()) reason[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(reason[0])));
    reason += "Requested";
    if (outcome == "Done") {
      event(reason, message, AlertLevel::Info);
    } else {
      warning(reason, message);
    }
  }

  // --- deadlines -----------------------------------------------------------------------------------
  // Every wait is bounded by the Canary's progressDeadlineSeconds, measured by Aviary from the transition
  // that started it (status.lastTransitionTime); a Deployment's own condition is only one more signal.
  std::chrono::seconds deadline() const { return std::chrono::seconds(spec_.progressDeadlineSeconds); }
  bool pastDeadline() const {
    auto last = parseRfc3339(c_.status.lastTransitionTime);
    return last && in_.now - *last >= deadline();
  }
  // While waiting for a Deployment's rollout, how long to go without looking when no event comes. The
  // Deployment watch wakes the Canary on every change of its target and primary, so this only bounds a
  // lost event, as Flagger's once-per-interval check does. It was 1 s: at 10,000 Canaries waiting for
  // their rollouts that was 1,850 reconciles a second for nothing (issue 15, docs/performance.md).
  // Never longer than the progress deadline (a 5 min interval must not let a 60 s deadline pass
  // unnoticed while nothing changes), never shorter than a second (an invalid interval on a Canary being
  // deleted).
  milliseconds rolloutPoll() const {
    const milliseconds deadlineMs = std::max<milliseconds>(std::chrono::seconds(1), deadline());
    return std::clamp<milliseconds>(spec_.analysis.interval, std::chrono::seconds(1), deadlineMs);
  }
  // When to look again while waiting: the rollout poll, or the deadline if it comes first.
  milliseconds waitPoll() const {
    auto last = parseRfc3339(c_.status.lastTransitionTime);
    if (!last) return rolloutPoll();
    // Rounded up: a wait that ends within the next millisecond must not become a requeue of zero.
    return std::min(rolloutPoll(), std::chrono::ceil<milliseconds>(*last + deadline() - in_.now));
  }
  std::string deadlineText() const {
    return "the progress deadline (" + std::to_string(spec_.progressDeadlineSeconds) + "s)";
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
        if (c_.status.phase == Phase::Terminating && pastDeadline()) {
          // Moving the traffic to pods that are not ready would be an outage: the Canary keeps its
          // finalizer, the primary keeps serving, and the status says what is awaited.
          const std::string message = "restoring " + spec_.targetRef.name + ": not ready within " +
                                      deadlineText() + "; " + c_.primaryName() +
                                      " keeps serving until it is (remove the finalizer " + kFinalizer +
                                      " to give up)";
          if (setCondition("Ready", "False", "ProgressDeadlineExceeded", message))
            warning("ProgressDeadlineExceeded", "Canary " + id_ + " " + message, AlertLevel::Error);
          requeue(spec_.analysis.interval);
        } else {
          requeue(c_.status.phase == Phase::Terminating ? waitPoll() : rolloutPoll());
        }
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
  // The canary runs what the user asked for when the new revision sets replicas (2 → 4), else as many as
  // the primary (the target was scaled to zero by Aviary, and `kubectl apply` leaves that alone).
  int canaryReplicas() const {
    return obs_.target.replicas > 0 ? obs_.target.replicas : std::max(1, obs_.primary.replicas);
  }
  // A replica-ratio provider sizes the canary from its weight itself (its routes are the replica count).
  bool routerSizesCanary() const { return in_.capabilities.replicaRatio; }
  // What a promotion gives the primary: the canary's replicas (Flagger's behaviour), unless an autoscaler
  // owns the count (0: the primary keeps its own).
  int promotedReplicas() const {
    return spec_.autoscalerRef || routerSizesCanary() ? 0 : obs_.target.replicas;
  }

  // The status of a revision that starts now in `phase` (Waiting for approval, or Progressing).
  void applyRevision(Phase phase) {
    transition(phase);
    p_.status.canaryWeight = 0;
    p_.status.failedChecks = 0;
    p_.status.iterations = 0;
    p_.status.lastAppliedSpec = obs_.target.templateHash;
    p_.status.trackedConfigs = obs_.trackedConfigs;
    p_.status.sequential.reset();  // a new release's tests start from nothing, whatever the revision
  }

  void startAnalysis(const std::string& why) {
    applyRevision(Phase::Progressing);
    p_.status.analysisMetrics.clear();
    p_.status.analysisMessage.clear();
    p_.status.analysisTime.clear();
    setCondition("Promoted", "Unknown", "Progressing", "New revision detected, progressing canary analysis.");
    if (!routerSizesCanary()) scaleTarget(canaryReplicas());
    routes(0);
    event("Synced", why, AlertLevel::Info);
    requeue(spec_.analysis.interval);
  }

  // A new revision: its analysis starts now, or once its rollout is approved (confirm-rollout hooks).
  void beginRelease(const std::string& why) {
    if (hooks("confirm-rollout").empty()) return startAnalysis(why);
    applyRevision(Phase::Waiting);
    setCondition("Promoted", "Unknown", "Waiting", "New revision detected, waiting for rollout approval.");
    if (obs_.target.replicas != 0) scaleTarget(0);
    routes(0);
    event("Synced", "New revision detected! Waiting for approval to start the analysis of " + id_,
          AlertLevel::Info);
    // Asked at once (for the new status's step), then every interval while the gate is closed.
    Needs needs{stepId(p_.status), false, hooks("confirm-rollout")};
    for (const auto& n : hooks("rollback")) needs.hooks.push_back(n);
    p_.needs = std::move(needs);
    requeue(spec_.analysis.interval);
  }

  void rollback(const std::string& why) {
    p_.notify = hooks("post-rollout");
    warning("Synced", why, AlertLevel::Error);
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
    // Ready, and running what the target runs now (the primary follows the target until initialized).
    const bool primaryServes = obs_.primary.exists && obs_.primary.ready &&
                               obs_.primary.templateHash == obs_.target.templateHash &&
                               obs_.primary.configsChecksum == configsChecksum(obs_.trackedConfigs);
    if (!primaryServes) {
      if (c_.status.phase == Phase::None) {
        transition(Phase::Initializing);
        setCondition("Promoted", "Unknown", "Initializing", "Primary " + c_.primaryName() + " is starting.");
        event("Synced", "Initializing " + id_ + ": starting " + c_.primaryName());
        requeue(rolloutPoll());
      } else if (c_.status.phase == Phase::Initializing && pastDeadline()) {
        const std::string why = "Initialization of " + id_ + " failed: " + c_.primaryName() +
                                " not ready within " + deadlineText();
        transition(Phase::Failed);
        setCondition("Promoted", "False", "ProgressDeadlineExceeded", why);
        warning("Synced", why, AlertLevel::Error);
        requeue(spec_.analysis.interval);  // the primary's Deployment events wake it sooner
      } else {
        requeue(c_.status.phase == Phase::Initializing ? waitPoll() : spec_.analysis.interval);
      }
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

  // Whether the target is back at what the primary runs (template and config contents).
  bool targetIsPromotedRevision() const {
    return obs_.target.templateHash == c_.status.lastPromotedSpec &&
           configsChecksum(obs_.trackedConfigs) == obs_.primary.configsChecksum;
  }

  void idle() {
    if (c_.status.phase == Phase::Failed && c_.status.canaryWeight > 0) {
      haltedPromotion();
      return;
    }
    if (targetIsPromotedRevision()) {
      // Reverted to what runs (after a failed release, say): nothing to analyse, but it is the revision
      // applied now, so applying the failed one again is a new revision.
      p_.status.lastAppliedSpec = obs_.target.templateHash;
      p_.status.trackedConfigs = obs_.trackedConfigs;
    } else {
      bool differs = obs_.target.templateHash != c_.status.lastAppliedSpec &&
                     obs_.target.templateHash != c_.status.lastPromotedSpec;
      if ((differs || configsChanged()) && !spec_.suspend && !p_.status.paused) {
        beginRelease("New revision detected! Scaling up " + id_);
        return;
      }
    }
    routes(0);
    if (obs_.target.replicas != 0) scaleTarget(0);
    requeue(std::max<milliseconds>(spec_.analysis.interval, in_.idleResync));
  }

  void progress() {
    if (spec_.suspend || p_.status.paused) return;  // frozen where it is; a change to the Canary wakes it
    if (revisionChangedSinceApplied()) {
      beginRelease("New revision detected, restarting analysis of " + id_);
      return;
    }
    if (c_.status.phase == Phase::Waiting) {
      awaitRolloutApproval();
      return;
    }
    const int weight = c_.status.canaryWeight;
    if (iterationsMode() && weight == 100 && postSwitchDone()) {
      // Every iteration passed and all traffic reached the canary (the last pass): the primary follows.
      promote(weight, "Copying " + spec_.targetRef.name + "." + c_.ns + " template spec to " +
                          c_.primaryName() + "." + c_.ns);
      return;
    }
    auto last = parseRfc3339(c_.status.lastTransitionTime);
    auto due = last ? *last + spec_.analysis.interval : in_.now;
    // The Canary's own deadline comes before the step time: a real Deployment scaled up from zero after its
    // template changed reports Progressing=True (NewReplicaSetAvailable) for ever and never sets
    // ProgressDeadlineExceeded (found on the real control plane, issue 9).
    if (!obs_.target.ready && pastDeadline()) {
      rollback("Rolling back " + id_ + ": canary deployment " + spec_.targetRef.name + " not ready within " +
               deadlineText());
      return;
    }
    if (in_.now < due) {
      routes(weight);
      milliseconds wait = std::chrono::duration_cast<milliseconds>(due - in_.now);
      requeue(obs_.target.ready ? wait : std::min(wait, waitPoll()));
      return;
    }
    if (obs_.target.progressDeadlineExceeded) {
      // The Deployment's own deadline (its spec.progressDeadlineSeconds, judged by the Deployment
      // controller), not the Canary's: the Canary's figure would misstate which one ran out.
      rollback("Rolling back " + id_ + ": canary deployment " + spec_.targetRef.name +
               " exceeded its progress deadline (its Progressing condition says ProgressDeadlineExceeded)");
      return;
    }
    if (!obs_.target.ready) {
      routes(weight);
      event("Synced",
            "Halt advancement " + id_ + ": waiting for " + spec_.targetRef.name + " rollout to finish");
      requeue(std::min<milliseconds>(spec_.analysis.interval, waitPoll()));
      return;
    }
    if (spec_.skipAnalysis) {
      promote(weight, "Skipping analysis for " + id_ + "; copying " + spec_.targetRef.name + " template to " +
                          c_.primaryName());
      return;
    }
    decideStep(weight);
  }

  // --- webhooks --------------------------------------------------------------------------------------
  std::vector<std::string> hooks(std::string_view type) const {
    std::vector<std::string> names;
    for (const auto& w : spec_.analysis.webhooks) {
      if (w.type == type) names.push_back(w.name);
    }
    return names;
  }
  // The gathered results for this step, if they are this step's.
  const Gathered* gatheredNow() const {
    return in_.gathered && in_.gathered->step == stepId(c_.status) ? &*in_.gathered : nullptr;
  }
  // The first of `names` that did not pass in `g` (a missing answer does not pass), as "name: why";
  // nullopt when every one passed.
  std::optional<std::string> firstClosed(const Gathered& g, const std::vector<std::string>& names) const {
    for (const auto& n : names) {
      auto it = g.hooks.find(n);
      if (it == g.hooks.end()) return n + ": no answer";
      if (!it->second.passed) return n + ": " + it->second.message;
    }
    return std::nullopt;
  }
  // A rollback hook that answered 2xx: the analysis stops now (Flagger's rollback webhook).
  bool rollbackRequested(const Gathered& g) {
    for (const auto& n : hooks("rollback")) {
      auto it = g.hooks.find(n);
      if (it != g.hooks.end() && it->second.passed) {
        rollback("Rolling back " + id_ + ": rollback hook " + n + " approved");
        return true;
      }
    }
    return false;
  }
  // Asks for `needs` and holds the weight until they arrive (they wake the Canary; the requeue is only a
  // safety net).
  void gather(Needs needs, int weight) {
    p_.needs = std::move(needs);
    routes(weight);
    requeue(spec_.analysis.interval);
  }
  // A gate still closed: hold where the Canary is, look again in an interval (a new step identity, so the
  // next look asks the gate afresh).
  void holdAtGate(int weight, const std::string& message) {
    p_.status.lastTransitionTime = now_;
    routes(weight);
    event("Synced", message);
    requeue(spec_.analysis.interval);
  }

  // A due step on a ready canary: gather what it needs (checks once there is traffic; rollback and rollout
  // hooks; pre-rollout hooks before the first traffic; the gate of what comes next), then decide it.
  void decideStep(int weight) {
    const bool iterations = iterationsMode();
    const int next = iterations ? weight : nextWeight(spec_.analysis, weight);
    // Blue/green: the switch once the iterations passed; after it, promotion once the post-switch ones did.
    const bool switched = iterations && weight == 100;
    const int goal = spec_.analysis.iterations + (switched ? spec_.analysis.postPromotionIterations : 0);
    const bool promotionNext = iterations ? c_.status.iterations + 1 >= goal : weight > 0 && next == weight;
    // The first step: no traffic shifted and no iteration done yet (pre-rollout hooks run then).
    const bool first = iterations ? c_.status.iterations == 0 : weight == 0;
    // Checks need the canary to get requests: a share, or (blue/green, mirroring) requests sent to it by
    // load testers, matches or mirroring.
    Needs needs{stepId(c_.status), weight > 0 || iterations || mirrored(weight), hooks("rollback")};
    // The sequential tests read their counters at every step, the first (no traffic yet) included: it is
    // their baseline.
    needs.counters = spec_.analysis.sequential.has_value();
    for (const auto& n : hooks("rollout")) needs.hooks.push_back(n);
    if (first) {
      for (const auto& n : hooks("pre-rollout")) needs.hooks.push_back(n);
    }
    const std::vector<std::string> gate =
        hooks(promotionNext ? "confirm-promotion" : "confirm-traffic-increase");
    for (const auto& n : gate) needs.hooks.push_back(n);
    const Gathered* g = gatheredNow();
    if ((needs.checks || needs.counters || !needs.hooks.empty()) && !g)
      return gather(std::move(needs), weight);
    static const Gathered kNothing;
    if (!g) g = &kNothing;
    p_.stepDecided = true;
    p_.firstStep = first;
    if (rollbackRequested(*g)) return;
    if (sequentialDecided(*g, weight)) return;
    // Failed checks and failed rollout/pre-rollout hooks count alike toward the threshold.
    std::vector<std::pair<std::string, bool>> hookFailures;
    for (const auto& w : spec_.analysis.webhooks) {
      if (w.type != "rollout" && (w.type != "pre-rollout" || !first)) continue;
      auto it = g->hooks.find(w.name);
      if (it == g->hooks.end() || !it->second.passed) {
        hookFailures.emplace_back(w.type + " hook " + w.name +
                                      " failed: " + (it == g->hooks.end() ? "no answer" : it->second.message),
                                  !w.muteAlert);
      }
    }
    if (splitFailure_) hookFailures.emplace_back(*splitFailure_, true);
    const std::size_t eventsBefore = p_.events.size();
    if (!recordStep(g->checks, needs.checks, hookFailures)) {
      if (switched && p_.status.phase != Phase::Failed) {
        // Users are on the canary: a failed check after the switch sends them back at once (the step's
        // "halt" is replaced by the rollback, which names the failures).
        std::erase_if(p_.actions, [](const Action& a) { return a.type == ActionType::EnsureRoutes; });
        p_.events.resize(eventsBefore);
        rollback("Rolling back " + id_ + ": a check failed after the switch to the canary (" +
                 p_.status.analysisMessage + ")");
      }
      return;
    }
    if (auto closed = firstClosed(*g, gate)) {
      if (promotionNext) {
        // confirm-promotion: WaitingPromotion at the full weight; checks and rollout hooks keep running.
        if (c_.status.phase != Phase::WaitingPromotion) {
          transition(Phase::WaitingPromotion);
          setCondition("Promoted", "Unknown", "WaitingPromotion", "Waiting for promotion approval.");
        }
        holdAtGate(weight, "Halt " + id_ + " advancement: waiting for promotion approval (" + *closed + ")");
      } else {
        // confirm-traffic-increase holds the weight; not a failed check, and the analysis goes on.
        holdAtGate(weight, "Halt " + id_ + " advancement: waiting for approval to increase traffic (" +
                               *closed + ")");
      }
      return;
    }
    if (promotionNext && switched) {
      p_.status.iterations = c_.status.iterations + 1;
      promote(weight, "Copying " + spec_.targetRef.name + "." + c_.ns + " template spec to " +
                          c_.primaryName() + "." + c_.ns);
      return;
    }
    if (promotionNext && iterations) {
      // Blue/green: all traffic to the canary first; the promotion starts once the routes carry it (at
      // once, or after the post-switch checks).
      p_.status.iterations = c_.status.iterations + 1;
      p_.status.canaryWeight = 100;
      p_.status.lastTransitionTime = now_;
      if (c_.status.phase != Phase::Progressing) p_.status.phase = Phase::Progressing;
      routes(100);
      const int post = spec_.analysis.postPromotionIterations;
      event("Synced", "Routing all traffic to canary " + id_ +
                          (post > 0 ? "; " + std::to_string(post) + " checks before promotion" : ""));
      requeue(post > 0 ? spec_.analysis.interval : milliseconds(0));
      return;
    }
    if (promotionNext) {
      promote(weight, "Copying " + spec_.targetRef.name + "." + c_.ns + " template spec to " +
                          c_.primaryName() + "." + c_.ns);
      return;
    }
    if (iterations) {
      p_.status.iterations = c_.status.iterations + 1;
      p_.status.lastTransitionTime = now_;
      if (c_.status.phase != Phase::Progressing) p_.status.phase = Phase::Progressing;
      routes(weight);
      if (switched) {
        event("Synced", "Check " + std::to_string(p_.status.iterations - spec_.analysis.iterations) + "/" +
                            std::to_string(spec_.analysis.postPromotionIterations) +
                            " after the switch passed for " + id_);
      } else {
        event("Synced", "Advance " + id_ + " canary iteration " + std::to_string(p_.status.iterations) + "/" +
                            std::to_string(spec_.analysis.iterations));
      }
      requeue(spec_.analysis.interval);
      return;
    }
    routes(next);
    p_.status.canaryWeight = next;
    p_.status.lastTransitionTime = now_;
    if (c_.status.phase != Phase::Progressing) p_.status.phase = Phase::Progressing;
    event("Synced", "Advance " + id_ + " canary weight " + std::to_string(next));
    requeue(spec_.analysis.interval);
  }

  // confirm-rollout: a new revision waits (Waiting, nothing scaled up) until every confirm-rollout hook
  // passes; a rollback hook ends the wait as a failure.
  void awaitRolloutApproval() {
    if (hooks("confirm-rollout").empty()) {  // the gate was removed while waiting
      startAnalysis("No rollout approval needed any more; scaling up " + spec_.targetRef.name);
      return;
    }
    auto last = parseRfc3339(c_.status.lastTransitionTime);
    const Gathered* g = gatheredNow();
    if (!g) {
      routes(0);
      // Between polls (the first was asked for on entering Waiting; results in flight wake the Canary).
      if (last && in_.now < *last + spec_.analysis.interval) {
        requeue(std::chrono::ceil<milliseconds>(*last + spec_.analysis.interval - in_.now));
        return;
      }
      Needs needs{stepId(c_.status), false, hooks("confirm-rollout")};
      for (const auto& n : hooks("rollback")) needs.hooks.push_back(n);
      p_.needs = std::move(needs);
      requeue(spec_.analysis.interval);
      return;
    }
    if (rollbackRequested(*g)) return;
    if (auto closed = firstClosed(*g, hooks("confirm-rollout"))) {
      routes(0);
      p_.status.lastTransitionTime = now_;  // the next poll, an interval from now, is a new step
      event("Synced", "Halt " + id_ + " advancement: waiting for rollout approval (" + *closed + ")");
      requeue(spec_.analysis.interval);
      return;
    }
    startAnalysis("Rollout of " + id_ + " approved; scaling up " + spec_.targetRef.name);
  }

  static std::string verdicts(const std::vector<api::MetricResult>& results) {
    std::string out;
    for (const auto& r : results) out += (out.empty() ? "" : "; ") + r.message;
    return out;
  }

  // Adds this step's counters to the sequential tests (spec.analysis.sequential); true when they decided
  // the step: a bad-request test rejected the canary (rolled back at once, without waiting for the
  // threshold), or the canary does not get its weight's share of requests (the step holds: every other
  // analysis would be meaningless).
  bool sequentialDecided(const Gathered& g, int weight) {
    if (!spec_.analysis.sequential || !g.counters) return false;
    SequentialLook look = sequentialLook(*spec_.analysis.sequential, c_.status.sequential,
                                         c_.status.lastAppliedSpec, *g.counters, weight);
    p_.status.sequential = std::move(look.status);
    if (look.rollback) {
      rollback("Rolling back " + id_ + ": sequential analysis: " + *look.rollback);
      return true;
    }
    if (look.splitMismatch) {
      // Every other analysis is meaningless while the router ignores the weights: the step holds, says why,
      // and counts as a failed check, so a mismatch that lasts rolls back at the threshold.
      splitFailure_ = "traffic split: " + *look.splitMismatch;
      setCondition("Promoted", "Unknown", "TrafficSplitMismatch", *splitFailure_);
    }
    return false;
  }
  std::optional<std::string> splitFailure_;  // this step's traffic-split mismatch, counted as a failure

  // Records the step's check results (when it had checks) and hook failures; false when anything failed
  // (the step holds, or rolls back at the threshold).
  // A hook failure carries whether it is alerted (a webhook's muteAlert turns that off).
  bool recordStep(const std::vector<api::MetricResult>& results, bool hadChecks,
                  const std::vector<std::pair<std::string, bool>>& hookFailures) {
    std::vector<std::pair<std::string, bool>> failures;
    if (hadChecks) {
      p_.status.analysisMetrics = results;
      p_.status.analysisTime = now_;
      for (const auto& r : results) {
        if (!r.passed) failures.emplace_back(r.message, true);
      }
    }
    failures.insert(failures.end(), hookFailures.begin(), hookFailures.end());
    if (failures.empty()) {
      if (hadChecks)
        p_.status.analysisMessage =
            results.empty() ? "no metrics configured" : "all checks passed: " + verdicts(results);
      return true;
    }
    std::string summary;
    for (const auto& f : failures) summary += (summary.empty() ? "" : "; ") + f.first;
    p_.status.analysisMessage = summary;
    p_.status.failedChecks = c_.status.failedChecks + 1;
    p_.status.lastTransitionTime = now_;
    for (const auto& [text, alerted] : failures)
      warning("Synced", "Halt " + id_ + " advancement: " + text,
              alerted ? AlertLevel::Warn : AlertLevel::None);
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
    p_.actions.push_back({ActionType::PromoteToPrimary, promotedReplicas(), 0, 0});
    transition(Phase::Promoting);  // first: the routes of a promotion carry no A/B match and no mirror
    routes(weight);
    event("Synced", message);
    requeue(rolloutPoll());
  }

  // A promotion that missed its deadline (Failed with the canary still serving its share). Traffic moves to
  // the primary only once it is ready: with the promoted revision (the promotion finished late), or with
  // the last promoted one if the user went back to it (the primary is given it back). A new revision
  // waits meanwhile: starting its analysis would route everything to the primary that is not ready.
  void haltedPromotion() {
    if (promotionDone()) {
      transition(Phase::Succeeded);
      p_.status.canaryWeight = 0;
      p_.status.lastPromotedSpec = c_.status.lastAppliedSpec;
      setCondition("Promoted", "True", "Succeeded", "Promotion finished after its progress deadline.");
      event("Synced", "Promotion completed late! " + c_.primaryName() + " is ready; scaling down " + id_);
      routes(0);
      scaleTarget(0);
      requeue(spec_.analysis.interval);
      return;
    }
    // Back at the stable revision: it was analysed before, so the primary may run it again.
    const bool reverted = obs_.target.templateHash == c_.status.lastPromotedSpec;
    const bool restored = reverted && obs_.primary.ready &&
                          obs_.primary.templateHash == obs_.target.templateHash &&
                          obs_.primary.configsChecksum == configsChecksum(obs_.trackedConfigs);
    requeue(spec_.analysis.interval);
    if (restored) {
      p_.status.canaryWeight = 0;
      p_.status.lastAppliedSpec = obs_.target.templateHash;
      p_.status.trackedConfigs = obs_.trackedConfigs;
      event("Synced",
            "Primary " + c_.primaryName() + " is back at the promoted revision; scaling down " + id_);
      routes(0);
      scaleTarget(0);
      return;
    }
    if (reverted) p_.actions.push_back({ActionType::PromoteToPrimary, 0, 0, 0});
    routes(c_.status.canaryWeight);
  }

  // The primary runs the promoted template, configs and replicas, and every replica is ready.
  bool promotionDone() const {
    const int replicas = promotedReplicas();
    return obs_.primary.templateHash == c_.status.lastAppliedSpec &&
           obs_.primary.configsChecksum == configsChecksum(c_.status.trackedConfigs) && obs_.primary.ready &&
           (replicas == 0 || obs_.primary.replicas == replicas);
  }

  void promoting() {
    p_.actions.push_back({ActionType::PromoteToPrimary, promotedReplicas(), 0, 0});
    if (!promotionDone()) {
      // Traffic never moves to a primary that is not ready: the canary keeps its share meanwhile.
      routes(c_.status.canaryWeight);
      if (pastDeadline()) {
        const std::string why = "Promotion of " + id_ + " halted: " + c_.primaryName() +
                                " did not finish its rollout within " + deadlineText() + "; " +
                                std::to_string(c_.status.canaryWeight) +
                                "% of the traffic stays on the canary until it does";
        transition(Phase::Failed);
        setCondition("Promoted", "False", "ProgressDeadlineExceeded", why);
        warning("Synced", why, AlertLevel::Error);
        requeue(spec_.analysis.interval);
        return;
      }
      requeue(waitPoll());
      return;
    }
    routes(0);
    transition(Phase::Finalising);
    p_.status.canaryWeight = 0;
    event("Synced", "Routing all traffic to primary " + c_.primaryName() + "." + c_.ns);
    requeue(milliseconds(0));
  }

  void finalise() {
    p_.notify = hooks("post-rollout");
    routes(0);
    scaleTarget(0);
    transition(Phase::Succeeded);
    p_.status.canaryWeight = 0;
    p_.status.lastPromotedSpec = c_.status.lastAppliedSpec;
    setCondition("Promoted", "True", "Succeeded",
                 "Canary analysis completed successfully, promotion finished.");
    event("Synced", "Promotion completed! Scaling down " + id_, AlertLevel::Info);
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
  if (a.stepWeights.empty()) return std::min(current + a.stepWeight, a.maxWeight);
  for (int w : a.stepWeights) {
    if (w > current) return w;
  }
  return current;
}

std::string stepId(const api::CanaryStatus& s) {
  return std::string(api::phaseName(s.phase)) + "/" + s.lastAppliedSpec + "/" +
         std::to_string(s.canaryWeight) + "/" + std::to_string(s.failedChecks) + "/" + s.lastTransitionTime;
}

Plan plan(const PlanInput& in) {
  return Planner(in).run();
}

}  // namespace aviary::controller
