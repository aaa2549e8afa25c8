// One reconcile of one Canary: read the Canary and its Deployments from the informer caches, ask the
// planner (with the check results gathered for the step it decides, if any), carry out its actions
// (primary, Services, routes, scaling, promotion), then write the status through /status with the
// Canary's resourceVersion and record the planner's Events. When the planner asks for checks, they are
// gathered asynchronously (every query in flight at once on cpprestsdk's pool, none on a worker thread)
// and the Canary is woken when they arrive. Level-triggered and idempotent: a failed action leaves the
// status as it was, so the next reconcile plans the same step again.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "analysis/alerts/alert_provider.h"
#include "analysis/alerts/alert_sender.h"
#include "analysis/checks/metric_checks.h"
#include "analysis/checks/metric_provider.h"
#include "analysis/webhooks/webhook_client.h"
#include "mesh-adapters/router.h"
#include "operator/controller/cached_canary.h"
#include "operator/controller/planner.h"
#include "operator/controller/routes_memo.h"
#include "operator/controller/step_schedule.h"
#include "operator/controller/tracked_configs.h"
#include "operator/controller/workload_actions.h"
#include "operator/core/egress_policy.h"
#include "operator/kube/event_recorder.h"
#include "operator/kube/kube_client.h"
#include "operator/kube/store.h"
#include "operator/kube/writes_in_flight.h"

namespace aviary::controller {

class ControllerMetrics;

inline const kube::ResourceType kCanaries{"aviary.io", "v1beta1", "canaries", "Canary", true};
inline const kube::ResourceType kAlertProviders{"aviary.io", "v1beta1", "alertproviders", "AlertProvider",
                                                true};
inline const kube::ResourceType kMetricTemplates{"aviary.io", "v1beta1", "metrictemplates", "MetricTemplate",
                                                 true};

struct ControllerOptions {
  std::string ns;  // "" = all namespaces
  std::string defaultProvider = "istio";
  std::string metricsServer = "http://prometheus:9090";
  std::vector<std::string> selectorLabels = {"app", "name", "app.kubernetes.io/name"};
  int workers = 2;
  std::chrono::milliseconds prometheusTimeout{5000};
  // Tenant limits (docs/security.md): hosts a Canary's metricsServer may name besides metricsServer's own
  // (--metrics-server-allow), hosts and gateways outside a Canary's namespace, inline PromQL.
  std::vector<std::string> metricsServerAllow;
  api::TrafficScopePolicy trafficScope;
  bool inlineQueries = true;
  // Webhook hosts a Canary may name besides Services of its own namespace (--webhook-allow).
  std::vector<std::string> webhookAllow;
  // metrics[].templateRef may name a MetricTemplate of another namespace (false: --no-cross-namespace-refs).
  bool crossNamespaceRefs = true;
  // How long a mesh takes to stop using routes Aviary removed (--route-settle-seconds). On deletion the
  // primary and its Services go only this long after the routes that name them: each proxy applies a
  // change some time after the API server accepted it, and a route to a deleted Service answers 503.
  std::chrono::milliseconds routeSettleTime{3000};
  // How often an idle Canary is looked at when no event concerns it (--resync-seconds); each Canary's
  // period is stretched by up to a tenth, by a hash of its key, so Canaries that went idle together are not
  // all looked at in the same second. See PlanInput::idleResync.
  std::chrono::milliseconds idleResync{std::chrono::minutes(5)};
  // Operator-wide notifications, Flagger's: alerts of every severity for Canaries that list no
  // analysis.alerts (--slack-url, --slack-channel, --slack-user, --msteams-url); every Canary Event posted
  // as an event webhook (--event-webhook); the cluster's name in alerts and event payloads
  // (--cluster-name). Set by the operator's administrator, so not subject to --webhook-allow.
  std::vector<analysis::AlertTarget> defaultAlerts;
  std::string eventWebhook;
  std::string clusterName;
};

// The idle resync period of the Canary `key` ("namespace/name"): `period` stretched by up to a tenth (to
// period + period/10 inclusive, in whole ms) by a hash of the key, the same for a key every time, so that
// Canaries that went idle together (a release of all of them) are not all looked at in one second.
std::chrono::milliseconds idleResyncOf(const std::string& key, std::chrono::milliseconds period);

struct ReconcileOutcome {
  std::optional<std::chrono::milliseconds> requeueAfter;
  Status error;  // not ok: retried with backoff
};

class Reconciler {
 public:
  using MetricsFactory = std::function<std::shared_ptr<analysis::MetricProvider>(const std::string& url)>;

