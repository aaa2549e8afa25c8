// The router conformance suite (issue 11): every provider in the registry, against the sandbox API server
// with its CRDs and its traffic simulator stepped by hand. A provider passes when it creates its objects,
// writes nothing on a second call, reads back the intent it wrote, adopts a user's objects keeping what it
// does not manage, makes live traffic follow the intent (weights or the selector switch; mirroring and A/B
// matches where it claims them), and gives everything back on finalize. A new provider gets all of this
// by its registry line; its own test file adds only the shapes of its objects.
#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <sstream>
#include <thread>

#include "mesh-adapters/router.h"
#include "operator/kube/http_kube_client.h"
#include "operator/kube/object_sync.h"
#include "sandbox/api/api_server.h"
#include "sandbox/traffic/traffic_simulator.h"
#include "sandbox/yaml_json.h"
#include "tests/support/eventually.h"
#include "tests/support/metrics_text.h"

namespace aviary::mesh {
namespace {

using kube::Json;
using testing::eventually;

constexpr char kNs[] = "conformance";

// The providers by their own names (Flagger's versioned aliases are the same descriptors), all or those
// with a capability.
std::vector<std::string> providerNames(bool api::RouterCapabilities::*claims = nullptr) {
  const auto registry = builtInRouters();
  std::vector<std::string> out;
  for (const auto& name : registry.providers()) {
    if (name.find(':') != std::string::npos) continue;
    if (!claims || registry.find(name)->capabilities.*claims) out.push_back(name);
  }
  return out;
}

class RouterConformance : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    sandbox::ApiServerOptions options;
    options.defaultReadyAfter = std::chrono::milliseconds(50);
    server_ = std::make_unique<sandbox::ApiServer>(options);
    ASSERT_TRUE(server_->start());
    auto crds = sandbox::loadManifests(std::string(AVIARY_SOURCE_DIR) + "/sandbox/crds");
    ASSERT_TRUE(crds) << crds.error().message;
    for (const auto& crd : *crds) ASSERT_TRUE(server_->apply(crd));
    sim_ = std::make_unique<sandbox::traffic::TrafficSimulator>(server_->store(), server_->registry(),
                                                                sandbox::traffic::TrafficOptions{.seed = 7});
    kube::ClusterConfig config;
    config.server = server_->url();
    config.qps = 0;
    client_ = std::move(*kube::HttpKubeClient::create(config));
    client_->setObserver([writes = writes_](const std::string& verb, int) {
      if (verb == "create" || verb == "update" || verb == "patch" || verb == "delete") ++*writes;
    });
    registry_ = builtInRouters();
    descriptor_ = registry_.find(GetParam());
    ASSERT_NE(descriptor_, nullptr);
    context_ = std::make_unique<RouterContext>(RouterContext{*client_, settle_});
    auto router = registry_.create(GetParam(), *context_);
    ASSERT_TRUE(router);
    router_ = std::move(*router);

    canary_.ns = kNs;
    canary_.name = "podinfo";
    canary_.uid = "0f1e2d3c-0000-4000-8000-0000000000c1";
    canary_.spec.provider = GetParam();
    canary_.spec.targetRef = {"apps/v1", "Deployment", "podinfo", ""};
    canary_.spec.service.port = 9898;
    canary_.spec.service.targetPort = 9898;
    // The sandbox sends this many requests a second to the apex Service; 20% carry x-canary: insider.
    canary_.spec.service.apex.annotations = {{"sandbox.aviary.io/rps", "1000"},
                                             {"sandbox.aviary.io/traffic-headers", "x-canary=insider:20%"}};
    canary_.spec.analysis.match = Json::array({{{"headers", {{"x-canary", {{"exact", "insider"}}}}}}});
    for (const auto& name : {"podinfo", "podinfo-primary"}) {
      auto docs = sandbox::yamlDocumentsToJson(
          std::string("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: ") + name +
              ", namespace: " + kNs + "}\nspec:\n  replicas: 2\n  selector: {matchLabels: {app: " + name +
              "}}\n  template:\n    metadata: {labels: {app: " + name +
              "}}\n    spec: {containers: [{name: app, image: example/app:1}]}\n",
          "deployment");
      ASSERT_TRUE(docs);
      ASSERT_TRUE(server_->apply((*docs)[0]));
    }
    ASSERT_TRUE(eventually([&] {
      for (const auto& name : {"podinfo", "podinfo-primary"}) {
        auto d = client_->get(kube::resources::kDeployments, kNs, name);
        if (!d || d->value("/status/readyReplicas"_json_pointer, 0) != 2) return false;
      }
      return true;
    }));
  }

