// Hot paths of the Kubernetes client: decoding watch events, updating the informer cache, the work
// queue, and a GET round trip over loopback. Run with `make bench`.
#include <benchmark/benchmark.h>

#include <thread>

#include "operator/kube/http_kube_client.h"
#include "operator/kube/store.h"
#include "operator/kube/watch_decoder.h"
#include "operator/kube/work_queue.h"
#include "tests/support/fake_api_server.h"

namespace aviary::kube {
namespace {

// A Deployment as a real API server sends it (managedFields omitted): about 3 KB of JSON.
Json typicalDeployment(int i) {
  Json container = {
      {"name", "podinfo"},
      {"image", "ghcr.io/stefanprodan/podinfo:6.5.0"},
      {"imagePullPolicy", "IfNotPresent"},
      {"ports", Json::array({{{"containerPort", 9898}, {"name", "http"}, {"protocol", "TCP"}},
                             {{"containerPort", 9797}, {"name", "http-metrics"}, {"protocol", "TCP"}}})},
      {"command", Json::array({"./podinfo", "--port=9898", "--port-metrics=9797", "--level=info"})},
      {"env", Json::array({{{"name", "PODINFO_UI_COLOR"}, {"value", "#34577c"}}})},
      {"livenessProbe",
       {{"exec", {{"command", Json::array({"podcli", "check", "http", "localhost:9898/healthz"})}}},
        {"initialDelaySeconds", 5},
        {"timeoutSeconds", 5}}},
      {"readinessProbe",
       {{"exec", {{"command", Json::array({"podcli", "check", "http", "localhost:9898/readyz"})}}},
        {"initialDelaySeconds", 5},
        {"timeoutSeconds", 5}}},
      {"resources",
       {{"limits", {{"cpu", "2000m"}, {"memory", "512Mi"}}},
        {"requests", {{"cpu", "100m"}, {"memory", "64Mi"}}}}},
      {"terminationMessagePath", "/dev/termination-log"},
      {"terminationMessagePolicy", "File"}};
  return {{"apiVersion", "apps/v1"},
          {"kind", "Deployment"},
          {"metadata",
           {{"name", "podinfo-" + std::to_string(i)},
            {"namespace", "test"},
            {"uid", "6f0a2b9e-1c3d-4e5f-8a7b-" + std::to_string(100000000000 + i)},
            {"resourceVersion", std::to_string(1000 + i)},
            {"generation", 4},
            {"creationTimestamp", "2025-01-01T10:00:00Z"},
            {"labels", {{"app", "podinfo"}, {"app.kubernetes.io/name", "podinfo"}}},
            {"annotations",
             {{"deployment.kubernetes.io/revision", "4"},
              {"kubectl.kubernetes.io/last-applied-configuration", std::string(600, 'x')}}}}},
          {"spec",
           {{"replicas", 2},
            {"revisionHistoryLimit", 10},
            {"progressDeadlineSeconds", 60},
            {"selector", {{"matchLabels", {{"app", "podinfo"}}}}},
            {"strategy",
             {{"type", "RollingUpdate"}, {"rollingUpdate", {{"maxSurge", "25%"}, {"maxUnavailable", 0}}}}},
            {"template",
             {{"metadata",
               {{"labels", {{"app", "podinfo"}}}, {"annotations", {{"prometheus.io/scrape", "true"}}}}},
              {"spec",
               {{"containers", Json::array({container})},
                {"restartPolicy", "Always"},
                {"terminationGracePeriodSeconds", 30},
                {"dnsPolicy", "ClusterFirst"}}}}}}},
          {"status",
           {{"observedGeneration", 4},
            {"replicas", 2},
            {"updatedReplicas", 2},
            {"readyReplicas", 2},
            {"availableReplicas", 2},
            {"conditions",
             Json::array({{{"type", "Available"},
                           {"status", "True"},
                           {"reason", "MinimumReplicasAvailable"},
                           {"lastTransitionTime", "2025-01-01T10:00:10Z"},
                           {"lastUpdateTime", "2025-01-01T10:00:10Z"},
                           {"message", "Deployment has minimum availability."}},
                          {{"type", "Progressing"},
                           {"status", "True"},
                           {"reason", "NewReplicaSetAvailable"},
                           {"lastTransitionTime", "2025-01-01T10:00:00Z"},
                           {"lastUpdateTime", "2025-01-01T10:00:10Z"},
                           {"message", "ReplicaSet \"podinfo-7d9f\" has successfully progressed."}}})}}}};
}

std::string watchFrame(int i) {
  return Json{{"type", "MODIFIED"}, {"object", typicalDeployment(i)}}.dump() + "\n";
}

void BM_DecodeDeploymentWatchEvent(benchmark::State& state) {
  std::string frame = watchFrame(1);
  WatchDecoder decoder;
  for (auto _ : state) {
    decoder.feed(frame);
    auto event = decoder.nextEvent();
    benchmark::DoNotOptimize(event);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * frame.size()));
  state.counters["frame_bytes"] = static_cast<double>(frame.size());
}
BENCHMARK(BM_DecodeDeploymentWatchEvent);

// What a controller keeps of a Deployment instead of its whole JSON.
struct DeploymentProjection {
  std::string name, ns, resourceVersion;
  int replicas = 0, readyReplicas = 0;
  long long generation = 0, observedGeneration = 0;
};

// One cache update per event over a store of 1,000 Deployments: the whole object, or a projection.
template <bool kProject>
void BM_InformerCacheUpdate(benchmark::State& state) {
  constexpr int kObjects = 1000;
  std::vector<Json> events;
  for (int i = 0; i < kObjects; ++i) events.push_back(typicalDeployment(i));
  Store<Json> whole;
  Store<DeploymentProjection> projected;
  int i = 0;
  for (auto _ : state) {
    const Json& object = events[i++ % kObjects];
    const Json& meta = object["metadata"];
    std::string key = objectKey(meta.value("namespace", ""), meta.value("name", ""));
    if constexpr (kProject) {
      auto p = std::make_shared<DeploymentProjection>();
      p->name = meta.value("name", "");
      p->ns = meta.value("namespace", "");
      p->resourceVersion = meta.value("resourceVersion", "");
      p->generation = meta.value("generation", 0LL);
      p->replicas = object["spec"].value("replicas", 0);
      p->readyReplicas = object["status"].value("readyReplicas", 0);
      p->observedGeneration = object["status"].value("observedGeneration", 0LL);
      benchmark::DoNotOptimize(projected.upsert(key, std::move(p)));
    } else {
      benchmark::DoNotOptimize(whole.upsert(key, std::make_shared<const Json>(object)));
    }
  }
}
BENCHMARK(BM_InformerCacheUpdate<false>)->Name("BM_InformerCacheUpdate/whole_json");
BENCHMARK(BM_InformerCacheUpdate<true>)->Name("BM_InformerCacheUpdate/projection");

void BM_WorkQueueAddGetDone(benchmark::State& state) {
  WorkQueue queue;
  std::vector<std::string> keys;
  for (int i = 0; i < 10000; ++i)
    keys.push_back("namespace-" + std::to_string(i % 50) + "/canary-" + std::to_string(i));
  int i = 0;
  for (auto _ : state) {
    queue.add(keys[i++ % keys.size()]);
    auto key = queue.get();
    queue.done(*key);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_WorkQueueAddGetDone);

// Producers add while workers drain: throughput with contention on the queue's lock.
void BM_WorkQueueContended(benchmark::State& state) {
  const int workers = static_cast<int>(state.range(0));
  constexpr int kItems = 200000;
  for (auto _ : state) {
    WorkQueue queue;
    std::atomic<int> handled{0};
    std::vector<std::thread> pool;
    for (int w = 0; w < workers; ++w) {
      pool.emplace_back([&] {
        while (auto key = queue.get()) {
          queue.done(*key);
          ++handled;
        }
      });
    }
    for (int i = 0; i < kItems; ++i) queue.add("k" + std::to_string(i));
    queue.shutDown();
    for (auto& t : pool) t.join();
    benchmark::DoNotOptimize(handled.load());
  }
  state.SetItemsProcessed(state.iterations() * kItems);
}
BENCHMARK(BM_WorkQueueContended)->Arg(1)->Arg(2)->Arg(4)->UseRealTime()->Unit(benchmark::kMillisecond);

// A GET of one Deployment over loopback with keep-alive (client + test server on the same 2 cores).
void BM_GetRoundTripLoopback(benchmark::State& state) {
  testing::FakeApiServer server;
  server.upsert("/apis/apps/v1/deployments", typicalDeployment(1));
  auto client = HttpKubeClient::create(server.clusterConfig());
  for (auto _ : state) {
    auto r = (*client)->get(resources::kDeployments, "test", "podinfo-1");
    if (!r) state.SkipWithError(r.error().describe().c_str());
    benchmark::DoNotOptimize(r);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_GetRoundTripLoopback)->UseRealTime();

}  // namespace
}  // namespace aviary::kube