  // `deployments` holds packed projections (workloads.h: deploymentProjection); `configMaps` and
  // `secrets` hold projections: metadata and the content's "checksum".
  Reconciler(kube::KubeClient& client, const kube::Store<CachedCanary>& canaries,
             const kube::Store<kube::PackedJson>& deployments, const kube::Store<kube::Json>& configMaps,
             const kube::Store<kube::Json>& secrets, const mesh::RouterRegistry& routers,
             kube::EventRecorder& events, ControllerOptions options, MetricsFactory metrics,
             std::shared_ptr<analysis::WebhookClient> webhooks = nullptr,
             std::shared_ptr<analysis::AlertSender> alerts = nullptr);

  ReconcileOutcome reconcile(const std::string& key);

  // True when a Canary's watch event needs no reconcile: it brings exactly the version this reconciler's
  // own last status write made (each write is recognised once) and no reconcile waits for the cache to
  // reach it, or it arrives while that Canary's status is being written (the writing reconcile compares
  // it with its answer and looks again at once if it was someone else's). Without this, every status
  // write cost one more whole pass (3.2 reconciles per step at 1,000 Canaries; docs/performance.md).
  // Thread-safe; called from the informer's thread after the cache holds the event's object.
  bool isOwnEcho(const std::string& key, const std::string& resourceVersion);

  // Called with a Canary's key when checks gathered for it arrive (the controller re-queues it). Set
  // before the first reconcile.
  void setWake(std::function<void(const std::string& key)> wake);
  // No wake is called after this returns (gathering still in flight is dropped when it answers).
  void stopGathering();
  // Where canary and webhook series go (/metrics); may be null. Set before the first reconcile; it must
  // outlive the reconciler and every call in flight.
  void setMetrics(ControllerMetrics* metrics) { controllerMetrics_ = metrics; }
  // Another client changed (or may have changed) a Service or route of the Canary `key`: its next pass runs
  // the router even if it asks for the routing the last one brought about (RoutesMemo). Thread-safe.
  void routesChanged(const std::string& key) { routesMemo_.invalidate(key); }

 private:
  // Whether, while Initializing, the primary Deployment this Canary made (owned by its uid) runs the
  // target's current template, as the Deployment cache's projections show them, for a target that reads
  // no ConfigMap or Secret. Given up on those passes: another client's edit of the primary's spec, and
  // the target's fields other than the template (labels, strategy), until initialization fails or the
  // next promotion.
  bool primaryRunsTarget(const api::Canary& c, const kube::Json& target, const kube::Json& primary) const;
  // `target` and `primary` are the cache's projections (workloads.h: deploymentProjection); the actions
  // that copy a template read the whole object first.
  Status execute(const Action& action, const api::Canary& canary, const kube::Json* target,
                 const kube::Json* primary, mesh::Router& router);
  // The whole Deployment `name` from the API server, for a clone, a promotion or a restore. With
  // `projected`, a waitingFor(...) error when the object's template is no longer the one the planner
  // decided on (the watch event of the change is on its way; the next pass decides again).
  Result<kube::Json> wholeDeployment(const std::string& ns, const std::string& name,
                                     const kube::Json* projected);
  // The metric provider for `url`, shared by the Canaries that use it; a Canary's previous URL is released.
  std::shared_ptr<analysis::MetricProvider> metricsFor(const std::string& canaryKey, const std::string& url);
  // Drops what is kept for a Canary that is gone (its share of the metric providers).
  void forget(const std::string& canaryKey);
  // Drops `canaryKey` from the users of the provider for `url`, and the provider with its last user.
  // Called with metricsMutex_ held.
  void releaseShare(const std::string& canaryKey, const std::string& url);
  // The Canary's checks ready to run: built-in and inline ones on its metrics server, templated ones on a
  // client for their MetricTemplate's provider (the template and its Secret read now, from the API server;
  // a template that cannot be used gives a failed check saying why).
  std::vector<analysis::PreparedCheck> prepareChecks(const std::string& key, const api::Canary& canary);
  // The results gathered for a Canary, if all have arrived.
  std::optional<Gathered> gathered(const std::string& key);
  // How long a gathering may wait for its answers before it is abandoned and asked afresh.
  std::chrono::milliseconds gatherDeadline(const api::Canary& canary) const;
  // Starts gathering `needs` unless that step's gathering is already under way (and not overdue) or done.
  // `status`: the planned status (its phase and revision go into webhook payloads).
  void startGathering(const std::string& key, const Needs& needs, const api::Canary& canary,
                      const api::CanaryStatus& status);
  // The webhook call for the Canary's hook `name`; the payload carries `status`'s phase and revision.
  std::optional<analysis::WebhookCall> webhookCall(const api::Canary& canary, const api::CanaryStatus& status,
                                                   const std::string& name) const;
  // Calls the Canary's hooks `names` once, logging failures (post-rollout; event hooks with `event`).
  void notify(const api::Canary& canary, const api::CanaryStatus& status,
              const std::vector<std::string>& names,
              const std::optional<analysis::CanaryEvent>& event = std::nullopt);
  // What the Canary's queries are rendered with, and its provider's built-in queries.
  analysis::CheckContext checkContext(const api::Canary& canary) const;
  // Its provider's counter queries for the sequential tests (none: the provider has none).
  std::optional<analysis::CounterQueryTemplates> counterTemplates(const api::Canary& canary) const;
  // The Prometheus the Canary's checks ask: its spec.metricsServer, or the operator's.
  std::string metricsServerOf(const api::Canary& canary) const;
  // For calls whose answer nothing waits for: a failure is logged ("canary KEY: WHAT: why") and counted.
  std::function<void(analysis::WebhookResult)> logFailure(const std::string& key,
                                                          const std::string& what) const;
  // Posts `event` to --event-webhook (Flagger's event payload; the cluster's name in its metadata).
  void postToEventWebhook(const api::Canary& canary, const api::CanaryStatus& status,
                          const analysis::CanaryEvent& event);
  // Sends `event` to the Canary's alert providers that want its severity (spec.analysis.alerts), or, when
  // it lists none, to the operator-wide ones. A provider that cannot be used is logged; nothing about
  // alerts changes the rollout.
  void alert(const api::Canary& canary, const PlannedEvent& event);
  // Why the Canary's webhook URLs may not be called: each outside the egress policy (docs/security.md).
  std::vector<api::FieldError> webhookProblems(const api::Canary& canary) const;
  // Drops what was gathered for `step` (consumed by a plan whose status was written).
  void dropGathered(const std::string& key, const std::string& step);

