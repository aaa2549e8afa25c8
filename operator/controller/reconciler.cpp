#include "operator/controller/reconciler.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "analysis/alerts/alert_provider.h"
#include "analysis/alerts/alert_severity.h"
#include "analysis/checks/metric_checks.h"
#include "analysis/prometheus/metrics_server_url.h"
#include "analysis/prometheus/prometheus_client.h"
#include "analysis/statistics/arm_counters.h"
#include "analysis/templates/metric_template.h"
#include "analysis/templates/template_provider.h"
#include "analysis/templates/template_ref.h"
#include "analysis/webhooks/webhook_scope.h"
#include "mesh-adapters/common/service_router.h"
#include "operator/controller/controller_metrics.h"
#include "operator/controller/primary_autoscaler.h"
#include "operator/controller/workloads.h"
#include "operator/core/base64.h"
#include "operator/core/random_token.h"
#include "operator/core/text_safety.h"
#include "operator/kube/object_sync.h"
#include "operator/kube/status_patch.h"

namespace aviary::controller {
namespace {

using mesh::isWaiting;
using mesh::kWaitPoll;

using kube::Json;

using mesh::withContext;

// How long a reconcile waits for the cache to catch up with our own status write before it plans anyway.
constexpr std::chrono::seconds kCacheCatchUp{10};

using kube::resourceVersionOf;

}  // namespace

std::chrono::milliseconds idleResyncOf(const std::string& key, std::chrono::milliseconds period) {
  const auto spread = period.count() / 10 + 1;
  return period + std::chrono::milliseconds(static_cast<long long>(std::hash<std::string>{}(key) % spread));
}

Reconciler::Reconciler(kube::KubeClient& client, const kube::Store<CachedCanary>& canaries,
                       const kube::Store<kube::PackedJson>& deployments, const kube::Store<Json>& configMaps,
                       const kube::Store<Json>& secrets, const mesh::RouterRegistry& routers,
                       kube::EventRecorder& events, ControllerOptions options, MetricsFactory metrics,
                       std::shared_ptr<analysis::WebhookClient> webhooks,
                       std::shared_ptr<analysis::AlertSender> alerts)
    : client_(client),
      canaries_(canaries),
      deployments_(deployments),
      configMaps_(configMaps),
      secrets_(secrets),
      routers_(routers),
      workloads_(client, configMaps, secrets),
      events_(events),
      options_(std::move(options)),
      metricsFactory_(std::move(metrics)),
      webhooks_(std::move(webhooks)),
      alerts_(std::move(alerts)) {
  std::vector<std::string> allowed = options_.metricsServerAllow;
  if (auto host = analysis::urlHost(options_.metricsServer)) allowed.push_back(*host);  // always trusted
  auto list = EgressAllowList::parse(allowed);
  // main() parses the flag first and reports a bad entry; an entry that still fails allows nothing more.
  if (list) metricsServers_ = std::move(*list);
  if (auto hooks = EgressAllowList::parse(options_.webhookAllow)) webhookHosts_ = std::move(*hooks);
}

std::shared_ptr<analysis::MetricProvider> Reconciler::metricsFor(const std::string& canaryKey,
                                                                 const std::string& url) {
  std::lock_guard lock(metricsMutex_);
  auto previous = metricsUrlOf_.find(canaryKey);
  if (previous != metricsUrlOf_.end() && previous->second != url) releaseShare(canaryKey, previous->second);
  metricsUrlOf_[canaryKey] = url;
  SharedProvider& shared = metrics_[url];
  shared.users.insert(canaryKey);
  if (!shared.provider) shared.provider = metricsFactory_(url);
  return shared.provider;
}

void Reconciler::releaseShare(const std::string& canaryKey, const std::string& url) {
  auto shared = metrics_.find(url);
  if (shared == metrics_.end()) return;
  shared->second.users.erase(canaryKey);
  if (shared->second.users.empty()) metrics_.erase(shared);  // its last Canary went elsewhere or away
}

void Reconciler::setWake(std::function<void(const std::string& key)> wake) {
  std::lock_guard lock(gathering_->mutex);
  gathering_->wake = std::move(wake);
}

void Reconciler::stopGathering() {
  std::lock_guard lock(gathering_->mutex);
  gathering_->wake = nullptr;
}

std::optional<Gathered> Reconciler::gathered(const std::string& key) {
  std::lock_guard lock(gathering_->mutex);
  auto it = gathering_->byCanary.find(key);
  if (it == gathering_->byCanary.end() || it->second.inFlight) return std::nullopt;
  return it->second.results;
}

void Reconciler::dropGathered(const std::string& key, const std::string& step) {
  std::lock_guard lock(gathering_->mutex);
  auto it = gathering_->byCanary.find(key);
  if (it != gathering_->byCanary.end() && it->second.needs.step == step && !it->second.inFlight)
    gathering_->byCanary.erase(it);
}

std::optional<analysis::WebhookCall> Reconciler::webhookCall(const api::Canary& c,
                                                             const api::CanaryStatus& status,
                                                             const std::string& name) const {
  for (const auto& w : c.spec.analysis.webhooks) {
    if (w.name != name) continue;
    // Flagger's payload: the phase the plan moves to (Succeeded or Failed for post-rollout) and the
    // revision it is about, so an approval can never be mistaken for another revision's.
    analysis::WebhookPayload payload{c.name, c.ns, api::phaseName(status.phase), status.lastAppliedSpec,
                                     w.metadata};
    return analysis::WebhookCall{w.name,       analysis::clusterLocalUrl(w.url, c.ns),
                                 w.timeout,    w.retries,
                                 w.disableTLS, std::move(payload)};
  }
  return std::nullopt;
}

std::chrono::milliseconds Reconciler::gatherDeadline(const api::Canary& c) const {
  // Twice the longest any answer may take by its own timeouts, and never less than a minute.
  std::chrono::milliseconds longest = options_.prometheusTimeout;
  for (const auto& w : c.spec.analysis.webhooks) longest = std::max(longest, w.timeout * (w.retries + 1));
  return std::max<std::chrono::milliseconds>(2 * longest, std::chrono::minutes(1));
}

void Reconciler::startGathering(const std::string& key, const Needs& needs, const api::Canary& c,
                                const api::CanaryStatus& status) {
  const std::size_t answers = (needs.checks ? 1 : 0) + (needs.counters ? 1 : 0) + needs.hooks.size();
  std::uint64_t generation = 0;
  {
    std::lock_guard lock(gathering_->mutex);
    Gathering& g = gathering_->byCanary[key];
    // Under way, or answered and waiting to be consumed (a consumed step is dropped, so asking for the
    // same step again after that gathers afresh). Different needs for the same step (the spec changed
    // meanwhile) start over: an answer for what is no longer asked, or none for what is, would mislead.
    // So does a gathering whose answers are overdue: each has a timeout of its own, so one that never
    // came was lost, and the Canary would otherwise wait for it for ever (seen once in 5,000 steps at
    // 1,000 Canaries: a Prometheus answer whose callback never ran). Its late answers are ignored.
    const auto now = std::chrono::steady_clock::now();
    if (g.needs == needs) {
      if (!g.inFlight) return;
      const auto deadline = gatherDeadline(c);
      if (now < g.started + deadline) return;
      spdlog::warn("canary {}: no answer to the checks and hooks of step {} within {} s; asking again", key,
                   needs.step, std::chrono::duration_cast<std::chrono::seconds>(deadline).count());
    }
    g = Gathering{needs, true, answers, Gathered{needs.step, {}, {}, std::nullopt}, ++gathering_->generations,
                  now};
    spdlog::debug("canary {}: asking {} answers for step {}", key, answers, needs.step);
    generation = g.generation;
    if (answers == 0) {  // nothing to ask: done at once
      g.inFlight = false;
      if (gathering_->wake) gathering_->wake(key);
      return;
    }
  }
  // Each answer lands here; the last one makes the results visible and wakes the Canary.
  std::weak_ptr<GatherState> state = gathering_;
  auto land = [state, key, generation](const std::function<void(Gathered&)>& fill) {
    auto s = state.lock();
    if (!s) return;  // the reconciler is gone
    std::lock_guard lock(s->mutex);
    auto it = s->byCanary.find(key);
    // The Canary moved on, or asked afresh within the step: this answer is for a gathering that is gone.
    if (it == s->byCanary.end() || it->second.generation != generation) return;
    fill(it->second.results);
    if (--it->second.pending > 0) return;
    it->second.inFlight = false;
    spdlog::debug("canary {}: answers for step {} are in", key, it->second.needs.step);
    if (s->wake) s->wake(key);
  };
  if (needs.checks) {
    analysis::CheckContext context = checkContext(c);
    analysis::runChecksAsync(prepareChecks(key, c), context, [land](std::vector<api::MetricResult> results) {
      land([&](Gathered& g) { g.checks = std::move(results); });
    });
  }
  if (needs.counters) {
    const auto& sequential = c.spec.analysis.sequential;
    auto queries = analysis::counterQueries(counterTemplates(c), c.spec.provider,
                                            {c.ns, c.spec.targetRef.name, c.primaryName()},
                                            sequential ? sequential->latencyMs : std::nullopt);
    if (!queries) {
      land([&](Gathered& g) { g.counters = CounterReadings{{}, queries.error().message}; });
    } else {
      analysis::readCountersAsync(
          *queries, metricsFor(key, metricsServerOf(c)), [land](Result<std::map<std::string, double>> read) {
            land([&](Gathered& g) {
              g.counters = read ? CounterReadings{*read, ""} : CounterReadings{{}, read.error().message};
            });
          });
    }
  }
  for (const auto& name : needs.hooks) {
    auto call = webhookCall(c, status, name);
    if (!call || !webhooks_) {
      land([&](Gathered& g) { g.hooks[name] = {false, "webhook " + name + " cannot be called"}; });
      continue;
    }
    webhooks_->callAsync(std::move(*call),
                         [land, name, metrics = controllerMetrics_](analysis::WebhookResult r) {
                           if (!r.passed && metrics) metrics->webhookFailures().inc({});
                           land([&](Gathered& g) { g.hooks[name] = {r.passed, r.passed ? "" : r.message}; });
                         });
  }
}

std::vector<analysis::PreparedCheck> Reconciler::prepareChecks(const std::string& key, const api::Canary& c) {
  std::shared_ptr<const analysis::MetricProvider> metrics = metricsFor(key, metricsServerOf(c));
  analysis::CheckContext context = checkContext(c);
  std::vector<analysis::PreparedCheck> out;
  for (const auto& check : c.spec.analysis.metrics) {
    if (!check.templateRef) {
      out.push_back(analysis::prepareCheck(check, context, metrics));
      continue;
    }
    auto failed = [&](const std::string& why) { out.push_back(analysis::failedCheck(check, why)); };
    auto ns = analysis::resolveTemplateNamespace(*check.templateRef, c.ns, {options_.crossNamespaceRefs});
    if (!ns) {
      failed(ns.error().message);
      continue;
    }
    const std::string where = "MetricTemplate " + quoteForMessage(*ns + "/" + check.templateRef->name);
    auto object = client_.get(kMetricTemplates, *ns, check.templateRef->name);
    if (!object) {
      failed(where +
             (object.error().code == ErrorCode::NotFound ? " not found" : ": " + object.error().message));
      continue;
    }
    auto decoded = analysis::decodeMetricTemplate(*object);
    if (!decoded.errors.empty()) {
      failed(where + ": " + decoded.errors.front().describe());
      continue;
    }
    const auto& metricTemplate = decoded.metricTemplate;
    std::optional<kube::Json> secret;
    if (!metricTemplate.provider.secretName.empty()) {
      // Read on demand, never cached or logged; only the keys the provider needs are used.
      auto s = client_.get(kube::resources::kSecrets, *ns, metricTemplate.provider.secretName);
      if (!s && s.error().code != ErrorCode::NotFound) {
        failed(where + ": reading its Secret: " + s.error().message);
        continue;
      }
      if (s) secret = std::move(*s);
    }
    analysis::PrometheusClientOptions defaults{.url = options_.metricsServer,
                                               .timeout = options_.prometheusTimeout};
    auto clientOptions = analysis::prometheusOptionsFor(metricTemplate, secret ? &*secret : nullptr, defaults,
                                                        metricsServers_);
    if (!clientOptions) {
      failed(where + ": " + clientOptions.error().message);
      continue;
    }
    out.push_back(analysis::prepareTemplateCheck(
        check, metricTemplate, std::make_shared<analysis::PrometheusClient>(std::move(*clientOptions))));
  }
  return out;
}

std::string Reconciler::metricsServerOf(const api::Canary& c) const {
  return c.spec.metricsServer.empty() ? options_.metricsServer : c.spec.metricsServer;
}

std::function<void(analysis::WebhookResult)> Reconciler::logFailure(const std::string& key,
                                                                    const std::string& what) const {
  return [key, what, metrics = controllerMetrics_](const analysis::WebhookResult& r) {
    if (r.passed) return;
    spdlog::warn("canary {}: {}: {}", key, what, r.message);
    if (metrics) metrics->webhookFailures().inc({});
  };
}

void Reconciler::postToEventWebhook(const api::Canary& c, const api::CanaryStatus& status,
                                    const analysis::CanaryEvent& event) {
  if (!webhooks_ || options_.eventWebhook.empty()) return;
  std::map<std::string, std::string> metadata;
  if (!options_.clusterName.empty()) metadata["cluster"] = options_.clusterName;
  analysis::WebhookCall call{
      "--event-webhook",
      options_.eventWebhook,
      std::chrono::seconds(5),
      1,
      false,
      analysis::eventWebhookPayload(
          {c.name, c.ns, api::phaseName(status.phase), status.lastAppliedSpec, std::move(metadata)}, event)};
  webhooks_->callAsync(std::move(call), logFailure(c.key(), "--event-webhook"));
}

void Reconciler::notify(const api::Canary& c, const api::CanaryStatus& status,
                        const std::vector<std::string>& names,
                        const std::optional<analysis::CanaryEvent>& event) {
  if (!webhooks_) return;
  for (const auto& name : names) {
    auto call = webhookCall(c, status, name);
    if (!call) continue;
    if (event) call->payload = analysis::eventWebhookPayload(std::move(call->payload), *event);
    webhooks_->callAsync(std::move(*call), logFailure(c.key(), "webhook " + name));
  }
}

void Reconciler::alert(const api::Canary& c, const PlannedEvent& event) {
  if (!alerts_ || event.alert == AlertLevel::None) return;
  const analysis::AlertSeverity severity = event.alert == AlertLevel::Error  ? analysis::AlertSeverity::Error
                                           : event.alert == AlertLevel::Warn ? analysis::AlertSeverity::Warn
                                                                             : analysis::AlertSeverity::Info;
  analysis::AlertMessage message{
      c.name,
      c.ns,
      event.message,
      {{"Target", c.spec.targetRef.kind + "/" + c.spec.targetRef.name + "." + c.ns}},
      severity,
      api::phaseName(c.status.phase),
      c.status.lastAppliedSpec,
      std::chrono::system_clock::now()};
  if (!options_.clusterName.empty()) message.fields.emplace_back("Cluster", options_.clusterName);
  // A Canary's own alerts replace the operator-wide ones (Flagger's rule).
  if (c.spec.analysis.alerts.empty()) {
    for (const auto& target : options_.defaultAlerts) alerts_->send(target, message);
    return;
  }
  for (const auto& entry : c.spec.analysis.alerts) {
    auto subscribed = analysis::parseAlertSeverity(entry.severity);
    if (!subscribed || !analysis::alertWanted(*subscribed, severity)) continue;
    const std::string ns = entry.providerRef.ns.empty() ? c.ns : entry.providerRef.ns;
    const std::string providerName = ns + "/" + entry.providerRef.name;
    auto fail = [&](const std::string& why) {
      spdlog::warn("canary {}: alert {} (AlertProvider {}): {}", c.key(), entry.name, providerName, why);
    };
    if (ns != c.ns && !options_.crossNamespaceRefs) {
      fail("another namespace's AlertProvider, refused by --no-cross-namespace-refs");
      continue;
    }
    auto object = client_.get(kAlertProviders, ns, entry.providerRef.name);
    if (!object) {
      fail(object.error().code == ErrorCode::NotFound ? "not found" : object.error().message);
      continue;
    }
    auto decoded = analysis::decodeAlertProvider(*object);
    if (!decoded.errors.empty()) {
      fail(decoded.errors.front().describe());
      continue;
    }
    std::optional<std::map<std::string, std::string>> secretData;
    if (decoded.spec.secretRefName) {
      // Read on demand, never cached or logged.
      auto secret = client_.get(kube::resources::kSecrets, ns, *decoded.spec.secretRefName);
      if (!secret) {
        fail("its Secret: " + secret.error().message);
        continue;
      }
      secretData.emplace();
      const Json data = secret->value("data", Json::object());  // items() must not outlive its object
      for (const auto& [k, v] : data.items()) {
        if (auto plain = v.is_string() ? base64Decode(v.get<std::string>()) : std::nullopt)
          (*secretData)[k] = *plain;
      }
    }
    auto target =
        analysis::resolveAlertTarget(decoded.spec, providerName, secretData ? &*secretData : nullptr);
    if (!target) {
      fail(target.error().message);
      continue;
    }
    // The same egress rule as webhooks, for the address and for a proxy (which sees the whole request):
    // a Service of the provider's namespace, or --webhook-allow.
    if (auto problem = analysis::webhookUrlProblem(target->address, ns, webhookHosts_)) {
      fail("address refused: " + *problem);
      continue;
    }
    if (auto problem = target->proxy.empty()
                           ? std::nullopt
                           : analysis::webhookUrlProblem(target->proxy, ns, webhookHosts_)) {
      fail("proxy refused: " + *problem);
      continue;
    }
    target->address = analysis::clusterLocalUrl(target->address, ns);
    if (!target->proxy.empty()) target->proxy = analysis::clusterLocalUrl(target->proxy, ns);
    alerts_->send(*target, message);
  }
}

std::vector<api::FieldError> Reconciler::webhookProblems(const api::Canary& c) const {
  std::vector<api::FieldError> out;
  const auto& hooks = c.spec.analysis.webhooks;
  for (std::size_t i = 0; i < hooks.size(); ++i) {
    const std::string path = "spec.analysis.webhooks[" + std::to_string(i) + "].url";
    if (auto p = analysis::webhookUrlProblem(hooks[i].url, c.ns, webhookHosts_)) out.push_back({path, *p});
  }
  return out;
}

void Reconciler::forget(const std::string& canaryKey) {
  settle_.forget(canaryKey);
  routesMemo_.forget(canaryKey);
  steps_.forget(canaryKey);
  {
    std::lock_guard lock(writtenMutex_);
    supersededVersion_.erase(canaryKey);
    ownWrite_.erase(canaryKey);
    awaitingEcho_.erase(canaryKey);
  }
  {
    std::lock_guard lock(gathering_->mutex);
    gathering_->byCanary.erase(canaryKey);
  }
  std::lock_guard lock(metricsMutex_);
  auto url = metricsUrlOf_.find(canaryKey);
  if (url == metricsUrlOf_.end()) return;
  releaseShare(canaryKey, url->second);
  metricsUrlOf_.erase(url);
}

std::optional<analysis::CounterQueryTemplates> Reconciler::counterTemplates(const api::Canary& c) const {
  const auto* provider = routers_.find(c.spec.provider);
  return provider ? provider->counterQueries : std::nullopt;
}

analysis::CheckContext Reconciler::checkContext(const api::Canary& c) const {
  analysis::CheckContext context{c.ns, c.spec.targetRef.name, c.apexName(), c.spec.provider, c.name, {}};
  if (const auto* provider = routers_.find(c.spec.provider))
    context.builtInQueries = provider->builtInQueries;
  return context;
}

Result<Json> Reconciler::wholeDeployment(const std::string& ns, const std::string& name,
                                         const Json* projected) {
  auto whole = client_.get(kube::resources::kDeployments, ns, name);
  if (!whole) return withContext(whole.error(), "reading Deployment " + name).error();
  if (projected && templateHash(*whole) != observeDeployment(projected, false).templateHash)
    return mesh::waitingFor("the cache to see the new template of Deployment " + name);
  return whole;
}

bool Reconciler::primaryRunsTarget(const api::Canary& c, const Json& target, const Json& primary) const {
  // Only while the primary this Canary made starts (Initializing): not for a Canary that has not made
  // it yet (a recreated Canary must adopt its predecessor's primary, or the garbage collector removes it),
  // nor after a failed initialization (a fix of the target's other fields, `paused` say, must reach it).
  if (c.status.phase != api::Phase::Initializing || !kube::ownedBy(primary, c.uid)) return false;
  // A target that reads ConfigMaps or Secrets keeps the full sync on every pass: the copies are read
  // afresh and re-made if someone removed one (the caches hold checksums, not whether a copy exists).
  if (!deploymentConfigRefs(target).empty()) return false;
  const WorkloadState t = observeDeployment(&target, false);
  const WorkloadState p = observeDeployment(&primary, true);
  // The configs checksum too: a primary made while the target still read configs carries theirs.
  return !t.templateHash.empty() && p.templateHash == t.templateHash &&
         p.configsChecksum == configsChecksum({});
}

Status Reconciler::execute(const Action& action, const api::Canary& c, const Json* target,
                           const Json* primary, mesh::Router& router) {
  auto label = target ? selectorLabel(*target, options_.selectorLabels) : std::nullopt;
  auto needLabel = [&]() -> Status {
    if (label) return {};
    std::string keys;
    for (const auto& k : options_.selectorLabels) keys += (keys.empty() ? "" : ", ") + k;
    return Error{ErrorCode::Invalid, "the pod template of " + c.spec.targetRef.name +
                                         " has none of the selector labels (" + keys + ")"};
  };
  switch (action.type) {
    case ActionType::InitializePrimary: {
      if (primary && !c.status.lastPromotedSpec.empty())
        return workloads_.initializePrimary(c, *target, primary, {});
      // The primary this Canary made already runs what the target runs (its annotations name the template
      // and configs it was made from): nothing to read or write while it becomes ready. Every pass until
      // then used to read both Deployments whole (at 20 Canaries on the real control plane, 17 GETs each
      // while their primaries started). The conditions, and what is given up: primaryRunsTarget.
      if (primary && target && primaryRunsTarget(c, *target, *primary))
        return workloads_.syncPrimaryAutoscaler(c);
      if (auto st = needLabel(); !st) return st;
      // App Mesh: a pod's mesh objects before the pod (its sidecar reads them when it starts).
      if (const auto* provider = routers_.find(c.spec.provider);
          provider && provider->capabilities.meshObjectsBeforePods) {
        routesMemo_.invalidate(c.key());  // writes some of the objects the routes' sync writes
        if (auto st = router.prepare(c, {label->first, label->second}); !st)
          return withContext(st, "mesh objects");
      }
      auto whole = wholeDeployment(c.ns, c.spec.targetRef.name, target);
      if (!whole) return whole.error();
      return workloads_.initializePrimary(c, *whole, primary, *label);
    }
    case ActionType::EnsureRoutes: {
      if (auto st = needLabel(); !st) return st;
      const mesh::TrafficIntent intent{action.primaryWeight, action.canaryWeight, action.mirrorPercent,
                                       action.matchToCanary, action.canaryCookie, action.primaryCookie,
                                       action.expiredCookie};
      const mesh::PodSelector pods{label->first, label->second};
      // A replica ratio's routes are the Deployments' replicas, which others (an autoscaler) change
      // without the owned-object watch seeing it: always synced.
      const auto* provider = routers_.find(c.spec.provider);
      if (provider && provider->capabilities.replicaRatio) return router.reconcile(c, pods, intent);
      auto ticket = routesMemo_.check(c.key(), RoutedState{c.uid, c.generation, pods, intent});
      if (!ticket) return {};  // as the last pass left them, and nobody changed them since
      auto st = router.reconcile(c, pods, intent);
      if (st) routesMemo_.remember(c.key(), std::move(*ticket));
      return st;
    }
    case ActionType::ScaleTarget:
      return target ? workloads_.scaleTarget(c, *target, action.replicas) : Status{};
    case ActionType::AddFinalizer:
    case ActionType::RemoveFinalizer: {
      Json finalizers = Json::array();
      for (const auto& f : c.finalizers) {
        if (f != kFinalizer) finalizers.push_back(f);
      }
      if (action.type == ActionType::AddFinalizer) finalizers.push_back(kFinalizer);
      // The resourceVersion makes the list replacement safe against a concurrent change of finalizers.
      auto r =
          client_.patch(kCanaries, c.ns, c.name, kube::PatchType::Merge,
                        {{"metadata", {{"finalizers", finalizers}, {"resourceVersion", c.resourceVersion}}}});
      if (!r && r.error().code == ErrorCode::NotFound) return {};
      return r ? Status{} : withContext(r.error(), "finalizer");
    }
    case ActionType::RestoreTarget: {
      if (!target || !primary) return {};
      if (auto st = needLabel(); !st) return st;
      auto wholeTarget = wholeDeployment(c.ns, c.spec.targetRef.name, nullptr);
      if (!wholeTarget) return wholeTarget.error();
      auto wholePrimary = wholeDeployment(c.ns, c.primaryName(), nullptr);
      if (!wholePrimary) return wholePrimary.error();
      return workloads_.restoreTarget(c, *wholeTarget, *wholePrimary, *label, action.replicas);
    }
    case ActionType::RevertRouting: {
      std::optional<mesh::PodSelector> pods;
      if (target) {
        if (auto st = needLabel(); !st) return st;
        pods = mesh::PodSelector{label->first, label->second};
      }
      // The router gives the traffic back first (apex, routes, their Services); the workloads go after.
      routesMemo_.invalidate(c.key());
      if (auto st = router.finalize(c, pods ? &*pods : nullptr); !st) return withContext(st, "routes");
      return workloads_.removePrimary(c, target);
    }
    case ActionType::PromoteToPrimary: {
      if (auto st = needLabel(); !st) return st;
      auto whole = wholeDeployment(c.ns, c.spec.targetRef.name, target);
      if (!whole) return whole.error();
      return workloads_.promote(c, *whole, primary, *label, action.replicas);
    }
  }
  return {};
}

bool Reconciler::isOwnEcho(const std::string& key, const std::string& resourceVersion) {
  std::lock_guard lock(writtenMutex_);
  if (awaitingEcho_.erase(key) > 0) return false;  // a reconcile waits for the cache to catch up
  // While the status is written, the reconcile writing it judges what the watch brings when the answer
  // comes (and looks again if it was not its own); it plans nothing from the cache until the cache holds
  // its version.
  if (statusWrites_.hold(key, resourceVersion)) return true;
  auto written = ownWrite_.find(key);
  if (written == ownWrite_.end() || written->second != resourceVersion) return false;
  ownWrite_.erase(written);
  return true;
}

ReconcileOutcome Reconciler::reconcile(const std::string& key) {
  kube::Store<CachedCanary>::Ptr cached = canaries_.get(key);
  if (!cached) {  // deleted; what it created is owned by it and collected by Kubernetes
    forget(key);
    if (auto slash = key.find('/'); controllerMetrics_ && slash != std::string::npos)
      controllerMetrics_->canaryGone(key.substr(0, slash), key.substr(slash + 1));
    return {};
  }
  {
    // The cache has not caught up with our own last status write yet: planning from it would act on the
    // step before (routes back to the previous weight, a switch undone for a moment; found on the real
    // control plane, where a blue/green's apex flapped back to the primary while it was being promoted).
    // The watch event that brings the new version wakes the Canary (isOwnEcho lets it through while one
    // waits); the requeue is a safety net. Bounded: should the event never come (a lost watch), planning
    // from the cache resumes after a while.
    std::lock_guard lock(writtenMutex_);
    auto superseded = supersededVersion_.find(key);
    if (superseded != supersededVersion_.end()) {
      // Read again under the lock: the informer updates the cache before it asks isOwnEcho, so an echo
      // that arrives after this read finds the Canary waiting for it.
      if (auto fresh = canaries_.get(key)) cached = std::move(fresh);
      const bool behind = superseded->second.first == cached->resourceVersion;
      if (behind && std::chrono::steady_clock::now() < superseded->second.second + kCacheCatchUp) {
        awaitingEcho_.insert(key);
        return {std::chrono::duration_cast<std::chrono::milliseconds>(kWaitPoll), {}};
      }
      supersededVersion_.erase(superseded);
    }
  }
  const Json canaryJson = cached->object.unpack();
  api::DecodeResult decoded = api::decodeCanary(canaryJson);
  api::Canary& c = decoded.canary;
  if (c.spec.provider.empty()) c.spec.provider = options_.defaultProvider;
  std::vector<api::FieldError> errors = decoded.errors;
  if (errors.empty()) {
    for (auto& e : webhookProblems(c)) errors.push_back(std::move(e));
    if (c.spec.analysis.sequential) {
      if (auto q = analysis::counterQueries(counterTemplates(c), c.spec.provider,
                                            {c.ns, c.spec.targetRef.name, c.primaryName()}, std::nullopt);
          !q)
        errors.push_back({"spec.analysis.sequential", q.error().message});
    }
    for (auto& e : analysis::templateRefErrors(c.spec, c.ns, {options_.crossNamespaceRefs}))
      errors.push_back(std::move(e));
    api::ValidationPolicy policy{routers_.capabilities(), options_.trafficScope, options_.inlineQueries};
    for (auto& e : api::validateCanary(c.spec, c.ns, policy)) errors.push_back(std::move(e));
    if (!c.spec.metricsServer.empty()) {
      if (auto problem = analysis::metricsServerProblem(c.spec.metricsServer, metricsServers_))
        errors.push_back({"spec.metricsServer", *problem});
    }
  }

  auto target = kube::unpacked(deployments_.get(kube::objectKey(c.ns, c.spec.targetRef.name)));
  auto primary = kube::unpacked(deployments_.get(kube::objectKey(c.ns, c.primaryName())));
  PlanInput input;
  input.canary = &c;
  if (const auto* provider = routers_.find(c.spec.provider)) input.capabilities = provider->capabilities;
  input.specErrors = errors;
  input.observed.target = observeDeployment(target.get(), false);
  input.observed.primary = observeDeployment(primary.get(), true);
  if (target) {
    input.observed.trackedConfigs = workloads_.trackedConfigs(c.ns, deploymentConfigRefs(*target));
    input.observed.targetSelectorProblem = selectorProblem(*target, options_.selectorLabels);
  }
  input.now = std::chrono::system_clock::now();
  if (c.spec.analysis.sessionAffinity) input.sessionToken = randomHex(16);
  input.idleResync = idleResyncOf(key, options_.idleResync);
  input.gathered = gathered(key);
  const auto plannedAt = StepSchedule::Clock::now();
  Plan plan = controller::plan(input);
  const std::optional<std::chrono::milliseconds> nextLook = plan.requeueAfter;  // before a write changes it
  // What each pass decided, for a Canary that seems stuck (--log-level debug; formatted only then).
  spdlog::debug("canary {}: {} weight {} failed checks {}: {} actions, {} events{}{}, next look in {} ms",
                key, api::phaseName(plan.status.phase), plan.status.canaryWeight, plan.status.failedChecks,
                plan.actions.size(), plan.events.size(), input.gathered ? ", answers for " : "",
                input.gathered ? input.gathered->step : "", nextLook ? nextLook->count() : -1);

  kube::ObjectReference ref = kube::ObjectReference::fromObject(canaryJson);
  if (!plan.actions.empty()) {
    mesh::RouterContext context{client_, settle_};
    auto router = routers_.create(c.spec.provider, context);
    if (!router) return {std::nullopt, router.error()};
    for (const auto& action : plan.actions) {
      if (auto st = execute(action, c, target.get(), primary.get(), **router); !st) {
        if (isWaiting(st.error())) {  // not a failure: the cluster has not caught up yet
          spdlog::debug("canary {}: {}", key, st.error().message);
          return {std::chrono::duration_cast<std::chrono::milliseconds>(kWaitPoll), {}};
        }
        // Nothing recorded in status: the next attempt plans the same step again.
        events_.record(ref, kube::EventType::Warning, "ReconcileError",
                       c.name + "." + c.ns + ": " + st.error().message);
        spdlog::warn("canary {}: {}", key, st.error().message);
        return {std::nullopt, st};
      }
    }
    // A replica ratio approximates the weight: the status says what the routes really give.
    plan.status.achievedWeight.reset();
    if (input.capabilities.replicaRatio) {
      if (auto achieved = (*router)->observed(c);
          achieved && achieved->canaryWeight != plan.status.canaryWeight)
        plan.status.achievedWeight = achieved->canaryWeight;
    }
  }

  Json status = api::encodeStatus(plan.status);
  if (status != api::encodeStatus(decoded.canary.status)) {
    // The watch may deliver the write's echo before its answer comes back: isOwnEcho holds it.
    auto writing = statusWrites_.begin(key);
    // A patch of what changed, valid only for the version planned from (the Canary is not copied or sent).
    Result<Json> written = client_.patch(kCanaries, c.ns, c.name, kube::PatchType::Json,
                                         kube::statusPatch(canaryJson, status), "status");
    const kube::SeenDuringWrite echoes = writing.end();
    const std::string made = written ? resourceVersionOf(*written) : std::string();
    // A version seen during the write other than the one it made is someone else's later change (one
    // before it would have made the write conflict): look again at once.
    // (`made` is "" when the write failed, and a write that changed nothing made no version of its own.)
    if (echoes.othersChanged(made != c.resourceVersion ? made : std::string()))
      plan.requeueAfter = std::chrono::milliseconds(0);
    if (!written && written.error().code == ErrorCode::NotFound && c.deleting) {
      // The last finalizer was ours: the Canary is gone, nothing left to record on it.
    } else if (!written) {
      spdlog::debug("canary {}: status write: {}", key, written.error().message);
      return {std::nullopt,
              written.error()};  // changed meanwhile (the patch's test): retried from the fresh object
    } else if (made != c.resourceVersion) {
      // Only a write that changed the object: the API server answers a write that changes nothing (a
      // field its schema prunes, say) with the same version and sends no event (found on the real
      // control plane: such a Canary waited for an event that never came).
      std::lock_guard lock(writtenMutex_);
      supersededVersion_[key] = {c.resourceVersion, std::chrono::steady_clock::now()};
      if (!echoes.includes(made)) ownWrite_[key] = made;
    }
  }
  if (controllerMetrics_) controllerMetrics_->canaryObserved(c, decoded.canary.status, plan.status);
  // Only once the status that records the step is written: a plan retried after a conflict counts once.
  if (plan.stepDecided) {
    auto late = steps_.decided(key, plan.firstStep, plannedAt, nextLook);
    if (late && controllerMetrics_) controllerMetrics_->stepDecided(*late);
  }
  // The status that used them is written: results gathered for a step the plan decided are done with.
  if (input.gathered && (!plan.needs || plan.needs->step != input.gathered->step))
    dropGathered(key, input.gathered->step);
  // Only now, with the status that names the step written: an answer must wake a reconcile that sees it.
  if (plan.needs) startGathering(key, *plan.needs, c, plan.status);
  notify(c, plan.status, plan.notify);
  std::vector<std::string> eventHooks;
  for (const auto& w : c.spec.analysis.webhooks) {
    if (w.type == "event") eventHooks.push_back(w.name);
  }
  for (const auto& e : plan.events) {
    events_.record(ref, e.warning ? kube::EventType::Warning : kube::EventType::Normal, e.reason, e.message);
    spdlog::info("canary {}: {}", key, e.message);
    alert(c, e);
    const analysis::CanaryEvent event{e.message, e.warning ? "Warning" : "Normal",
                                      std::chrono::system_clock::now()};
    if (!eventHooks.empty()) notify(c, plan.status, eventHooks, event);
    postToEventWebhook(c, plan.status, event);
  }
  return {plan.requeueAfter, {}};
}

}  // namespace aviary::controller
