// The traffic simulator's two sources of cluster state: the view over a real server's Pods and
// EndpointSlices (scripted changes, no server), and the watch source's handling of mesh types whose CRD
// comes and goes (against the sandbox's API server over HTTP, as any API server).
#include <gtest/gtest.h>

#include "operator/kube/http_kube_client.h"
#include "sandbox/api/api_server.h"
#include "sandbox/traffic/pod_workloads.h"
#include "sandbox/traffic/remote/watch_source.h"
#include "sandbox/traffic/routing/mesh_routing.h"
#include "sandbox/yaml_json.h"
#include "tests/support/eventually.h"

namespace aviary::sandbox::traffic {
namespace {

using namespace std::chrono_literals;

// Changes handed to the view as a real server's watch would deliver them.
class ScriptedSource final : public ClusterSource {
 public:
  PodModel podModel() const override { return PodModel::PodsAndEndpointSlices; }
  std::vector<ClusterChange> takeChanges() override { return std::exchange(pending_, {}); }
  void upsert(FeedId feed, Json object) {
    pending_.push_back({ClusterChange::Kind::Upsert, feed, std::make_shared<const Json>(std::move(object))});
  }
  void remove(FeedId feed, Json object) {
    pending_.push_back({ClusterChange::Kind::Delete, feed, std::make_shared<const Json>(std::move(object))});
  }
  void reset(FeedId feed) { pending_.push_back({ClusterChange::Kind::Reset, feed, nullptr}); }

