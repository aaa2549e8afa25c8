// The Istio router against the sandbox API server (real HTTP, the CRDs from sandbox/crds): the objects it
// writes, that it writes nothing when nothing changed, that it adopts a user's VirtualService, and that
// the sandbox's mesh then routes live traffic by its weights.
#include <gtest/gtest.h>

#include "mesh-adapters/istio/istio_router.h"
#include "operator/core/clock.h"
#include "operator/kube/http_kube_client.h"
#include "operator/kube/write_through_cache.h"
#include "sandbox/api/api_server.h"
#include "sandbox/yaml_json.h"
#include "tests/support/forwarding_client.h"

namespace aviary::mesh {
namespace {

using kube::Json;

class IstioRouterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = std::make_unique<sandbox::ApiServer>();
    ASSERT_TRUE(server_->start());
    auto crds = sandbox::loadManifests(std::string(AVIARY_SOURCE_DIR) + "/sandbox/crds");
    ASSERT_TRUE(crds);
    for (const auto& crd : *crds) ASSERT_TRUE(server_->apply(crd));
    kube::ClusterConfig config;
    config.server = server_->url();
    client_ = std::move(*kube::HttpKubeClient::create(config));
    canary_.ns = "test";
    canary_.name = "podinfo";
    canary_.uid = "0f1e2d3c-0000-4000-8000-000000000001";
    canary_.spec.targetRef = {"apps/v1", "Deployment", "podinfo", ""};
    canary_.spec.service.port = 9898;
    canary_.spec.service.gateways = {"mesh", "public-gateway"};
    canary_.spec.service.hosts = {"app.example.com"};
    canary_.spec.service.retries = {{"attempts", 3}, {"perTryTimeout", "1s"}};
    canary_.spec.service.timeout = "5s";
    canary_.spec.service.trafficPolicy = {{"tls", {{"mode", "ISTIO_MUTUAL"}}}};
  }

  Json vs() { return *client_->get(istio::kVirtualServices, "test", "podinfo"); }
  // A router writing through `client` (the sandbox's, or a cache in front of it).
  std::unique_ptr<istio::IstioRouter> routerOn(kube::KubeClient& client) {
    contexts_.push_back(std::make_unique<RouterContext>(RouterContext{client, settle_}));
    return std::make_unique<istio::IstioRouter>(*contexts_.back());
  }
  static TrafficIntent split(int primary, int canary) { return {primary, canary}; }
  // Creates a user's VirtualService "podinfo" (not labelled as Aviary's, annotation team: payments) and
  // gives it back in `created` when asked; call under ASSERT_NO_FATAL_FAILURE.
  void createUsersVirtualService(Json* created = nullptr) {
    auto existing = sandbox::yamlDocumentsToJson(R"(
apiVersion: networking.istio.io/v1beta1
kind: VirtualService
metadata: {name: podinfo, namespace: test, annotations: {team: payments}}
spec:
  hosts: [podinfo]
  exportTo: ["."]
  http: [{route: [{destination: {host: podinfo}}]}]
)",
                                                 "user");
    ASSERT_TRUE(existing);
    ASSERT_TRUE(client_->create(istio::kVirtualServices, "test", (*existing)[0]));
    if (created) *created = (*existing)[0];
  }
  // The cache's owned-object watch has seen no object; it has listed everything once `*listed` is true.
  static void watchHasSeenNone(kube::WriteThroughCache& cache, const bool* listed) {
    cache.setWatchedVersions([](const kube::ResourceType&, const std::string&, const std::string&) {
      return std::optional<std::string>();
    });
    cache.setWatchCovers([listed](const kube::ResourceType&) { return *listed; });
  }

  RouteSettleClock settle_{std::chrono::milliseconds(0)};
  std::vector<std::unique_ptr<RouterContext>> contexts_;
  const PodSelector pods_{"app", "podinfo"};

  std::unique_ptr<sandbox::ApiServer> server_;
  std::unique_ptr<kube::KubeClient> client_;
  api::Canary canary_;
};

