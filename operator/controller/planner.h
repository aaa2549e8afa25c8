// The canary state machine as a pure function (DESIGN §2): given the Canary (spec and status), what the
// reconciler observed in the cluster, the metric checks gathered for the step being decided, and the
// time, it returns the next status, the actions that make the cluster match it, the Events to record,
// when to look again, and what must be gathered before it can decide (the reconciler gathers it
// asynchronously, off the worker threads, and reconciles again when it arrives). The planner is the only
// author of "what is due". No I/O, no clock, no randomness: every transition is a table-driven unit test.
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "operator/api/canary.h"

namespace aviary::controller {

using TimePoint = std::chrono::system_clock::time_point;

// A Deployment as the caches see it.
struct WorkloadState {
  bool exists = false;
  std::string templateHash;  // api::canonicalHash of spec.template
  int replicas = 0;          // spec.replicas
  bool ready = false;        // the current generation rolled out and every replica available
  bool progressDeadlineExceeded = false;
  std::string configsChecksum;  // a primary: the checksum of the configs it was given
};

struct Observed {
  WorkloadState target;   // the Deployment the user changes
  WorkloadState primary;  // <target>-primary, which serves the stable version
  std::map<std::string, std::string>
      trackedConfigs;  // the target's ConfigMaps/Secrets: "configmap/x" → checksum
  // Why Aviary cannot select the target's pods (none of the selector labels, or a label value too long to
  // carry "-primary"); "" when it can. Reported as Ready=False; nothing is touched until the target changes.
  std::string targetSelectorProblem;
};

// A webhook's answer: passed when the receiver answered 200–202 (Flagger's rule).
struct HookResult {
  bool passed = false;
  std::string message;  // why not, for Events and the status
};

// What the planner needs before it can decide a step: the metric checks and webhooks (by name).
struct Needs {
  std::string step;  // stepId of the status the results are for
  bool checks = false;
  std::vector<std::string> hooks;
  bool counters = false;  // the sequential tests' counters (spec.analysis.sequential)
  bool operator==(const Needs&) const = default;
};

// The cumulative counters of the sequential tests ("canary.requests", … as in
// analysis/statistics/arm_counters.h), or why they could not be read.
struct CounterReadings {
  std::map<std::string, double> counters;
  std::string error;
};

// Results gathered for one step (stepId of the Canary when they were asked for).
struct Gathered {
  std::string step;
  std::vector<api::MetricResult> checks;    // when asked for
  std::map<std::string, HookResult> hooks;  // by webhook name
  std::optional<CounterReadings> counters;  // when asked for
};

struct PlanInput {
  const api::Canary* canary = nullptr;
  std::vector<api::FieldError> specErrors;  // decode + validation; non-empty → InvalidSpec, nothing touched
  Observed observed;
  // What was gathered for a step; used only when that step is the one being decided.
  std::optional<Gathered> gathered;
  TimePoint now;
  api::RouterCapabilities capabilities;  // of the Canary's provider
  // Fresh unguessable hex (32 characters) a new session-affinity cookie's value is taken from; the
  // planner stays deterministic given it. Empty: derived from the Canary's uid and revision (tests).
  std::string sessionToken;
  // How long an idle Canary (Initialized, Succeeded, or Failed with no traffic on the canary: nothing in
  // flight) waits to be looked at again when nothing changes. Everything it depends on is watched — the
  // Canary, the target and primary Deployments, their ConfigMaps and Secrets, Aviary's Services and routes
  // — so this is a safety net, not the way changes are noticed; never shorter than analysis.interval.
  // At 10,000 idle Canaries an interval of 10 s would cost 1,000 reconciles/s for nothing (issue 15).
  std::chrono::milliseconds idleResync{std::chrono::minutes(5)};
};

enum class ActionType {
  InitializePrimary,  // create/update <target>-primary from the target (labels and configs rewritten)
  EnsureRoutes,       // Services and mesh objects exist, routing primaryWeight/canaryWeight
  ScaleTarget,        // set the target's replicas
  PromoteToPrimary,   // copy the target's template (and configs) to the primary
  AddFinalizer,       // revertOnDeletion: keep the Canary until its deletion has restored the target
  RemoveFinalizer,
  RestoreTarget,  // scale the target back up, running the last promoted template
  RevertRouting,  // apex Service back to the target's pods; mesh objects restored or removed;
                  // the primary and Aviary's other objects deleted
};

inline constexpr char kFinalizer[] = "aviary.io/finalizer";

struct Action {
  ActionType type;
  int replicas = 0;       // ScaleTarget; PromoteToPrimary (0: the primary keeps its own); RestoreTarget
  int primaryWeight = 0;  // EnsureRoutes
  int canaryWeight = 0;
  int mirrorPercent = 0;  // EnsureRoutes: copies of the primary's requests to the canary (analysis.mirror)
  bool matchToCanary = false;  // EnsureRoutes: analysis.match requests go to the canary (A/B)
  // EnsureRoutes, session affinity ("name=value", empty: none): the cookie the canary's responses set and
  // that routes back to it; the primary's (primaryCookieName); a past run's cookie to expire.
  std::string canaryCookie, primaryCookie, expiredCookie;
  bool operator==(const Action&) const = default;
};

// Which Events reach the Canary's alert providers (spec.analysis.alerts), at what severity: a new
// revision and a promotion (info), a halted step (warn), a rollback or a missed deadline (error). Routine
// steps and gates polled every interval are not alerted.
enum class AlertLevel { None, Info, Warn, Error };

struct PlannedEvent {
  bool warning = false;
  std::string reason, message;
  AlertLevel alert = AlertLevel::None;
};

struct Plan {
  api::CanaryStatus status;
  std::vector<Action> actions;
  std::vector<PlannedEvent> events;
  // When to reconcile again; nullopt = only when something changes (informer events).
  std::optional<std::chrono::milliseconds> requeueAfter;
  // What must be gathered before the step can be decided; the plan holds the weight meanwhile and
  // records nothing about the step. Gathered results are used once: a plan that has them and asks again
  // (a gate still closed) gets fresh answers.
  std::optional<Needs> needs;
  // Webhooks to call once whose answers change nothing (post-rollout), by name.
  std::vector<std::string> notify;
  // This plan decided a due step (advanced, promoted, held at a gate, or recorded a failed check), with its
  // checks' and hooks' answers; requeueAfter is then when the next step is due. `firstStep`: the release's
  // first, which also waited for the canary's pods to roll out. (The reconciler measures how late steps
  // are from these: lastTransitionTime has only a second's resolution.)
  bool stepDecided = false;
  bool firstStep = false;
};

// Identifies the step a status is at (revision, weight, failed checks, last transition): results gathered
// for one step are never used to decide another.
std::string stepId(const api::CanaryStatus& status);

Plan plan(const PlanInput& in);

// The weight after `current` when the last step passed: the next stepWeights entry (maxWeight does not apply
// then, as in Flagger), or current+stepWeight never above maxWeight.
int nextWeight(const api::AnalysisSpec& analysis, int current);

}  // namespace aviary::controller
