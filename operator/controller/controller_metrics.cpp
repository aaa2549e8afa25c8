#include "operator/controller/controller_metrics.h"

namespace aviary::controller {
namespace {

using api::Phase;

bool running(Phase p) {
  return p == Phase::Progressing || p == Phase::Waiting || p == Phase::WaitingPromotion ||
         p == Phase::Promoting || p == Phase::Finalising;
}

// Flagger's flagger_canary_status: 0 running (or not started), 1 successful, 2 failed.
double statusValue(Phase p) {
  if (p == Phase::Succeeded) return 1;
  if (p == Phase::Failed) return 2;
  return 0;
}

}  // namespace

ControllerMetrics::ControllerMetrics(metrics::Registry& registry, const std::string& version,
                                     const std::string& meshProvider)
    : registry_(registry),
      info_(registry.gauge("aviary_info", "Aviary version and default mesh provider",
                           {"version", "mesh_provider"})),
      canaryTotal_(registry.gauge("aviary_canary_total", "Canaries by namespace", {"namespace"})),
      canaryStatus_(registry.gauge("aviary_canary_status",
                                   "Last release outcome: 0 running or not started, 1 successful, 2 failed",
                                   {"name", "namespace"})),
      canaryWeight_(registry.gauge("aviary_canary_weight",
                                   "Traffic weight (percent) of the primary and the canary",
                                   {"workload", "namespace"})),
      canaryDuration_(
          registry.histogram("aviary_canary_duration_seconds",
                             "Duration of finished releases, from the new revision to the outcome",
                             {"name", "namespace"}, {10, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200})),
      metricAnalysis_(registry.gauge("aviary_canary_metric_analysis", "Last value of each metric check",
                                     {"name", "namespace", "metric"})),
      successes_(registry.counter("aviary_canary_successes_total", "Releases promoted",
                                  {"name", "namespace", "deployment_strategy"})),
      failures_(registry.counter("aviary_canary_failures_total", "Releases rolled back",
                                 {"name", "namespace", "deployment_strategy"})),
      reconcileDuration_(registry.histogram("aviary_reconcile_duration_seconds", "Duration of one reconcile",
                                            {}, metrics::durationBuckets())),
      reconcileErrors_(
          registry.counter("aviary_reconcile_errors_total", "Reconciles that failed and are retried")),
      queueDepth_(registry.gauge("aviary_workqueue_depth", "Canaries waiting for a worker")),
      queueWait_(registry.histogram("aviary_workqueue_queue_duration_seconds",
                                    "How long a Canary waited for a worker after it became due", {},
                                    metrics::durationBuckets())),
      apiRequests_(registry.counter("aviary_kube_api_requests_total",
                                    "Kubernetes API requests by verb and HTTP status (0: no answer)",
                                    {"verb", "code"})),
      prometheusDuration_(registry.histogram("aviary_prometheus_query_duration_seconds",
                                             "Duration of metric check queries", {},
                                             metrics::durationBuckets())),
      webhookFailures_(registry.counter("aviary_webhook_failures_total", "Webhook calls that did not pass")),
      alertFailures_(registry.counter("aviary_alert_failures_total", "Alerts that could not be delivered")),
      stepLateness_(registry.histogram(
          "aviary_canary_step_lateness_seconds",
          "How long after its due time (the previous step's decision + analysis interval) a step was "
          "decided, its checks included; a release's first step, which also waits for the canary's "
          "rollout, is not counted",
          {}, {0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300})) {
  info_.set({version, meshProvider}, 1);
}

void ControllerMetrics::canaryObserved(const api::Canary& c, const api::CanaryStatus& before,
                                       const api::CanaryStatus& after) {
  const std::string key = c.key();
  canaryStatus_.set({c.name, c.ns}, statusValue(after.phase));
  canaryWeight_.set({c.spec.targetRef.name, c.ns}, after.canaryWeight);
  canaryWeight_.set({c.primaryName(), c.ns}, 100 - after.canaryWeight);
  for (const auto& m : after.analysisMetrics) {
    if (m.value) metricAnalysis_.set({c.name, c.ns, m.name}, *m.value);
  }
  std::optional<std::chrono::duration<double>> finished;
  {
    std::lock_guard lock(mutex_);
    workloads_[key] = c.spec.targetRef.name + "|" + c.primaryName();
    const auto now = std::chrono::steady_clock::now();
    if (running(after.phase) && !running(before.phase)) releaseStart_[key] = now;
    if (running(before.phase) && (after.phase == Phase::Succeeded || after.phase == Phase::Failed)) {
      auto start = releaseStart_.find(key);
      if (start != releaseStart_.end()) {
        finished = now - start->second;
        releaseStart_.erase(start);
      }
      // Flagger's deployment_strategy values.
      const api::AnalysisSpec& a = c.spec.analysis;
      const char* strategy = a.iterations == 0 ? "canary" : a.match.is_null() ? "blue-green" : "ab-testing";
      (after.phase == Phase::Succeeded ? successes_ : failures_).inc({c.name, c.ns, strategy});
    }
  }
  if (finished) canaryDuration_.observe({c.name, c.ns}, finished->count());
}

void ControllerMetrics::canaryGone(const std::string& ns, const std::string& name) {
  const std::string key = ns + "/" + name;
  std::string workloads;
  {
    std::lock_guard lock(mutex_);
    releaseStart_.erase(key);
    auto it = workloads_.find(key);
    if (it != workloads_.end()) {
      workloads = it->second;
      workloads_.erase(it);
    }
  }
  auto ofCanary = [&](const metrics::LabelValues& l) { return l.size() >= 2 && l[0] == name && l[1] == ns; };
  for (auto* family : {&canaryStatus_, &metricAnalysis_, &canaryDuration_, &successes_, &failures_})
    family->removeIf(ofCanary);
  if (auto bar = workloads.find('|'); bar != std::string::npos) {
    canaryWeight_.remove({workloads.substr(0, bar), ns});
    canaryWeight_.remove({workloads.substr(bar + 1), ns});
  }
}

void ControllerMetrics::reconciled(std::chrono::duration<double> took, bool failed) {
  reconcileDuration_.observe({}, took.count());
  if (failed) reconcileErrors_.inc({});
}

void ControllerMetrics::apiRequest(const std::string& verb, int code) {
  apiRequests_.inc({verb, std::to_string(code)});
}

void ControllerMetrics::prometheusQuery(std::chrono::duration<double> took) {
  prometheusDuration_.observe({}, took.count());
}

void ControllerMetrics::queueWait(std::chrono::duration<double> waited) {
  queueWait_.observe({}, waited.count());
}

void ControllerMetrics::stepDecided(std::chrono::duration<double> late) {
  stepLateness_.observe({}, late.count());
}

}  // namespace aviary::controller