 private:
  std::vector<ClusterChange> pending_;
};

// A pod of ReplicaSet `<deployment>-<hash>` as the ReplicaSet controller makes it (an empty hash: a bare
// pod).
Json pod(const std::string& name, const std::string& deployment, const std::string& hash, bool ready,
         Json annotations = Json::object()) {
  Json p = {{"metadata",
             {{"namespace", "shop"},
              {"name", name},
              {"labels", {{"app", deployment}}},
              {"annotations", std::move(annotations)}}},
            {"status", {{"conditions", {{{"type", "Ready"}, {"status", ready ? "True" : "False"}}}}}}};
  if (!hash.empty()) {
    p["metadata"]["labels"]["pod-template-hash"] = hash;
    p["metadata"]["ownerReferences"] = {{{"apiVersion", "apps/v1"},
                                         {"kind", "ReplicaSet"},
                                         {"name", deployment + "-" + hash},
                                         {"controller", true}}};
  }
  return p;
}

// An EndpointSlice of `service` listing `pods` with their ready condition.
Json slice(const std::string& name, const std::string& service,
           const std::vector<std::pair<std::string, bool>>& pods) {
  Json endpoints = Json::array();
  for (const auto& [pod, ready] : pods) {
    endpoints.push_back({{"addresses", {"10.244.0.9"}},
                         {"conditions", {{"ready", ready}}},
                         {"targetRef", {{"kind", "Pod"}, {"namespace", "shop"}, {"name", pod}}}});
  }
  return {{"metadata",
           {{"namespace", "shop"}, {"name", name}, {"labels", {{"kubernetes.io/service-name", service}}}}},
          {"endpoints", endpoints}};
}

Json service(const std::string& name, const std::string& app, int rps = 0) {
  Json s = {{"metadata", {{"namespace", "shop"}, {"name", name}, {"annotations", Json::object()}}},
            {"spec", {{"selector", {{"app", app}}}, {"ports", {{{"port", 80}}}}}}};
  if (rps > 0) s["metadata"]["annotations"][kRpsAnnotation] = std::to_string(rps);
  return s;
}

std::vector<std::string> namesAndPods(const std::vector<const Workload*>& workloads) {
  std::vector<std::string> out;
  for (const Workload* w : workloads) {
    for (const auto& p : w->podNames) out.push_back(w->name + ":" + p);
  }
  return out;
}

TEST(PodWorkloads, NamesAWorkloadForItsDeploymentAsIstioDoes) {
  EXPECT_EQ(PodWorkloads::deploymentOf("podinfo-7948f4f77", "7948f4f77"), "podinfo");
  EXPECT_EQ(PodWorkloads::deploymentOf("podinfo-primary-5d9c", "5d9c"), "podinfo-primary");
  EXPECT_EQ(PodWorkloads::deploymentOf("custom-rs", "7948f4f77"), "custom-rs") << "not a Deployment's";
  EXPECT_EQ(PodWorkloads::deploymentOf("x", ""), "x");
}

TEST(PodModelView, GroupsPodsByReplicaSetWithTheirTemplatesBehaviour) {
  ScriptedSource source;
  ClusterView view;
  source.upsert(kPodsFeed, pod("app-abc-1", "app", "abc", true, {{kErrorRateAnnotation, "0.2"}}));
  source.upsert(kPodsFeed, pod("app-abc-2", "app", "abc", false, {{kErrorRateAnnotation, "0.2"}}));
  source.upsert(kPodsFeed, pod("app-def-1", "app", "def", true));  // a rollout: the next version
  source.upsert(kPodsFeed, pod("debug", "debug", "", true));       // a bare pod
  EXPECT_EQ(view.sync(source), std::set<std::string>{"shop"});
  const auto& workloads = view.workloads().at("shop");
  ASSERT_EQ(workloads.size(), 3u);
  const Workload& old = workloads.at("app-abc");
  EXPECT_EQ(old.name, "app");
  EXPECT_EQ(old.podTemplateHash, "abc");
  EXPECT_EQ(old.errorRate, 0.2);
  EXPECT_EQ(old.podNames, std::vector<std::string>{"app-abc-1"}) << "only ready pods serve";
  EXPECT_EQ(workloads.at("app-def").name, "app");
  EXPECT_EQ(workloads.at("app-def").errorRate, 0);
  EXPECT_EQ(workloads.at("debug").name, "debug");
  EXPECT_EQ(view.podsByNamespace().at("shop").size(), 4u) << "unready pods still own their series";
  EXPECT_EQ(namesAndPods(view.workloadsSelectedBy("shop", {{"app", "app"}})),
            (std::vector<std::string>{"app:app-abc-1", "app:app-def-1"}));
}

TEST(PodModelView, AServiceIsServedByTheReadyEndpointsItsSlicesList) {
  ScriptedSource source;
  ClusterView view;
  source.upsert(kServicesFeed, service("app", "app"));
  for (const char* name : {"app-abc-1", "app-abc-2", "app-abc-3"})
    source.upsert(kPodsFeed, pod(name, "app", "abc", true));
  source.reset(kEndpointSlicesFeed);  // the first list of a served type
  // The endpointslice controller has not caught up with app-abc-3 yet, and marks app-abc-2 unready.
  source.upsert(kEndpointSlicesFeed, slice("app-x1", "app", {{"app-abc-1", true}, {"app-abc-2", false}}));
  view.sync(source);
  EXPECT_EQ(namesAndPods(view.workloadsServing("shop", "app", {})),
            std::vector<std::string>{"app:app-abc-1"});
  EXPECT_TRUE(view.workloadsServing("shop", "app", {{"version", "v2"}}).empty())
      << "a subset narrows by pod labels";
  EXPECT_TRUE(view.workloadsServing("shop", "other", {}).empty());

  source.upsert(kEndpointSlicesFeed, slice("app-x2", "app", {{"app-abc-3", true}}));
  view.sync(source);
  EXPECT_EQ(namesAndPods(view.workloadsServing("shop", "app", {})),
            (std::vector<std::string>{"app:app-abc-1", "app:app-abc-3"}));

  source.remove(kEndpointSlicesFeed, slice("app-x1", "app", {}));
  source.reset(kPodsFeed);  // a relist that finds only app-abc-3
  source.upsert(kPodsFeed, pod("app-abc-3", "app", "abc", true));
  view.sync(source);
  EXPECT_EQ(namesAndPods(view.workloadsServing("shop", "app", {})),
            std::vector<std::string>{"app:app-abc-3"});
}

TEST(PodModelView, WithoutEndpointSlicesAServiceSelectsTheReadyPods) {
  ScriptedSource source;
  ClusterView view;
  source.upsert(kServicesFeed, service("app", "app"));
  source.upsert(kPodsFeed, pod("app-abc-1", "app", "abc", true));
  source.upsert(kPodsFeed, pod("app-abc-2", "app", "abc", false));
  source.upsert(kPodsFeed, pod("other-x-1", "other", "x", true));
  view.sync(source);
  EXPECT_EQ(namesAndPods(view.workloadsServing("shop", "app", {})),
            std::vector<std::string>{"app:app-abc-1"});
  // The type appears: the slices decide from now on (none lists app's pods yet).
  source.reset(kEndpointSlicesFeed);
  EXPECT_EQ(view.sync(source), std::set<std::string>{"shop"});
  EXPECT_TRUE(view.workloadsServing("shop", "app", {}).empty());
}

TEST(PodModelView, MeshRoutesReachTheEndpointsOfTheirDestinationServices) {
  ScriptedSource source;
  ClusterView view;
  source.upsert(kServicesFeed, service("app", "app-primary", 100));
  source.upsert(kServicesFeed, service("app-primary", "app-primary"));
  source.upsert(kServicesFeed, service("app-canary", "app"));
  source.upsert(kPodsFeed, pod("app-primary-p-1", "app-primary", "p", true));
  source.upsert(kPodsFeed, pod("app-c-1", "app", "c", true));
  source.reset(kEndpointSlicesFeed);
  source.upsert(kEndpointSlicesFeed, slice("app-primary-1", "app-primary", {{"app-primary-p-1", true}}));
  source.upsert(kEndpointSlicesFeed, slice("app-canary-1", "app-canary", {{"app-c-1", true}}));
  source.upsert(meshFeed(MeshResource::IstioVirtualService), Json::parse(R"({
    "metadata": {"namespace": "shop", "name": "app"},
    "spec": {"hosts": ["app"], "http": [{"route": [
      {"destination": {"host": "app-primary"}, "weight": 90},
      {"destination": {"host": "app-canary"}, "weight": 10}]}]}})"));
  view.sync(source);
  RouteTable table = resolveRoutes(view, *view.service("shop", "app"));
  EXPECT_EQ(table.source, "VirtualService shop/app");
  ASSERT_EQ(table.routes.size(), 1u);
  ASSERT_EQ(table.routes[0].destinations.size(), 2u);
  EXPECT_EQ(namesAndPods(table.routes[0].destinations[0].destination.workloads),
            std::vector<std::string>{"app-primary:app-primary-p-1"});
  EXPECT_EQ(namesAndPods(table.routes[0].destinations[1].destination.workloads),
            std::vector<std::string>{"app:app-c-1"});
}

// The watch source against the sandbox's API server, reached over HTTP like any server.
TEST(WatchSource, AMeshTypeIsWatchedWhileItsCrdIsInstalled) {
  ApiServer server(ApiServerOptions{});
  ASSERT_TRUE(server.start().ok());
  kube::ClusterConfig config;
  config.server = server.url();
  config.qps = 0;
  auto client = kube::HttpKubeClient::create(config);
  ASSERT_TRUE(client) << client.error().message;
  WatchSource source(**client, WatchSourceOptions{.discoveryInterval = 50ms});
  source.start();
  ASSERT_TRUE(source.waitForSync(5s));
  EXPECT_EQ(source.watchedFeeds(), (std::vector<FeedId>{kServicesFeed, kPodsFeed}))
      << "the sandbox serves no EndpointSlices and no mesh CRD is installed: nothing else to watch, no error";

  auto crds = loadManifests(std::string(AVIARY_SOURCE_DIR) + "/sandbox/crds/traefik.yaml");
  ASSERT_TRUE(crds) << crds.error().message;
  for (const auto& crd : *crds) ASSERT_TRUE(server.apply(crd));
  auto traefikFeed = meshFeed(MeshResource::TraefikService);
  auto watched = [&] {
    auto feeds = source.watchedFeeds();
    return std::find(feeds.begin(), feeds.end(), traefikFeed) != feeds.end();
  };
  ASSERT_TRUE(aviary::testing::eventually(watched, 5s));
  ASSERT_TRUE(server.apply({{"apiVersion", "traefik.io/v1alpha1"},
                            {"kind", "TraefikService"},
                            {"metadata", {{"name", "app"}, {"namespace", "default"}}},
                            {"spec", {{"weighted", {{"services", Json::array()}}}}}}));
  ClusterView view;
  EXPECT_TRUE(aviary::testing::eventually([&] {
    view.sync(source);
    return view.meshObject(MeshResource::TraefikService, "default", "app") != nullptr;
  }));

  for (const auto& crd : *crds) {
    ASSERT_TRUE((*client)->remove(kube::resources::kCustomResourceDefinitions, "",
                                  crd["metadata"]["name"].get<std::string>()));
  }
  EXPECT_TRUE(aviary::testing::eventually([&] { return !watched(); }, 5s));
  EXPECT_TRUE(aviary::testing::eventually([&] {
    view.sync(source);
    return view.meshObject(MeshResource::TraefikService, "default", "app") == nullptr;
  })) << "a type that is no longer served takes its objects with it";
  source.stop();
  server.stop();
}

}  // namespace
}  // namespace aviary::sandbox::traffic