TEST_F(IstioRouterTest, WritesTheVirtualServiceAndDestinationRules) {
  auto router = routerOn(*client_);
  ASSERT_TRUE(router->reconcile(canary_, pods_, split(90, 10)));
  Json v = vs();
  EXPECT_EQ(v["spec"]["hosts"], Json::array({"podinfo", "app.example.com"}));
  EXPECT_EQ(v["spec"]["gateways"], Json::array({"mesh", "public-gateway"}));
  const Json& route = v["spec"]["http"][0];
  EXPECT_EQ(route["route"][0]["destination"]["host"], "podinfo-primary");
  EXPECT_EQ(route["route"][0]["weight"], 90);
  EXPECT_EQ(route["route"][1]["destination"]["host"], "podinfo-canary");
  EXPECT_EQ(route["route"][1]["weight"], 10);
  EXPECT_EQ(route["retries"]["attempts"], 3);
  EXPECT_EQ(route["timeout"], "5s");
  EXPECT_EQ(v["metadata"]["ownerReferences"][0]["kind"], "Canary");
  for (const char* host : {"podinfo-primary", "podinfo-canary"}) {
    auto dr = client_->get(istio::kDestinationRules, "test", host);
    ASSERT_TRUE(dr) << host;
    EXPECT_EQ((*dr)["spec"]["host"], host);
    EXPECT_EQ((*dr)["spec"]["trafficPolicy"]["tls"]["mode"], "ISTIO_MUTUAL");
  }
  auto w = router->observed(canary_);
  ASSERT_TRUE(w);
  EXPECT_EQ(*w, split(90, 10));
}

TEST_F(IstioRouterTest, WritesNothingWhenNothingChanged) {
  auto router = routerOn(*client_);
  ASSERT_TRUE(router->reconcile(canary_, pods_, split(90, 10)));
  std::string rv = vs()["metadata"]["resourceVersion"];
  long long clusterRv = server_->store().currentResourceVersion();
  ASSERT_TRUE(router->reconcile(canary_, pods_, split(90, 10)));
  EXPECT_EQ(vs()["metadata"]["resourceVersion"], rv);
  EXPECT_EQ(server_->store().currentResourceVersion(), clusterRv) << "no object was written";
  ASSERT_TRUE(router->reconcile(canary_, pods_, split(50, 50)));
  EXPECT_NE(vs()["metadata"]["resourceVersion"], rv);
  EXPECT_EQ(*router->observed(canary_), split(50, 50));
  EXPECT_EQ(server_->store().currentResourceVersion(), clusterRv + 1) << "one write per step";
}

TEST_F(IstioRouterTest, ThroughTheWriteThroughCacheAStepCostsOneWriteAndNoRead) {
  kube::WriteThroughCache cache(*client_, {istio::kVirtualServices, istio::kDestinationRules});
  auto router = routerOn(cache);
  ASSERT_TRUE(router->reconcile(canary_, pods_, split(90, 10)));  // first sight: reads, then creates
  auto hits = cache.hits(), misses = cache.misses();
  long long clusterRv = server_->store().currentResourceVersion();
  ASSERT_TRUE(router->reconcile(canary_, pods_, split(80, 20)));
  EXPECT_EQ(cache.misses(), misses) << "no read went to the API server";
  EXPECT_EQ(cache.hits(), hits + 2)
      << "the VirtualService read for the endpoint check, then synced; the unchanged rules not even read";
  EXPECT_EQ(server_->store().currentResourceVersion(), clusterRv + 1) << "one write: the VirtualService";
  EXPECT_EQ(*router->observed(canary_), split(80, 20));

  // Someone else changes the VirtualService: our stale write conflicts, and the retry reads it fresh.
  Json theirs = vs();
  theirs["metadata"]["annotations"]["touched-by"] = "someone";
  ASSERT_TRUE(client_->update(istio::kVirtualServices, "test", theirs));
  ASSERT_TRUE(router->reconcile(canary_, pods_, split(70, 30)));
  Json now = vs();
  EXPECT_EQ(now["metadata"]["annotations"]["touched-by"], "someone") << "their change survived";
  EXPECT_EQ(now["spec"]["http"][0]["route"][1]["weight"], 30);
}

