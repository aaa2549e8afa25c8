// Traffic simulation cost (issue 4): one 100 ms simulation tick with 10,000 loaded Services (each a
// primary/canary pair behind an Istio VirtualService, 10 requests/s each), the full routing rebuild of
// those 10,000 Services, and rendering /metrics for 1,000 Services. Targets: tick < 20 ms, render < 200 ms.
#include <benchmark/benchmark.h>

#include <thread>

#include "sandbox/api/api_server.h"
#include "sandbox/traffic/traffic_simulator.h"
#include "sandbox/yaml_json.h"
#include "tests/support/mesh_scenarios.h"

using namespace aviary;
using namespace aviary::sandbox;

namespace {

// An API server holding `services` Istio scenarios, every Deployment rolled out.
std::unique_ptr<ApiServer> clusterWith(int services) {
  ApiServerOptions options;
  options.defaultReadyAfter = std::chrono::milliseconds(1);
  auto server = std::make_unique<ApiServer>(options);
  if (!server->start()) std::abort();
  auto crds = loadManifests(std::string(AVIARY_SOURCE_DIR) + "/sandbox/crds");
  for (const auto& crd : *crds) (void)server->apply(crd);
  auto objects = aviary::testing::scenarioManifests(
      {.mesh = aviary::testing::Mesh::Istio, .ns = "template", .canaryWeight = 10, .rps = 10});
  for (int i = 0; i < services; ++i) {
    std::string ns = "svc-" + std::to_string(i);
    for (auto o : objects) {
      if (o["kind"] == "Namespace") {
        o["metadata"]["name"] = ns;
      } else {
        o["metadata"]["namespace"] = ns;
      }
      if (!server->apply(o)) std::abort();
    }
  }
  // Wait for the Deployment simulator to roll everything out.
  auto kind = server->registry().find("apps", "v1", "deployments");
  for (;;) {
    auto list = server->store().list(*kind, "", LabelSelector(), FieldSelector(), 0, "");
    std::size_t ready = 0;
    for (const auto& d : list->items) {
      ready +=
          d.value("/status/availableReplicas"_json_pointer, 0) == d.value("/spec/replicas"_json_pointer, 1);
    }
    if (ready == list->items.size()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  return server;
}

ApiServer& cluster(int services) {
  static std::map<int, std::unique_ptr<ApiServer>> clusters;
  auto& c = clusters[services];
  if (!c) c = clusterWith(services);
  return *c;
}

void BM_TrafficTick(benchmark::State& state) {
  auto& server = cluster(static_cast<int>(state.range(0)));
  traffic::TrafficSimulator sim(server.store(), server.registry());
  sim.syncRouting();
  for (auto _ : state) sim.step(std::chrono::milliseconds(100));
  auto stats = sim.stats();
  state.counters["services"] = static_cast<double>(stats.loadedServices);
  state.counters["requests_per_tick"] =
      static_cast<double>(stats.requests) / static_cast<double>(state.iterations());
}
BENCHMARK(BM_TrafficTick)->Arg(10'000)->Unit(benchmark::kMillisecond);

// A fresh simulator: reads every object and compiles every Service's routing.
void BM_TrafficRoutingRebuild(benchmark::State& state) {
  auto& server = cluster(static_cast<int>(state.range(0)));
  for (auto _ : state) {
    traffic::TrafficSimulator sim(server.store(), server.registry());
    sim.syncRouting();
    benchmark::DoNotOptimize(sim.stats().plansCompiled);
  }
}
BENCHMARK(BM_TrafficRoutingRebuild)->Arg(10'000)->Unit(benchmark::kMillisecond)->Iterations(3);

void BM_MetricsRender(benchmark::State& state) {
  auto& server = cluster(static_cast<int>(state.range(0)));
  traffic::TrafficSimulator sim(server.store(), server.registry());
  for (int i = 0; i < 100; ++i) sim.step(std::chrono::milliseconds(100));
  std::size_t bytes = 0;
  for (auto _ : state) {
    std::string text = sim.renderMetrics();
    bytes = text.size();
    benchmark::DoNotOptimize(text);
  }
  state.counters["series"] = static_cast<double>(sim.stats().series);
  state.counters["MB"] = static_cast<double>(bytes) / 1e6;
}
BENCHMARK(BM_MetricsRender)->Arg(1'000)->Unit(benchmark::kMillisecond);

}  // namespace
