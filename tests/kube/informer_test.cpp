// Informers against a real HTTP server: sync, live events, relist after 410 without ghosts or missed
// deletes, recovery from dropped watches, paging, projections and resync.
#include "operator/kube/informer.h"

#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <set>
#include <vector>

#include "operator/kube/http_kube_client.h"
#include "tests/support/eventually.h"
#include "tests/support/fake_api_server.h"

namespace aviary::kube {
namespace {

using testing::FakeApiServer;
using namespace std::chrono_literals;
// These tests give asynchronous outcomes 5 s.
template <class Pred>
bool eventually(Pred pred) {
  return aviary::testing::eventually(pred, 5s);
}

const std::string kDeployments = "/apis/apps/v1/deployments";

Json deployment(const std::string& name, int replicas = 1, const std::string& ns = "test") {
  return {{"apiVersion", "apps/v1"},
          {"kind", "Deployment"},
          {"metadata", {{"name", name}, {"namespace", ns}, {"labels", {{"app", name}}}}},
          {"spec", {{"replicas", replicas}}}};
}

// Records handler calls.
struct Recorder {
  std::mutex m;
  std::multiset<std::string> added, updated, deleted;
  template <class T>
  typename Informer<T>::Handlers handlers(std::function<std::string(const T&)> nameOf) {
    return {[this, nameOf](const auto& o) {
              std::lock_guard l(m);
              added.insert(nameOf(*o));
            },
            [this, nameOf](const auto&, const auto& n) {
              std::lock_guard l(m);
              updated.insert(nameOf(*n));
            },
            [this, nameOf](const auto& o) {
              std::lock_guard l(m);
              deleted.insert(nameOf(*o));
            }};
  }
  std::size_t count(std::multiset<std::string>& set, const std::string& name) {
    std::lock_guard l(m);
    return set.count(name);
  }
};

std::string jsonName(const Json& j) {
  return j["metadata"].value("name", "");
}

class InformerTest : public ::testing::Test {
 protected:
  void SetUp() override { client_ = std::move(*HttpKubeClient::create(server_.clusterConfig())); }
  ReflectorOptions options(int pageSize = 500) {
    ReflectorOptions o;
    o.type = resources::kDeployments;
    o.pageSize = pageSize;
    o.initialBackoff = 50ms;
    o.maxBackoff = 200ms;
    return o;
  }
  FakeApiServer server_;
  std::unique_ptr<HttpKubeClient> client_;
};

TEST_F(InformerTest, SyncsThenFollowsEvents) {
  server_.upsert(kDeployments, deployment("a"));
  server_.upsert(kDeployments, deployment("b"));
  Informer<> informer(*client_, options());
  Recorder rec;
  informer.addHandlers(rec.handlers<Json>(jsonName));
  informer.start();
  ASSERT_TRUE(informer.waitForSync(5s));
  EXPECT_TRUE(informer.hasSynced());
  EXPECT_EQ(informer.store().size(), 2u);
  EXPECT_EQ(rec.count(rec.added, "a"), 1u);

  server_.upsert(kDeployments, deployment("c"));
  server_.upsert(kDeployments, deployment("a", 3));
  server_.erase(kDeployments, "test", "b");
  ASSERT_TRUE(eventually([&] { return informer.store().get("test/c") && !informer.store().get("test/b"); }));
  ASSERT_TRUE(eventually([&] { return (*informer.store().get("test/a"))["spec"]["replicas"] == 3; }));
  EXPECT_EQ(rec.count(rec.updated, "a"), 1u);
  EXPECT_EQ(rec.count(rec.deleted, "b"), 1u);
  EXPECT_EQ(informer.store().byIndex("namespace", "test").size(), 2u);
  EXPECT_EQ(informer.reflector().listCount(), 1);
}

TEST_F(InformerTest, RelistAfterGoneLeavesNoGhostsAndMissesNoDeletes) {
  server_.upsert(kDeployments, deployment("keep"));
  server_.upsert(kDeployments, deployment("doomed"));
  Informer<> informer(*client_, options());
  Recorder rec;
  informer.addHandlers(rec.handlers<Json>(jsonName));
  informer.start();
  ASSERT_TRUE(informer.waitForSync(5s));
  ASSERT_TRUE(eventually([&] { return server_.openWatches() == 1; }));

  // While the watch is down (the server refuses to re-open it), things change and the history is
  // compacted: resuming from the last version gets 410, and only a relist can recover.
  server_.addFault(testing::Fault{"GET", "/apis/apps/v1/deployments", 500, "InternalError", "", 1'000'000});
  server_.endWatches(false);
  ASSERT_TRUE(eventually([&] { return server_.openWatches() == 0; }));
  server_.erase(kDeployments, "test", "doomed");
  server_.upsert(kDeployments, deployment("newcomer"));
  server_.upsert(kDeployments, deployment("keep", 4));
  server_.compactHistory();
  server_.clearFaults();

  ASSERT_TRUE(eventually(
      [&] { return informer.reflector().listCount() >= 2 && informer.store().get("test/newcomer"); }));
  EXPECT_FALSE(informer.store().get("test/doomed")) << "ghost object after relist";
  EXPECT_EQ(rec.count(rec.deleted, "doomed"), 1u) << "missed delete";
  EXPECT_EQ(rec.count(rec.added, "newcomer"), 1u);
  EXPECT_EQ((*informer.store().get("test/keep"))["spec"]["replicas"], 4);
  EXPECT_EQ(informer.store().size(), 2u);
  // Live again after the relist.
  server_.upsert(kDeployments, deployment("after"));
  EXPECT_TRUE(eventually([&] { return informer.store().get("test/after") != nullptr; }));
}

TEST_F(InformerTest, DroppedWatchResumesFromLastVersionWithoutRelisting) {
  server_.upsert(kDeployments, deployment("a"));
  Informer<> informer(*client_, options());
  informer.start();
  ASSERT_TRUE(informer.waitForSync(5s));
  ASSERT_TRUE(eventually([&] { return server_.openWatches() == 1; }));
  server_.endWatches(true);  // connection dropped mid-stream
  ASSERT_TRUE(eventually([&] { return informer.reflector().watchCount() >= 2; }));
  server_.upsert(kDeployments, deployment("b"));
  ASSERT_TRUE(eventually([&] { return informer.store().get("test/b") != nullptr; }));
  EXPECT_EQ(informer.reflector().listCount(), 1);
  // The re-watch asked for events after the last version seen, not from scratch.
  bool resumed = false;
  for (const auto& r : server_.requests()) {
    if (r.target.find("watch=true") != std::string::npos &&
        r.target.find("resourceVersion=") != std::string::npos &&
        r.target.find("resourceVersion=0") == std::string::npos) {
      resumed = true;
    }
  }
  EXPECT_TRUE(resumed);
}

TEST_F(InformerTest, BookmarksAdvanceTheResumeVersion) {
  Informer<> informer(*client_, options());
  informer.start();
  ASSERT_TRUE(informer.waitForSync(5s));
  ASSERT_TRUE(eventually([&] { return server_.openWatches() == 1; }));
  server_.upsert("/api/v1/configmaps", {{"metadata", {{"name", "unrelated"}, {"namespace", "test"}}}});
  server_.sendBookmark();
  EXPECT_TRUE(eventually(
      [&] { return informer.reflector().lastResourceVersion() == server_.currentResourceVersion(); }));
  EXPECT_EQ(informer.store().size(), 0u);
}

TEST_F(InformerTest, ListsInPages) {
  for (int i = 0; i < 25; ++i) server_.upsert(kDeployments, deployment("d" + std::to_string(i)));
  Informer<> informer(*client_, options(10));
  informer.start();
  ASSERT_TRUE(informer.waitForSync(5s));
  EXPECT_EQ(informer.store().size(), 25u);
  int pages = 0;
  for (const auto& r : server_.requests()) {
    if (r.path == "/apis/apps/v1/deployments" && r.target.find("watch=true") == std::string::npos) {
      EXPECT_NE(r.target.find("limit=10"), std::string::npos) << r.target;
      ++pages;
    }
  }
  EXPECT_EQ(pages, 3);
}

TEST_F(InformerTest, ListFailureRetriesWithBackoff) {
  server_.addFault(testing::Fault{"GET", "/apis/apps/v1/deployments", 503, "ServiceUnavailable", "", 2});
  server_.upsert(kDeployments, deployment("a"));
  Informer<> informer(*client_, options());
  informer.start();
  ASSERT_TRUE(informer.waitForSync(5s));
  EXPECT_EQ(informer.reflector().listCount(), 3);
  EXPECT_EQ(informer.store().size(), 1u);
}

// The compact projection a controller keeps of a Deployment.
struct DeploymentSummary {
  std::string name;
  int replicas = 0;
  std::string app;
};

TEST_F(InformerTest, StoresProjectionsWithCustomIndex) {
  server_.upsert(kDeployments, deployment("a", 2));
  server_.upsert(kDeployments, deployment("b", 5));
  Informer<DeploymentSummary> informer(*client_, options(), [](const Json& j) {
    return DeploymentSummary{j["metadata"].value("name", ""), j["spec"].value("replicas", 0),
                             j["metadata"]["labels"].value("app", "")};
  });
  informer.addIndex("app", [](const DeploymentSummary& d) { return std::vector<std::string>{d.app}; });
  Recorder rec;
  informer.addHandlers(rec.handlers<DeploymentSummary>([](const DeploymentSummary& d) { return d.name; }));
  informer.start();
  ASSERT_TRUE(informer.waitForSync(5s));
  EXPECT_EQ(informer.store().get("test/b")->replicas, 5);
  ASSERT_EQ(informer.store().byIndex("app", "a").size(), 1u);
  EXPECT_EQ(informer.store().byIndex("app", "a")[0]->name, "a");
  server_.erase(kDeployments, "test", "a");
  ASSERT_TRUE(eventually([&] { return informer.store().byIndex("app", "a").empty(); }));
  EXPECT_EQ(rec.count(rec.deleted, "a"), 1u);
}

// onDelivered hands over what the projection drops, for the moment of the delivery: from the list and
// from the watch, instead of onAdd/onUpdate; a deletion still goes to onDelete.
TEST_F(InformerTest, DeliversTheWholeObjectBesideItsProjection) {
  server_.upsert(kDeployments, deployment("a", 2));
  Informer<DeploymentSummary> informer(*client_, options(), [](const Json& j) {
    return DeploymentSummary{j["metadata"].value("name", ""), 0, ""};
  });
  std::mutex m;
  std::vector<std::pair<std::string, int>> delivered;  // name, spec.replicas of the whole object
  std::vector<std::string> deleted;
  std::atomic<int> addedOrUpdated{0};
  Informer<DeploymentSummary>::Handlers handlers;
  handlers.onAdd = [&](const auto&) { ++addedOrUpdated; };
  handlers.onUpdate = [&](const auto&, const auto&) { ++addedOrUpdated; };
  handlers.onDelete = [&](const auto& o) {
    std::lock_guard l(m);
    deleted.push_back(o->name);
  };
  handlers.onDelivered = [&](const Json& whole, const auto& projected) {
    std::lock_guard l(m);
    EXPECT_EQ(projected->name, whole["metadata"]["name"]);
    delivered.emplace_back(projected->name, whole["spec"]["replicas"].get<int>());
  };
  informer.addHandlers(std::move(handlers));
  informer.start();
  ASSERT_TRUE(informer.waitForSync(5s));
  server_.upsert(kDeployments, deployment("a", 3));
  server_.erase(kDeployments, "test", "a");
  ASSERT_TRUE(eventually([&] {
    std::lock_guard l(m);
    return !deleted.empty();
  }));
  std::lock_guard l(m);
  EXPECT_EQ(delivered, (std::vector<std::pair<std::string, int>>{{"a", 2}, {"a", 3}}));
  EXPECT_EQ(deleted, std::vector<std::string>{"a"});
  EXPECT_EQ(addedOrUpdated, 0);
}

TEST_F(InformerTest, ResyncRevisitsEveryObject) {
  server_.upsert(kDeployments, deployment("a"));
  server_.upsert(kDeployments, deployment("b"));
  Informer<> informer(*client_, options());
  Recorder rec;
  informer.addHandlers(rec.handlers<Json>(jsonName));
  informer.setResyncPeriod(100ms);
  informer.start();
  ASSERT_TRUE(informer.waitForSync(5s));
  EXPECT_TRUE(
      eventually([&] { return rec.count(rec.updated, "a") >= 2 && rec.count(rec.updated, "b") >= 2; }));
}

TEST_F(InformerTest, StopEndsPromptlyWithAnOpenWatch) {
  Informer<> informer(*client_, options());
  informer.start();
  ASSERT_TRUE(informer.waitForSync(5s));
  ASSERT_TRUE(eventually([&] { return server_.openWatches() == 1; }));
  auto start = std::chrono::steady_clock::now();
  informer.stop();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 2s);
}

}  // namespace
}  // namespace aviary::kube