// Issue 15: an object synced before, asked for again unchanged and not changed since, costs no read, no
// merge and no comparison (SyncMemo); a change by someone else, or a copy no longer trusted, syncs again.
TEST_F(IstioRouterTest, AnObjectAlreadySyncedAndUnchangedIsNotReadAgain) {
  FakeClock clock;
  kube::WriteThroughCache cache(*client_, {istio::kVirtualServices, istio::kDestinationRules},
                                std::chrono::minutes(5), clock);
  auto router = routerOn(cache);
  ASSERT_TRUE(router->reconcile(canary_, pods_, split(90, 10)));
  ASSERT_TRUE(router->reconcile(canary_, pods_, split(90, 10)));  // now every copy is remembered as synced
  auto hits = cache.hits(), misses = cache.misses();
  const long long clusterRv = server_->store().currentResourceVersion();
  ASSERT_TRUE(router->reconcile(canary_, pods_, split(90, 10)));
  EXPECT_EQ(cache.hits(), hits + 1) << "only the endpoint check's read of the VirtualService";
  EXPECT_EQ(cache.misses(), misses);
  EXPECT_EQ(server_->store().currentResourceVersion(), clusterRv) << "nothing written";

  // Someone edits a DestinationRule and the watch reports it: synced again, their edit undone.
  Json rule = *client_->get(istio::kDestinationRules, "test", "podinfo-canary");
  rule["spec"]["host"] = "elsewhere";
  auto edited = client_->update(istio::kDestinationRules, "test", rule);
  ASSERT_TRUE(edited);
  EXPECT_TRUE(cache.forgetIfChanged(istio::kDestinationRules, "test", "podinfo-canary",
                                    (*edited)["metadata"]["resourceVersion"]));
  ASSERT_TRUE(router->reconcile(canary_, pods_, split(90, 10)));
  EXPECT_EQ((*client_->get(istio::kDestinationRules, "test", "podinfo-canary"))["spec"]["host"],
            "podinfo-canary");

  // The same edit unseen (no watch): once the copy expires it is read, and the edit undone.
  rule = *client_->get(istio::kDestinationRules, "test", "podinfo-canary");
  rule["spec"]["host"] = "elsewhere";
  ASSERT_TRUE(client_->update(istio::kDestinationRules, "test", rule));
  ASSERT_TRUE(router->reconcile(canary_, pods_, split(90, 10)));
  EXPECT_EQ((*client_->get(istio::kDestinationRules, "test", "podinfo-canary"))["spec"]["host"], "elsewhere")
      << "within the TTL the copy is trusted, as without the memo";
  clock.advance(std::chrono::minutes(6));
  ASSERT_TRUE(router->reconcile(canary_, pods_, split(90, 10)));
  EXPECT_EQ((*client_->get(istio::kDestinationRules, "test", "podinfo-canary"))["spec"]["host"],
            "podinfo-canary");

  // A different desired object (another weight) is synced, whatever was remembered.
  ASSERT_TRUE(router->reconcile(canary_, pods_, split(80, 20)));
  EXPECT_EQ(*router->observed(canary_), split(80, 20));
}

// Issue 15: a new Canary's routes are created without reading them first when the owned-object watch has
// listed everything and not seen them (SyncMemo::probablyAbsent); a user's VirtualService the watch cannot
// see (not labelled) answers the create with AlreadyExists and is read and adopted as without the hint.
TEST_F(IstioRouterTest, ObjectsTheWatchHasNotSeenAreCreatedWithoutAReadAndAUsersIsStillAdopted) {
  ASSERT_NO_FATAL_FAILURE(createUsersVirtualService());
  kube::WriteThroughCache cache(*client_, {istio::kVirtualServices, istio::kDestinationRules});
  bool listed = false;
  watchHasSeenNone(cache, &listed);
  EXPECT_FALSE(cache.probablyAbsent(istio::kDestinationRules, "test", "podinfo-canary"))
      << "a watch that has not listed yet says nothing";
  listed = true;
  EXPECT_TRUE(cache.probablyAbsent(istio::kDestinationRules, "test", "podinfo-canary"));
  EXPECT_FALSE(cache.probablyAbsent(kube::resources::kServices, "test", "podinfo")) << "not a cached type";

  auto router = routerOn(cache);
  const auto misses = cache.misses();
  ASSERT_TRUE(router->reconcile(canary_, pods_, split(100, 0)));
  EXPECT_EQ(cache.misses(), misses + 1)
      << "one read: the user's VirtualService after its create was refused; none for the two new rules";
  EXPECT_FALSE(cache.probablyAbsent(istio::kDestinationRules, "test", "podinfo-canary"))
      << "a copy is kept now";
  for (const char* name : {"podinfo-primary", "podinfo-canary"}) {
    auto rule = client_->get(istio::kDestinationRules, "test", name);
    ASSERT_TRUE(rule) << name;
    EXPECT_EQ((*rule)["spec"]["host"], name);
  }
  Json v = vs();
  EXPECT_EQ(v["metadata"]["annotations"]["team"], "payments") << "adopted, not replaced";
  EXPECT_TRUE(v["metadata"]["annotations"].contains("aviary.io/original-spec"));
  EXPECT_EQ(v["spec"]["http"][0]["route"][0]["destination"]["host"], "podinfo-primary");
}

