#include "sandbox/sim/deployment_simulator.h"

#include <gtest/gtest.h>

#include <thread>

namespace aviary::sandbox {
namespace {

using namespace std::chrono_literals;

Json deployment(const std::string& name, const std::string& readyAfter) {
  return Json{{"apiVersion", "apps/v1"},
              {"kind", "Deployment"},
              {"metadata",
               {{"name", name},
                {"namespace", "default"},
                {"annotations", {{"sandbox.aviary.io/ready-after", readyAfter}}}}},
              {"spec",
               {{"replicas", 1},
                {"selector", {{"matchLabels", {{"app", name}}}}},
                {"template",
                 {{"metadata", {{"labels", {{"app", name}}}}},
                  {"spec", {{"containers", Json::array({{{"name", "c"}, {"image", "img:1"}}})}}}}}}}};
}

// A label change on Deployment `name` (not a new generation); many in a row outrun the simulator, whose
// watch position then expires in a history of one event.
void relabel(ObjectStore& store, const ResourceKind& kind, const std::string& name, int tick) {
  ASSERT_TRUE(store.modify(kind, "default", name, [&](const Json& current) -> Result<Json> {
    Json next = current;
    next["metadata"]["labels"]["tick"] = std::to_string(tick);
    return next;
  }));
}

bool ready(ObjectStore& store, const ResourceKind& kind, const std::string& name) {
  auto d = store.get(kind, "default", name);
  return d && d->value("/status/readyReplicas"_json_pointer, 0) == 1 &&
         d->value("/status/observedGeneration"_json_pointer, 0) == 1;
}

// The watch history keeps one event, and other Deployments change every few milliseconds: the simulator's
// position expires again and again and it lists the Deployments anew. A rollout already under way keeps
// its clock through those relists (restarting it on each, as the simulator once did, kept it from ever
// finishing while the writes went on, and rewrote every Deployment's status each time: at 10,000
// Canaries that fed the next expiry).
TEST(DeploymentSimulator, ARolloutFinishesOnTimeWhileTheHistoryKeepsExpiring) {
  ObjectStore store(1);
  ResourceRegistry registry;
  auto kind = registry.find("apps", "v1", "deployments");
  ASSERT_TRUE(kind);
  DeploymentSimulator simulator(store, registry);
  simulator.start();
  ASSERT_TRUE(store.create(*kind, "default", deployment("web", "1s")));
  auto created = std::chrono::steady_clock::now();

  bool readyDuringChurn = false;
  for (int i = 0; i < 600 && !readyDuringChurn; ++i) {  // at most about 3 s
    std::string name = "other-" + std::to_string(i % 20);
    if (i < 20) {
      ASSERT_TRUE(store.create(*kind, "default", deployment(name, "1h")));
    } else {
      for (int burst = 0; burst < 10; ++burst)
        ASSERT_NO_FATAL_FAILURE(relabel(store, *kind, name, i * 10 + burst));
    }
    std::this_thread::sleep_for(5ms);
    readyDuringChurn = ready(store, *kind, "web");
  }
  EXPECT_TRUE(readyDuringChurn) << "still not ready after "
                                << std::chrono::duration_cast<std::chrono::milliseconds>(
                                       std::chrono::steady_clock::now() - created)
                                       .count()
                                << " ms of writes";
  EXPECT_GE(std::chrono::steady_clock::now() - created, 1s);
  EXPECT_GT(simulator.relists(), 0) << "the history never expired: this test tested nothing";
  // The Deployments that only changed labels were never rolled out again: still progressing, generation 1.
  auto other = store.get(*kind, "default", "other-3");
  ASSERT_TRUE(other);
  EXPECT_EQ(other->value("/metadata/generation"_json_pointer, 0), 1);
  EXPECT_EQ(other->value("/status/unavailableReplicas"_json_pointer, 0), 1);
  simulator.stop();
}

// A Deployment deleted and created again under the same name is a new rollout, though its generation is 1
// again. With a history of one event and writes in bursts, the simulator usually misses the deletion and
// the creation and finds the new object in a relist, where only its uid tells it apart from the finished
// rollout. Whether a given burst outruns it depends on the scheduler (with bursts of 20 writes, 1 round in
// 10 did not, 6 in 10 with both cores busy; with 50, none did in 150 rounds under that load), so every
// recreation must roll out again and most must have gone through a relist.
TEST(DeploymentSimulator, ADeploymentCreatedAgainUnderItsNameIsRolledOutAgain) {
  ObjectStore store(1);
  ResourceRegistry registry;
  auto kind = registry.find("apps", "v1", "deployments");
  ASSERT_TRUE(kind);
  DeploymentSimulator simulator(store, registry);
  simulator.start();
  ASSERT_TRUE(store.create(*kind, "default", deployment("other", "1h")));
  auto burst = [&](int tick) {
    for (int i = 0; i < 50; ++i) ASSERT_NO_FATAL_FAILURE(relabel(store, *kind, "other", tick * 100 + i));
  };
  constexpr int kRounds = 10;
  int relisted = 0;
  for (int round = 0; round < kRounds; ++round) {  // each recreation must roll out again
    ASSERT_TRUE(store.create(*kind, "default", deployment("web", "50ms")));
    for (int i = 0; i < 300 && !ready(store, *kind, "web"); ++i) std::this_thread::sleep_for(10ms);
    ASSERT_TRUE(ready(store, *kind, "web")) << "round " << round;
    const long long relistsBefore = simulator.relists();
    ASSERT_TRUE(store.remove(*kind, "default", "web"));
    ASSERT_NO_FATAL_FAILURE(burst(round * 2));
    ASSERT_TRUE(store.create(*kind, "default", deployment("web", "50ms")));
    ASSERT_NO_FATAL_FAILURE(burst(round * 2 + 1));
    for (int i = 0; i < 300 && !ready(store, *kind, "web"); ++i) std::this_thread::sleep_for(10ms);
    EXPECT_TRUE(ready(store, *kind, "web")) << "round " << round << ": the new object was never rolled out";
    if (simulator.relists() > relistsBefore) ++relisted;
    ASSERT_TRUE(store.remove(*kind, "default", "web"));
  }
  EXPECT_GE(relisted, kRounds / 2) << "too few recreations went through a relist: little was tested";
  simulator.stop();
}

}  // namespace
}  // namespace aviary::sandbox
