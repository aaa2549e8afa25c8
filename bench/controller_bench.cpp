// Hot paths of one reconcile pass above the Kubernetes client (issue 15): the planner deciding a step and
// holding between steps, the Canary's decode and its status's encode (every pass does both), a
// Prometheus answer parsed, and one batch of the sequential test. Run with `make bench`; the numbers to
// beat are in docs/performance.md.
#include <benchmark/benchmark.h>

#include <cmath>

#include "analysis/prometheus/prometheus_client.h"
#include "analysis/statistics/sequential_analysis.h"
#include "mesh-adapters/istio/istio_router.h"
#include "operator/controller/cached_canary.h"
#include "operator/controller/planner.h"
#include "operator/controller/tracked_configs.h"
#include "operator/core/time_format.h"
#include "operator/kube/write_through_cache.h"
#include "tests/support/canary_builder.h"
#include "tests/support/forwarding_client.h"
#include "tests/support/memory_kube_client.h"

namespace aviary {
namespace {

using api::Phase;
using controller::Plan;
using controller::PlanInput;
using Json = nlohmann::json;

const controller::TimePoint kT0 = *parseRfc3339("2026-11-22T10:00:00Z");

controller::WorkloadState ready(const std::string& hash, int replicas) {
  return {true, hash, replicas, true, false, controller::configsChecksum({})};
}

// A Canary between two steps of a release: weight 20, the last step at kT0, the target and the primary
// ready (what the scale harness's canaries are at almost every pass).
api::Canary progressingCanary() {
  api::Canary c = testing::canaryForPlanner("team-a", "podinfo", 50);
  c.uid = "3b7c9a52-8d0e-4f7a-9a51-6d1f2c0e9b11";
  c.resourceVersion = "184467";
  c.status.phase = Phase::Progressing;
  c.status.canaryWeight = 20;
  c.status.lastTransitionTime = "2026-11-22T10:00:00Z";
  c.status.lastAppliedSpec = "v2";
  c.status.lastPromotedSpec = "v1";
  return c;
}

controller::Observed observedDuringRelease() {
  controller::Observed o;
  o.target = ready("v2", 2);
  o.primary = ready("v1", 2);
  return o;
}

// A pass that decides a step: the interval has passed and the checks gathered for it passed.
void BM_PlannerStep(benchmark::State& state) {
  const api::Canary c = progressingCanary();
  PlanInput in{&c, {}, observedDuringRelease(), std::nullopt, kT0 + std::chrono::seconds(60)};
  in.gathered = controller::Gathered{
      controller::stepId(c.status),
      {{"request-success-rate", 99.9, {99, std::nullopt}, true, "request-success-rate 99.90 within min 99"}},
      {},
      std::nullopt};
  for (auto _ : state) {
    Plan p = controller::plan(in);
    if (p.status.canaryWeight != 30) state.SkipWithError("the step did not advance");
    benchmark::DoNotOptimize(p);
  }
}
BENCHMARK(BM_PlannerStep);

// One pass of the Istio router through the write-through cache, over objects in memory (no HTTP): the
// three Services, two DestinationRules and the VirtualService converged. Arg 0: with the SyncMemo (what
// the operator runs) or without (the cache behind a plain KubeClient, as before issue 15's memo); arg 1:
// a pass that holds the weight, or one that steps it (the VirtualService changes).
void BM_IstioRouterPass(benchmark::State& state) {
  testing::MemoryKubeClient memory;
  kube::WriteThroughCache cache(
      memory, {kube::resources::kServices, mesh::istio::kVirtualServices, mesh::istio::kDestinationRules});
  testing::ForwardingClient withoutMemo(cache);
  kube::KubeClient& client = state.range(0) ? static_cast<kube::KubeClient&>(cache) : withoutMemo;
  mesh::RouteSettleClock settle{std::chrono::milliseconds(0)};
  mesh::RouterContext context{client, settle};
  mesh::istio::IstioRouter router(context);
  api::Canary c = progressingCanary();
  c.spec.service.port = 9898;
  c.spec.service.gateways = {"mesh"};
  c.spec.service.retries = {{"attempts", 3}, {"perTryTimeout", "1s"}};
  const mesh::PodSelector pods{"app", "podinfo"};
  if (!router.reconcile(c, pods, {90, 10}) || !router.reconcile(c, pods, {90, 10})) {
    state.SkipWithError("the first passes failed");
    return;
  }
  int canary = 10;
  for (auto _ : state) {
    if (state.range(1)) canary = canary == 10 ? 20 : 10;
    auto st = router.reconcile(c, pods, {100 - canary, canary});
    if (!st) {
      state.SkipWithError(st.error().message.c_str());
      break;
    }
  }
}
BENCHMARK(BM_IstioRouterPass)
    ->ArgNames({"memo", "step"})
    ->Args({0, 0})
    ->Args({1, 0})
    ->Args({0, 1})
    ->Args({1, 1});

// A pass between steps (a watch event, a requeue before the step is due): routes held, nothing recorded.
void BM_PlannerHold(benchmark::State& state) {
  const api::Canary c = progressingCanary();
  PlanInput in{&c, {}, observedDuringRelease(), std::nullopt, kT0 + std::chrono::seconds(20)};
  for (auto _ : state) {
    Plan p = controller::plan(in);
    benchmark::DoNotOptimize(p);
  }
}
BENCHMARK(BM_PlannerHold);

// The Canary as the API server returns it during a release (managedFields omitted): about 2 KB.
Json canaryObject() {
  return Json::parse(R"({
    "apiVersion": "aviary.io/v1beta1", "kind": "Canary",
    "metadata": {"name": "podinfo", "namespace": "team-a", "uid": "3b7c9a52-8d0e-4f7a-9a51-6d1f2c0e9b11",
                 "resourceVersion": "184467", "generation": 3,
                 "creationTimestamp": "2026-11-22T09:00:00Z", "finalizers": []},
    "spec": {
      "provider": "istio",
      "targetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "podinfo"},
      "progressDeadlineSeconds": 60,
      "service": {"port": 9898, "targetPort": 9898, "gateways": ["public-gateway.istio-system.svc.cluster.local"],
                  "hosts": ["app.example.com"], "retries": {"attempts": 3, "perTryTimeout": "1s"}},
      "analysis": {
        "interval": "10s", "threshold": 5, "maxWeight": 50, "stepWeight": 10,
        "metrics": [
          {"name": "request-success-rate", "thresholdRange": {"min": 99}, "interval": "1m"},
          {"name": "request-duration", "thresholdRange": {"max": 500}, "interval": "30s"}],
        "webhooks": [
          {"name": "acceptance-test", "type": "pre-rollout", "url": "http://flagger-loadtester.test/",
           "timeout": "30s", "metadata": {"type": "bash", "cmd": "curl -sd 'test' http://podinfo-canary:9898/token"}},
          {"name": "load-test", "url": "http://flagger-loadtester.test/", "timeout": "5s",
           "metadata": {"cmd": "hey -z 1m -q 10 -c 2 http://podinfo-canary.test:9898/"}}]}},
    "status": {
      "phase": "Progressing", "canaryWeight": 20, "failedChecks": 0, "iterations": 0,
      "lastAppliedSpec": "5f6d8c7b9a", "lastPromotedSpec": "6c9b8a7d5e",
      "lastTransitionTime": "2026-11-22T10:00:00Z", "observedGeneration": 3,
      "conditions": [{"type": "Promoted", "status": "Unknown", "reason": "Progressing",
                      "message": "New revision detected, progressing canary analysis.",
                      "lastUpdateTime": "2026-11-22T10:00:00Z", "lastTransitionTime": "2026-11-22T09:59:00Z"}]}
  })");
}

void BM_DecodeCanary(benchmark::State& state) {
  const Json object = canaryObject();
  for (auto _ : state) {
    api::DecodeResult d = api::decodeCanary(object);
    if (!d.errors.empty()) state.SkipWithError(d.errors.front().describe().c_str());
    benchmark::DoNotOptimize(d);
  }
}
BENCHMARK(BM_DecodeCanary);

// What the Canary cache does with each watch event (CachedCanary::of: the keys, the metadata compacted,
// the object packed), and what a reconcile does to read the Canary back (unpack). Compare BM_DecodeCanary,
// which every pass runs after the unpack.
void BM_CanaryCacheEvent(benchmark::State& state) {
  const Json object = canaryObject();
  for (auto _ : state) {
    controller::CachedCanary c = controller::CachedCanary::of(object);
    benchmark::DoNotOptimize(c);
  }
}
BENCHMARK(BM_CanaryCacheEvent);

void BM_CanaryCacheRead(benchmark::State& state) {
  const controller::CachedCanary c = controller::CachedCanary::of(canaryObject());
  for (auto _ : state) {
    Json object = c.object.unpack();
    benchmark::DoNotOptimize(object);
  }
  state.counters["packed_bytes"] = static_cast<double>(c.object.size());
}
BENCHMARK(BM_CanaryCacheRead);

// What every pass does to learn whether the status changed: encode the planned status (and compare).
void BM_EncodeStatus(benchmark::State& state) {
  const api::CanaryStatus status = api::decodeCanary(canaryObject()).canary.status;
  for (auto _ : state) {
    Json encoded = api::encodeStatus(status);
    benchmark::DoNotOptimize(encoded);
  }
}
BENCHMARK(BM_EncodeStatus);

// Prometheus's answer to a check query: one series (what a built-in check gets), and `range(0)` series
// (a MetricTemplate without an aggregation).
void BM_ParsePrometheusAnswer(benchmark::State& state) {
  std::string body = R"({"status":"success","data":{"resultType":"vector","result":[)";
  for (int i = 0; i < state.range(0); ++i) {
    if (i) body += ",";
    body += R"({"metric":{"namespace":"team-a","deployment":"podinfo","pod":"podinfo-7d9c-)" +
            std::to_string(i) + R"("},"value":[1764237600.123,"99.87012987012987"]})";
  }
  body += "]}}";
  for (auto _ : state) {
    auto answer = analysis::parsePrometheusAnswer("http://prometheus:9090", "sum(rate(x[1m]))", 200, body);
    if (!answer || answer->samples.size() != static_cast<std::size_t>(state.range(0)))
      state.SkipWithError("the answer did not parse");
    benchmark::DoNotOptimize(answer);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * body.size()));
}
BENCHMARK(BM_ParsePrometheusAnswer)->Arg(1)->Arg(100);

// One look of the sequential error-rate test: a batch of an interval's requests added and judged.
void BM_SequentialBadRateUpdate(benchmark::State& state) {
  analysis::BadRateState s;
  const analysis::BadRateTestOptions options;
  for (auto _ : state) {
    auto r = analysis::updateBadRate(s, {120, 1}, {1080, 9}, options);
    benchmark::DoNotOptimize(r);
    if (r.verdict == analysis::SequentialVerdict::Rejected) state.SkipWithError("equal rates rejected");
  }
}
BENCHMARK(BM_SequentialBadRateUpdate);

void BM_SequentialSplitUpdate(benchmark::State& state) {
  analysis::SplitState s;
  const analysis::SplitTestOptions options;
  for (auto _ : state) {
    auto r = analysis::updateSplit(s, 200, 800, 0.2, 0.2, options);
    benchmark::DoNotOptimize(r);
  }
}
BENCHMARK(BM_SequentialSplitUpdate);

}  // namespace
}  // namespace aviary