// Nor is a new Canary's VirtualService read before the endpoint check: the router takes it as absent too
// (a 404 per new Canary saved). The user's object the guess misses is the case above.
TEST_F(IstioRouterTest, ANewCanarysRoutesAreNotReadBeforeTheyExist) {
  kube::WriteThroughCache cache(*client_, {istio::kVirtualServices, istio::kDestinationRules});
  const bool listed = true;
  watchHasSeenNone(cache, &listed);
  auto router = routerOn(cache);
  ASSERT_TRUE(router->reconcile(canary_, pods_, split(100, 0)));
  EXPECT_EQ(cache.misses(), 0u) << "three creates and no read of a VirtualService or DestinationRule";
  EXPECT_EQ(vs()["spec"]["http"][0]["route"][0]["weight"], 100);
  EXPECT_EQ(*router->observed(canary_), split(100, 0));
}

// Admission judges a create before the API server looks for an existing object: a create refused by a
// quota or a policy (403 here) must not stop the adoption of a user's object the guess missed.
TEST_F(IstioRouterTest, ACreateFirstRefusedByAdmissionStillReadsAndAdoptsTheUsersObject) {
  ASSERT_NO_FATAL_FAILURE(createUsersVirtualService());
  kube::WriteThroughCache cache(*client_, {istio::kVirtualServices, istio::kDestinationRules});
  const bool listed = true;
  watchHasSeenNone(cache, &listed);
  sandbox::FaultRule quota;
  quota.resource = "virtualservices";
  quota.verb = "create";
  quota.status = 403;
  quota.count = 1;
  server_->faults().add(quota);
  auto router = routerOn(cache);
  ASSERT_TRUE(router->reconcile(canary_, pods_, split(100, 0)));
  Json v = vs();
  EXPECT_EQ(v["metadata"]["annotations"]["team"], "payments");
  EXPECT_EQ(v["metadata"]["labels"]["app.kubernetes.io/managed-by"], "aviary");
  EXPECT_EQ(v["spec"]["http"][0]["route"][0]["destination"]["host"], "podinfo-primary");
}