  kube::KubeClient& client_;
  const kube::Store<CachedCanary>& canaries_;
  const kube::Store<kube::PackedJson>& deployments_;
  const kube::Store<kube::Json>& configMaps_;
  const kube::Store<kube::Json>& secrets_;
  const mesh::RouterRegistry& routers_;
  WorkloadActions workloads_;
  kube::EventRecorder& events_;
  ControllerOptions options_;
  MetricsFactory metricsFactory_;
  EgressAllowList metricsServers_;
  EgressAllowList webhookHosts_;
  std::shared_ptr<analysis::WebhookClient> webhooks_;
  std::shared_ptr<analysis::AlertSender> alerts_;
  std::mutex metricsMutex_;
  struct SharedProvider {
    std::shared_ptr<analysis::MetricProvider> provider;
    std::set<std::string> users;  // Canary keys
  };
  std::map<std::string, SharedProvider> metrics_;    // by URL
  std::map<std::string, std::string> metricsUrlOf_;  // Canary key → URL
  // Checks being gathered or gathered, per Canary. Shared with the callbacks, which may outlive this.
  struct Gathering {
    Needs needs;
    bool inFlight = false;
    std::size_t pending = 0;  // answers still to come
    Gathered results;
    std::uint64_t generation = 0;  // which gathering an answer belongs to (the needs may change in a step)
    std::chrono::steady_clock::time_point started{};
  };
  struct GatherState {
    std::mutex mutex;
    std::map<std::string, Gathering> byCanary;
    std::uint64_t generations = 0;
    std::function<void(const std::string&)> wake;
  };
  std::shared_ptr<GatherState> gathering_ = std::make_shared<GatherState>();
  ControllerMetrics* controllerMetrics_ = nullptr;
  // Per Canary key, the resourceVersion our last status write replaced: while the cache still holds it,
  // the cache is behind our own write and nothing is planned from it.
  std::mutex writtenMutex_;
  std::map<std::string, std::pair<std::string, std::chrono::steady_clock::time_point>> supersededVersion_;
  // Per Canary key, the resourceVersion our last status write made, until its watch event is seen.
  std::map<std::string, std::string> ownWrite_;
  // Canaries whose reconcile found the cache behind their own write and waits for its watch event.
  std::set<std::string> awaitingEcho_;
  // Canaries whose status is being written, with the versions their watch events brought meanwhile.
  kube::WritesInFlight statusWrites_;
  // When each Canary's next step is due, for aviary_canary_step_lateness_seconds.
  StepSchedule steps_;
  // When this process removed a Canary's routes (restore on deletion), shared by its routers.
  mesh::RouteSettleClock settle_{options_.routeSettleTime};
  // Whose routes are as their last pass left them (the router is skipped while a pass asks the same). For
  // at most 30 s: a change no watch reported (a mesh whose CRDs came after start-up) is undone by then,
  // long before the write-through cache's copies expire, and a pass that repeats the last one's routing
  // comes one analysis interval after it (10 s in the scale harness, 1 min by default).
  RoutesMemo routesMemo_{std::chrono::seconds(30)};
};

}  // namespace aviary::controller