  const api::RouterCapabilities& can() const { return descriptor_->capabilities; }
  // What `observed` reads back after `intent`: the intent, or for a replica ratio the share achieved with
  // the primary's 2 pods (k canary pods: k / (2 + k)).
  TrafficIntent achieved(const TrafficIntent& intent) const {
    if (!can().replicaRatio || intent.canaryWeight == 0) return intent;
    const int k =
        std::max(1, static_cast<int>(std::lround(2.0 * intent.canaryWeight / (100 - intent.canaryWeight))));
    const int share = static_cast<int>(std::lround(100.0 * k / (2 + k)));
    return {100 - share, share, intent.mirrorPercent, intent.matchToCanary};
  }
  // The first step of a release on this provider: a share of the traffic, or all of it (a switch).
  TrafficIntent someCanaryTraffic() const {
    return can().weighted ? TrafficIntent{90, 10} : TrafficIntent{0, 100};
  }

  // Calls until the answer is not "waiting for …" (endpoints follow at once in the sandbox; a rollout, as
  // a replica ratio's label needs, takes its ready-after), for at most about 5 s.
  Status converge(const std::function<Status()>& call) {
    Status st;
    for (int i = 0; i < 250; ++i) {
      st = call();
      if (st || !isWaiting(st.error())) return st;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return st;
  }
  Status reconcile(const TrafficIntent& intent) {
    return converge([&] { return router_->reconcile(canary_, pods_, intent); });
  }
  Status finalize() {
    return converge([&] { return router_->finalize(canary_, &pods_); });
  }

  // The API writes this suite's client (the router's) has sent: create, update, patch, delete. Not the
  // store's version, which the Deployment simulator's status writes move too.
  long long writes() const { return writes_->load(); }

  // Waits (real time: the Deployment simulator's ready-after) until both Deployments run all their
  // replicas: a replica ratio's canary pods start only when the router scales it.
  void waitRolledOut() {
    ASSERT_TRUE(eventually([&] {
      for (const auto& name : {"podinfo", "podinfo-primary"}) {
        auto d = client_->get(kube::resources::kDeployments, kNs, name);
        if (!d ||
            d->value("/status/observedGeneration"_json_pointer, 0LL) <
                d->value("/metadata/generation"_json_pointer, 0LL) ||
            d->value("/status/readyReplicas"_json_pointer, 0) != d->value("/spec/replicas"_json_pointer, 1))
          return false;
      }
      return true;
    }));
  }

  // The objects of the provider's types (and the three Services) named after the apex that exist.
  std::vector<std::pair<kube::ResourceType, Json>> routingObjects() {
    std::vector<kube::ResourceType> types = descriptor_->ownedTypes;
    types.push_back(kube::resources::kServices);
    std::vector<std::pair<kube::ResourceType, Json>> out;
    for (const auto& type : types) {
      for (const auto& name :
           {canary_.apexName(), canary_.primaryServiceName(), canary_.canaryServiceName()}) {
        if (auto o = client_->get(type, kNs, name)) out.emplace_back(type, *o);
      }
    }
    return out;
  }

  // Simulated seconds of traffic; then the user requests each Deployment answered since the last call.
  std::map<std::string, double> traffic(double seconds) {
    for (int i = 0; i < static_cast<int>(seconds * 10); ++i) sim_->step(std::chrono::milliseconds(100));
    std::map<std::string, double> now, delta;
    const std::string text = sim_->renderMetrics();
    for (const auto& d : {"podinfo", "podinfo-primary", "none"})
      now[d] =
          testing::sumSamples(text, "sandbox_user_requests_total", {{"namespace", kNs}, {"deployment", d}});
    // Requests the canary's pods served, mirrored copies included (the application's own histogram).
    std::istringstream lines(text);
    for (std::string line; std::getline(lines, line);) {
      if (line.rfind("http_request_duration_seconds_count{", 0) == 0 &&
          line.find("kubernetes_namespace=\"" + std::string(kNs) + "\"") != std::string::npos &&
          line.find("kubernetes_pod_name=\"podinfo-") != std::string::npos &&
          line.find("kubernetes_pod_name=\"podinfo-primary-") == std::string::npos)
        now["canary pods"] += std::stod(line.substr(line.rfind(' ') + 1));
    }
    for (const auto& [k, v] : now) delta[k] = v - last_[k];
    last_ = now;
    return delta;
  }
  static double share(std::map<std::string, double> t, const std::string& of) {
    const double all = t["podinfo"] + t["podinfo-primary"] + t["none"];
    return all > 0 ? t[of] / all : 0;
  }

  std::unique_ptr<sandbox::ApiServer> server_;
  std::unique_ptr<sandbox::traffic::TrafficSimulator> sim_;
  std::unique_ptr<kube::HttpKubeClient> client_;
  RouterRegistry registry_;
  const ProviderDescriptor* descriptor_ = nullptr;
  RouteSettleClock settle_{std::chrono::milliseconds(0)};
  std::unique_ptr<RouterContext> context_;
  std::unique_ptr<Router> router_;
  api::Canary canary_;
  const PodSelector pods_{"app", "podinfo"};
  std::map<std::string, double> last_;
  std::shared_ptr<std::atomic<long long>> writes_ = std::make_shared<std::atomic<long long>>(0);
};

TEST_P(RouterConformance, CreatesItsObjectsAndASecondCallWritesNothing) {
  const TrafficIntent intent = someCanaryTraffic();
  ASSERT_TRUE(reconcile(intent));
  for (const auto& type : descriptor_->ownedTypes) {
    auto list = client_->list(type, kNs);
    ASSERT_TRUE(list) << type.qualifiedName();
    EXPECT_FALSE((*list)["items"].empty()) << "no " << type.kind << " written";
    for (const auto& o : (*list)["items"]) {
      EXPECT_EQ(o.value("/metadata/labels/app.kubernetes.io~1managed-by"_json_pointer, std::string()),
                "aviary");
      EXPECT_TRUE(kube::ownedBy(o, canary_.uid)) << o["metadata"]["name"];
    }
  }
  auto apex = client_->get(kube::resources::kServices, kNs, "podinfo");
  ASSERT_TRUE(apex);
  if (can().replicaRatio) {
    EXPECT_TRUE((*apex)["spec"]["selector"].contains("aviary.io/apex")) << "both versions' pods";
  } else {
    EXPECT_EQ((*apex)["spec"]["selector"]["app"], intent.canaryWeight == 100 ? "podinfo" : "podinfo-primary");
  }
  const long long before = writes();
  ASSERT_TRUE(reconcile(intent));
  EXPECT_EQ(writes(), before) << "a second call with the same intent wrote something";
  auto observed = router_->observed(canary_);
  ASSERT_TRUE(observed) << observed.error().message;
  EXPECT_EQ(*observed, achieved(intent));
}

// A step costs one API write (the object that carries the weights, or the apex Service for a switch).
TEST_P(RouterConformance, ANewStepIsOneWrite) {
  // (A replica ratio over 2 primary pods: 1 canary pod, then 2.)
  const TrafficIntent first = can().weighted ? TrafficIntent{90, 10} : TrafficIntent{100, 0};
  const TrafficIntent next = can().replicaRatio ? TrafficIntent{50, 50}
                             : can().weighted   ? TrafficIntent{80, 20}
                                                : TrafficIntent{0, 100};
  ASSERT_TRUE(reconcile(first));
  const long long before = writes();
  ASSERT_TRUE(reconcile(next));
  EXPECT_EQ(writes(), before + 1);
}

TEST_P(RouterConformance, ReadsBackEveryIntentItCanExpress) {
  std::vector<TrafficIntent> intents = {{100, 0}};
  if (can().weighted) intents.push_back({50, 50});
  if (can().weighted && !can().replicaRatio) intents.push_back({0, 100});
  if (can().selectorSwitch) intents.push_back({0, 100});
  if (can().mirroring) intents.push_back({100, 0, 25, false});
  if (can().headerMatch) intents.push_back({80, 20, 0, true});
  for (const auto& intent : intents) {
    ASSERT_TRUE(reconcile(intent)) << intent.primaryWeight << "/" << intent.canaryWeight;
    auto observed = router_->observed(canary_);
    ASSERT_TRUE(observed);
    EXPECT_EQ(*observed, achieved(intent)) << "weights " << intent.canaryWeight << " mirror "
                                           << intent.mirrorPercent << " match " << intent.matchToCanary;
  }
}

TEST_P(RouterConformance, LiveTrafficFollowsTheIntentWithinATick) {
  ASSERT_TRUE(reconcile({100, 0}));
  waitRolledOut();
  traffic(1);
  auto t = traffic(10);
  EXPECT_EQ(share(t, "podinfo"), 0) << "the canary got user requests at weight 0";
  EXPECT_EQ(t["none"], 0) << "requests found no pod";
  const TrafficIntent step = someCanaryTraffic();
  ASSERT_TRUE(reconcile(step));
  waitRolledOut();
  traffic(0.2);  // the change applies at the next tick
  t = traffic(20);
  EXPECT_NEAR(share(t, "podinfo"), achieved(step).canaryWeight / 100.0, 0.03);
  EXPECT_EQ(t["none"], 0);
  ASSERT_TRUE(reconcile({100, 0}));
  waitRolledOut();
  traffic(0.2);
  t = traffic(10);
  EXPECT_EQ(share(t, "podinfo"), 0) << "the rollback did not return all traffic to the primary";
  EXPECT_EQ(t["none"], 0);
}

// The strategies a provider claims, each for the providers that claim it.
class MirroringConformance : public RouterConformance {};
class MatchConformance : public RouterConformance {};

TEST_P(MirroringConformance, MirroringCopiesRequestsWithoutAnsweringUsers) {
  ASSERT_TRUE(reconcile({100, 0, 100, false}));
  traffic(1);
  auto t = traffic(10);
  EXPECT_EQ(share(t, "podinfo"), 0) << "mirrored answers reached users";
  EXPECT_NEAR(t["canary pods"], t["podinfo-primary"], 0.05 * t["podinfo-primary"])
      << "every request is copied";
}

TEST_P(MatchConformance, MatchedRequestsReachTheCanaryWhateverTheWeights) {
  ASSERT_TRUE(reconcile({100, 0, 0, true}));
  traffic(1);
  auto t = traffic(20);
  EXPECT_NEAR(share(t, "podinfo"), 0.2, 0.03) << "the requests with x-canary: insider";
  EXPECT_EQ(t["none"], 0);
}

TEST_P(RouterConformance, AdoptsAUsersObjectsKeepingWhatItDoesNotManageAndGivesThemBack) {
  // The objects as Aviary writes them, turned into a user's: no managed-by label, no owner, a note.
  ASSERT_TRUE(reconcile({100, 0}));
  auto objects = routingObjects();
  ASSERT_TRUE(finalize());
  std::vector<std::pair<kube::ResourceType, Json>> users;
  for (auto [type, o] : objects) {
    Json& meta = o["metadata"];
    for (const char* generated :
         {"resourceVersion", "uid", "creationTimestamp", "ownerReferences", "generation", "managedFields"})
      meta.erase(generated);
    meta["labels"].erase("app.kubernetes.io/managed-by");
    meta["annotations"]["team"] = "payments";
    if (type.kind == "Service") {
      o["spec"].erase("clusterIP");
      o["spec"].erase("clusterIPs");
    }
    (void)client_->remove(type, kNs, meta["name"]);  // finalize handed the apex to the user: replace it
    auto created = client_->create(type, kNs, o);
    ASSERT_TRUE(created) << type.kind << ": " << created.error().message;
    users.emplace_back(type, *created);
  }
  ASSERT_TRUE(reconcile(someCanaryTraffic()));
  for (const auto& [type, user] : users) {
    auto now = client_->get(type, kNs, user["metadata"]["name"]);
    ASSERT_TRUE(now);
    EXPECT_EQ((*now)["metadata"]["annotations"]["team"], "payments") << type.kind;
    EXPECT_TRUE(kube::adopted(*now)) << type.kind << " " << user["metadata"]["name"];
  }
  ASSERT_TRUE(finalize());
  for (const auto& [type, user] : users) {
    const std::string name = user["metadata"]["name"];
    auto back = client_->get(type, kNs, name);
    ASSERT_TRUE(back) << type.kind << " " << name << " of the user's was deleted";
    EXPECT_EQ((*back)["metadata"]["annotations"]["team"], "payments");
    EXPECT_FALSE(
        (*back)["metadata"].value("labels", Json::object()).contains("app.kubernetes.io/managed-by"));
    if (type.kind != "Service") {
      EXPECT_EQ((*back)["spec"], user["spec"]) << type.kind << " " << name;
    }
  }
}

TEST_P(RouterConformance, FinalizeGivesTheTrafficBackToTheTargetAndRemovesWhatItCreated) {
  ASSERT_TRUE(reconcile(someCanaryTraffic()));
  ASSERT_TRUE(finalize());
  for (const auto& type : descriptor_->ownedTypes) {
    auto list = client_->list(type, kNs);
    ASSERT_TRUE(list);
    EXPECT_TRUE((*list)["items"].empty()) << type.kind << " left behind";
  }
  for (const auto& name : {"podinfo-primary", "podinfo-canary"})
    EXPECT_EQ(client_->get(kube::resources::kServices, kNs, name).error().code, ErrorCode::NotFound) << name;
  auto apex = client_->get(kube::resources::kServices, kNs, "podinfo");
  ASSERT_TRUE(apex) << "the apex Service carries the user's traffic and stays";
  EXPECT_EQ((*apex)["spec"]["selector"], Json({{"app", "podinfo"}}));
  EXPECT_FALSE(kube::ownedBy(*apex, canary_.uid)) << "the garbage collector would delete it with the Canary";
  waitRolledOut();
  traffic(0.2);
  auto t = traffic(10);
  EXPECT_EQ(share(t, "podinfo"), 1.0) << "the target's pods answer everything";
  EXPECT_TRUE(finalize()) << "idempotent";
}

// Session affinity, for the providers that claim it: simulated clients keep the cookies the routes set.
class SessionAffinityConformance : public RouterConformance {
 protected:
  void SetUp() override {
    RouterConformance::SetUp();
    canary_.spec.analysis.match = Json();
    api::SessionAffinitySpec affinity;
    affinity.cookieName = "aviary-canary";
    affinity.maxAgeSeconds = 3600;
    affinity.path = "/";
    canary_.spec.analysis.sessionAffinity = affinity;
    canary_.spec.service.apex.annotations = {{"sandbox.aviary.io/rps", "1000"},
                                             {"sandbox.aviary.io/traffic-clients", "300"}};
  }
  // Clients the sandbox saw move between the Deployments since the start, by (from, to).
  double moves(const std::string& from, const std::string& to) {
    return testing::sumSamples(sim_->renderMetrics(), "sandbox_user_session_moves_total",
                               {{"namespace", kNs}, {"from", from}, {"to", to}});
  }
  static TrafficIntent sticky(int canaryWeight, std::string canaryCookie, std::string primaryCookie = "") {
    TrafficIntent t{100 - canaryWeight, canaryWeight};
    t.canaryCookie = std::move(canaryCookie);
    t.primaryCookie = std::move(primaryCookie);
    return t;
  }
};

TEST_P(SessionAffinityConformance, WithoutTheCookieUsersBounceBetweenVersions) {
  // The control: the same clients and weights with no affinity move back and forth, so the check below
  // can fail.
  canary_.spec.analysis.sessionAffinity.reset();
  ASSERT_TRUE(reconcile({90, 10}));
  waitRolledOut();
  traffic(20);
  EXPECT_GT(moves("podinfo", "podinfo-primary"), 100);
}

TEST_P(SessionAffinityConformance, UsersWhoReachedTheCanaryStayOnItAsItsShareGrows) {
  ASSERT_TRUE(reconcile(sticky(10, "aviary-canary=3f2a9c")));
  waitRolledOut();
  traffic(0.2);
  auto t = traffic(10);
  EXPECT_GT(moves("podinfo-primary", "podinfo"), 20) << "clients reach the canary by its weight";
  EXPECT_EQ(moves("podinfo", "podinfo-primary"), 0) << "a client who reached the canary was sent back";
  EXPECT_GT(share(t, "podinfo"), 0.2) << "the canary's users accumulate beyond its 10% weight";
  ASSERT_TRUE(reconcile(sticky(30, "aviary-canary=3f2a9c")));
  traffic(10);
  EXPECT_EQ(moves("podinfo", "podinfo-primary"), 0) << "a new step must not log users out";
  auto observed = router_->observed(canary_);
  ASSERT_TRUE(observed);
  EXPECT_EQ(*observed, sticky(30, "aviary-canary=3f2a9c"));
  const long long before = writes();
  ASSERT_TRUE(reconcile(sticky(30, "aviary-canary=3f2a9c")));
  EXPECT_EQ(writes(), before) << "a second call with the same intent wrote something";
}

TEST_P(SessionAffinityConformance, UsersWhoReachedThePrimaryStayOnItWithPrimaryCookieName) {
  canary_.spec.analysis.sessionAffinity->primaryCookieName = "aviary-primary";
  ASSERT_TRUE(reconcile(sticky(50, "aviary-canary=3f2a9c", "aviary-primary=77b1e0")));
  waitRolledOut();
  traffic(0.2);
  traffic(10);
  EXPECT_EQ(moves("podinfo", "podinfo-primary"), 0);
  EXPECT_EQ(moves("podinfo-primary", "podinfo"), 0) << "a client who reached the primary was moved";
  auto observed = router_->observed(canary_);
  ASSERT_TRUE(observed);
  EXPECT_EQ(*observed, sticky(50, "aviary-canary=3f2a9c", "aviary-primary=77b1e0"));
}

TEST_P(SessionAffinityConformance, APastRunsCookieSendsItsUsersToThePrimaryAndIsDropped) {
  ASSERT_TRUE(reconcile(sticky(10, "aviary-canary=3f2a9c")));
  waitRolledOut();
  traffic(0.2);
  traffic(5);
  TrafficIntent done{100, 0};
  done.expiredCookie = "aviary-canary=3f2a9c";
  ASSERT_TRUE(reconcile(done));
  traffic(0.2);
  auto t = traffic(5);
  EXPECT_EQ(share(t, "podinfo"), 0) << "a cookie holder still reached the canary after the run";
  EXPECT_EQ(t["none"], 0);
  auto observed = router_->observed(canary_);
  ASSERT_TRUE(observed);
  EXPECT_EQ(*observed, done);
  // The next run's cookie is new: the past run's users are treated as everyone else (weight, not cookie).
  const double stuckBefore = moves("podinfo", "podinfo-primary");
  ASSERT_TRUE(reconcile(sticky(10, "aviary-canary=c0ffee")));
  traffic(0.2);
  t = traffic(2);
  EXPECT_LT(share(t, "podinfo"), 0.5) << "the old cookie still routed its holders to the canary";
  EXPECT_GE(moves("podinfo", "podinfo-primary"), stuckBefore);
}

const auto kName = [](const auto& info) { return info.param; };
INSTANTIATE_TEST_SUITE_P(Providers, RouterConformance, ::testing::ValuesIn(providerNames()), kName);
INSTANTIATE_TEST_SUITE_P(Providers, MirroringConformance,
                         ::testing::ValuesIn(providerNames(&api::RouterCapabilities::mirroring)), kName);
INSTANTIATE_TEST_SUITE_P(Providers, MatchConformance,
                         ::testing::ValuesIn(providerNames(&api::RouterCapabilities::headerMatch)), kName);
INSTANTIATE_TEST_SUITE_P(Providers, SessionAffinityConformance,
                         ::testing::ValuesIn(providerNames(&api::RouterCapabilities::sessionAffinity)),
                         kName);

}  // namespace
}  // namespace aviary::mesh