// Issue 10 §5 (drift): the watch's report of a change decides whether the cached copy may still be used.
TEST_F(IstioRouterTest, AnEditSeenByTheWatchIsNotHiddenByTheCache) {
  kube::WriteThroughCache cache(*client_, {istio::kVirtualServices, istio::kDestinationRules});
  auto router = routerOn(cache);
  ASSERT_TRUE(router->reconcile(canary_, pods_, split(100, 0)));
  const std::string ours = vs()["metadata"]["resourceVersion"];
  EXPECT_FALSE(cache.forgetIfChanged(istio::kVirtualServices, "test", "podinfo", ours))
      << "the echo of our own write changes nothing";

  // Someone sets 50/50; the watch reports it: the next pass reads it and restores 100/0.
  Json theirs = vs();
  theirs["spec"]["http"][0]["route"][0]["weight"] = 50;
  theirs["spec"]["http"][0]["route"][1]["weight"] = 50;
  auto edited = client_->update(istio::kVirtualServices, "test", theirs);
  ASSERT_TRUE(edited);
  EXPECT_TRUE(cache.forgetIfChanged(istio::kVirtualServices, "test", "podinfo",
                                    (*edited)["metadata"]["resourceVersion"]));
  ASSERT_TRUE(router->reconcile(canary_, pods_, split(100, 0)));
  EXPECT_EQ(vs()["spec"]["http"][0]["route"][0]["weight"], 100);

  // The race: a change is seen (version "999999") before an answer that predates it arrives (here: the
  // read that follows); that answer is not cached, so the next pass asks the server again.
  EXPECT_TRUE(cache.forgetIfChanged(istio::kVirtualServices, "test", "podinfo", "999999"));
  auto misses = cache.misses();
  EXPECT_TRUE(cache.get(istio::kVirtualServices, "test", "podinfo"));
  EXPECT_TRUE(cache.get(istio::kVirtualServices, "test", "podinfo"));
  EXPECT_EQ(cache.misses(), misses + 2) << "the older answer was not cached";
  EXPECT_TRUE(cache.get(istio::kVirtualServices, "test", "podinfo"));
  EXPECT_EQ(cache.misses(), misses + 2) << "the next answer is";

  // A deletion drops the copy too.
  EXPECT_TRUE(cache.forgetIfChanged(istio::kVirtualServices, "test", "podinfo", ""));
}

// Issue 15: with 10,000 Canaries, re-reading every owned object when its copy expires is 170 reads/s. A
// watch that has seen the copy's version vouches for it; one that has seen another version (or none) does
// not.
TEST_F(IstioRouterTest, AnExpiredCopyTheWatchVouchesForIsNotReadAgain) {
  FakeClock clock;
  kube::WriteThroughCache cache(*client_, {istio::kVirtualServices, istio::kDestinationRules},
                                std::chrono::minutes(5), clock);
  std::optional<std::string> watched;  // what the "watch" reports for every object
  int asked = 0;
  cache.setWatchedVersions([&](const kube::ResourceType&, const std::string&, const std::string&) {
    ++asked;
    return watched;
  });
  auto router = routerOn(cache);
  ASSERT_TRUE(router->reconcile(canary_, pods_, split(100, 0)));
  const std::string ours = vs()["metadata"]["resourceVersion"];
  auto misses = cache.misses();
  EXPECT_TRUE(cache.get(istio::kVirtualServices, "test", "podinfo"));
  EXPECT_EQ(asked, 0) << "a fresh copy needs no watch";

  clock.advance(std::chrono::minutes(6));
  watched = ours;
  EXPECT_TRUE(cache.get(istio::kVirtualServices, "test", "podinfo"));
  EXPECT_EQ(asked, 1);
  EXPECT_EQ(cache.misses(), misses) << "the watch saw the copy's version: no read";
  EXPECT_TRUE(cache.get(istio::kVirtualServices, "test", "podinfo"));
  EXPECT_EQ(asked, 1) << "the vouched-for copy is fresh again";

  clock.advance(std::chrono::minutes(6));
  watched = std::nullopt;  // the watch has not seen it (not labelled, or not listed yet)
  EXPECT_TRUE(cache.get(istio::kVirtualServices, "test", "podinfo"));
  EXPECT_EQ(cache.misses(), misses + 1) << "nobody vouches: read from the server";

  clock.advance(std::chrono::minutes(6));
  watched = "999999";  // the watch saw a newer version than the copy
  EXPECT_TRUE(cache.get(istio::kVirtualServices, "test", "podinfo"));
  EXPECT_EQ(cache.misses(), misses + 2) << "the copy is not the server's: read from the server";
}

