// The operator's /metrics (issue 14): Flagger's canary series under Aviary's prefix, so a Flagger dashboard
// ports with a rename (flagger_ → aviary_), plus the controller's own health: reconcile duration and
// errors, work-queue depth and wait, Kubernetes API requests by verb and code, Prometheus query latency, and
// webhook and alert failures. Labels are bounded: per Canary (name, namespace, metric) at most, never
// per request or per pod.
#pragma once

#include <chrono>
#include <map>
#include <mutex>
#include <string>

#include "operator/api/canary.h"
#include "operator/core/metrics_registry.h"

namespace aviary::controller {

class ControllerMetrics {
 public:
  ControllerMetrics(metrics::Registry& registry, const std::string& version, const std::string& meshProvider);

  // A reconcile wrote `after` for Canary `c`, whose status was `before`: status, weights, the last
  // metric values, and, when the release ended, its outcome and duration.
  void canaryObserved(const api::Canary& c, const api::CanaryStatus& before, const api::CanaryStatus& after);
  // The Canary ns/name is gone: its series go too.
  void canaryGone(const std::string& ns, const std::string& name);
  void reconciled(std::chrono::duration<double> took, bool failed);
  void apiRequest(const std::string& verb, int code);
  void prometheusQuery(std::chrono::duration<double> took);
  // A Canary waited `waited` in the work queue after it became due (client-go's queue duration).
  void queueWait(std::chrono::duration<double> waited);
  // A Canary's step was decided `late` after it was due (StepSchedule): whether steps keep their analysis
  // interval, the figure the scale harness measures from outside (bench/scale).
  void stepDecided(std::chrono::duration<double> late);

  metrics::Registry& registry() { return registry_; }
  metrics::Family& canaryTotal() { return canaryTotal_; }
  metrics::Family& queueDepth() { return queueDepth_; }
  metrics::Family& webhookFailures() { return webhookFailures_; }
  metrics::Family& alertFailures() { return alertFailures_; }

 private:
  metrics::Registry& registry_;
  metrics::Family &info_, &canaryTotal_, &canaryStatus_, &canaryWeight_, &canaryDuration_, &metricAnalysis_,
      &successes_, &failures_, &reconcileDuration_, &reconcileErrors_, &queueDepth_, &queueWait_,
      &apiRequests_, &prometheusDuration_, &webhookFailures_, &alertFailures_, &stepLateness_;
  std::mutex mutex_;
  // When each running release began (in memory: after a restart, a release's duration starts then).
  std::map<std::string, std::chrono::steady_clock::time_point> releaseStart_;
  std::map<std::string, std::string> workloads_;  // Canary key → "target|primary" it reported weights for
};

}  // namespace aviary::controller