// The watch often reports a write's echo before the write's answer arrives. That echo must wake nobody
// (at 1,000 Canaries it was half a reconcile per step); another client's change reported meanwhile still
// must, through the late-change callback, once the answer shows it was not the write's.
TEST_F(IstioRouterTest, AChangeSeenWhileWritingIsJudgedByTheWritesAnswer) {
  // Reports a version to the cache, as the watch would, after the server applied a write and before
  // the answer is handed back.
  struct WatchBeforeAnswer : testing::ForwardingClient {
    using ForwardingClient::ForwardingClient;
    kube::WriteThroughCache* cache = nullptr;
    std::optional<std::string> report;  // nullopt: the write's own version
    std::vector<bool> woke;             // what forgetIfChanged answered
    Result<Json> update(const kube::ResourceType& t, const std::string& ns, const Json& object,
                        const std::string& sub = "") override {
      auto answer = inner_.update(t, ns, object, sub);
      if (answer && cache)
        woke.push_back(cache->forgetIfChanged(t, ns, object["metadata"]["name"],
                                              report.value_or((*answer)["metadata"]["resourceVersion"])));
      return answer;
    }
  } watchFirst(*client_);
  kube::WriteThroughCache cache(watchFirst, {istio::kVirtualServices, istio::kDestinationRules});
  watchFirst.cache = &cache;
  int late = 0;
  cache.setLateChange([&](const kube::ResourceType& type, const std::string&, const std::string& name) {
    if (type.plural == istio::kVirtualServices.plural && name == "podinfo") ++late;
  });
  auto router = routerOn(cache);
  ASSERT_TRUE(router->reconcile(canary_, pods_, split(100, 0)));  // created

  ASSERT_TRUE(router->reconcile(canary_, pods_, split(90, 10)));  // an update; its echo comes first
  ASSERT_EQ(watchFirst.woke.size(), 1u);
  EXPECT_FALSE(watchFirst.woke[0]) << "the write's own echo wakes nobody";
  EXPECT_EQ(late, 0);
  auto misses = cache.misses();
  ASSERT_TRUE(cache.get(istio::kVirtualServices, "test", "podinfo"));
  EXPECT_EQ(cache.misses(), misses) << "the answer was kept";

  watchFirst.report = "999999";  // someone else's version is reported during the next write
  ASSERT_TRUE(router->reconcile(canary_, pods_, split(80, 20)));
  ASSERT_EQ(watchFirst.woke.size(), 2u);
  EXPECT_FALSE(watchFirst.woke[1]) << "held until the answer";
  EXPECT_EQ(late, 1) << "then reported: it was not the write's echo";
  ASSERT_TRUE(cache.get(istio::kVirtualServices, "test", "podinfo"));
  EXPECT_EQ(cache.misses(), misses + 1) << "the answer was not kept: the server has something newer";
}

TEST_F(IstioRouterTest, AdoptsAUsersVirtualServiceKeepingFieldsItDoesNotManage) {
  Json existing;
  ASSERT_NO_FATAL_FAILURE(createUsersVirtualService(&existing));
  auto router = routerOn(*client_);
  ASSERT_TRUE(router->reconcile(canary_, pods_, split(100, 0)));
  Json v = vs();
  EXPECT_EQ(v["metadata"]["annotations"]["team"], "payments");
  EXPECT_EQ(v["spec"]["exportTo"], Json::array({"."}));
  EXPECT_EQ(v["spec"]["http"][0]["route"][0]["destination"]["host"], "podinfo-primary");
  EXPECT_EQ(v["metadata"]["labels"]["app.kubernetes.io/managed-by"], "aviary");

  // Finalizing gives the user back exactly their VirtualService.
  ASSERT_TRUE(router->finalize(canary_, nullptr));
  Json back = vs();
  EXPECT_EQ(back["spec"], existing["spec"]);
  EXPECT_FALSE(back["metadata"]["annotations"].contains("aviary.io/original-spec"));
  EXPECT_FALSE(back["metadata"].value("labels", Json::object()).contains("app.kubernetes.io/managed-by"));
}

TEST_F(IstioRouterTest, ADelegateVirtualServiceHasNoHostsAndNoGateways) {
  auto router = routerOn(*client_);
  ASSERT_TRUE(
      router->reconcile(canary_, pods_, split(90, 10)));  // first an ordinary one, with hosts and gateways
  ASSERT_TRUE(vs()["spec"].contains("hosts"));
  canary_.spec.service.delegation = true;
  canary_.spec.service.hosts.clear();  // validation refuses hosts or gateways with delegation
  canary_.spec.service.gateways.clear();
  ASSERT_TRUE(router->reconcile(canary_, pods_, split(80, 20)));
  Json v = vs();
  EXPECT_FALSE(v["spec"].contains("hosts"));
  EXPECT_FALSE(v["spec"].contains("gateways"));
  EXPECT_EQ(v["spec"]["http"][0]["route"][1]["destination"]["host"], "podinfo-canary");
  EXPECT_EQ(*router->observed(canary_), split(80, 20));
  const long long clusterRv = server_->store().currentResourceVersion();
  ASSERT_TRUE(router->reconcile(canary_, pods_, split(80, 20)));
  EXPECT_EQ(server_->store().currentResourceVersion(), clusterRv) << "no write when nothing changed";
}

TEST_F(IstioRouterTest, RewriteKeepsOnlyIstiosFields) {
  canary_.spec.service.rewrite = {{"uri", "/"}, {"type", "ReplacePrefixMatch"}};
  auto router = routerOn(*client_);
  ASSERT_TRUE(router->reconcile(canary_, pods_, split(100, 0)));
  EXPECT_EQ(vs()["spec"]["http"][0]["rewrite"], Json({{"uri", "/"}}));
}

TEST_F(IstioRouterTest, FinalizeRemovesWhatItCreated) {
  auto router = routerOn(*client_);
  ASSERT_TRUE(router->reconcile(canary_, pods_, split(100, 0)));
  ASSERT_TRUE(router->finalize(canary_, nullptr));
  EXPECT_EQ(client_->get(istio::kVirtualServices, "test", "podinfo").error().code, ErrorCode::NotFound);
  EXPECT_EQ(client_->get(istio::kDestinationRules, "test", "podinfo-canary").error().code,
            ErrorCode::NotFound);
  EXPECT_TRUE(router->finalize(canary_, nullptr)) << "idempotent";
  EXPECT_EQ(router->observed(canary_).error().code, ErrorCode::NotFound);
}

// A/B routing inside spec.service.match: the canary's header conditions join the service's headers (both
// must hold, as Flagger's merged match), they do not replace them; a non-keyed field is the condition's.
TEST_F(IstioRouterTest, AnalysisMatchHeadersAreAddedToTheServiceMatchHeaders) {
  canary_.spec.service.match =
      Json::parse(R"([{"uri": {"prefix": "/api"}, "headers": {"x-tenant": {"exact": "a"}}}])");
  canary_.spec.analysis.match = Json::parse(R"([{"headers": {"x-canary": {"exact": "insider"}}}])");
  TrafficIntent intent = split(100, 0);
  intent.matchToCanary = true;
  Json route = istio::IstioRouter::virtualService(canary_, intent)["spec"]["http"][0];
  EXPECT_EQ(route["match"], Json::parse(R"([{"uri": {"prefix": "/api"},
      "headers": {"x-tenant": {"exact": "a"}, "x-canary": {"exact": "insider"}}}])"));
  EXPECT_EQ(route["route"][0]["destination"]["host"], "podinfo-canary");
  canary_.spec.analysis.match = Json::parse(R"([{"uri": {"exact": "/api/v2"}}])");
  route = istio::IstioRouter::virtualService(canary_, intent)["spec"]["http"][0];
  EXPECT_EQ(route["match"][0]["uri"], Json({{"exact", "/api/v2"}}));
  EXPECT_EQ(route["match"][0]["headers"], Json::parse(R"({"x-tenant": {"exact": "a"}})"));
}

TEST(RouterRegistry, AnUnknownProviderIsAnErrorNamingTheKnownOnes) {
  auto registry = builtInRouters();
  sandbox::ApiServer server;
  ASSERT_TRUE(server.start());
  kube::ClusterConfig config;
  config.server = server.url();
  auto client = kube::HttpKubeClient::create(config);
  RouteSettleClock settle{std::chrono::milliseconds(0)};
  RouterContext context{**client, settle};
  EXPECT_TRUE(registry.create("istio", context));
  auto unknown = registry.create("linkerd", context);
  ASSERT_FALSE(unknown);
  EXPECT_EQ(
      unknown.error().message,
      "unknown provider \"linkerd\" (known: appmesh, appmesh:v1beta2, gatewayapi, gatewayapi:v1, istio, "
      "kubernetes, replicas, traefik)");
}

}  // namespace
}  // namespace aviary::mesh
