// The Service router against the sandbox API server (real HTTP), or against a real cluster when
// AVIARY_TEST_KUBECONFIG names a kubeconfig (each test in a namespace of its own): a user's NodePort or
// LoadBalancer apex keeps what Aviary does not manage (and a second pass writes nothing), appProtocol on
// all three Services, headless Services and what happens when headless changes, and
// spec.service.unmanagedMetadata.
#include <unistd.h>

#include <atomic>
#include <cstdlib>

#include <gtest/gtest.h>

#include "mesh-adapters/common/service_router.h"
#include "operator/kube/cluster_config.h"
#include "operator/kube/http_kube_client.h"
#include "operator/kube/write_through_cache.h"
#include "sandbox/api/api_server.h"
#include "sandbox/yaml_json.h"
#include "tests/support/forwarding_client.h"

namespace aviary::mesh {
namespace {

using kube::Json;

// Counts the writes that reach the inner client: "a second pass writes nothing" holds on either bed (a
// real API server bumps the resourceVersion even on an update that changes nothing but managedFields).
class CountingClient : public testing::ForwardingClient {
 public:
  using ForwardingClient::ForwardingClient;
  int writes() const { return writes_; }
  Result<Json> create(const kube::ResourceType& t, const std::string& ns, const Json& object) override {
    ++writes_;
    return inner_.create(t, ns, object);
  }
  Result<Json> update(const kube::ResourceType& t, const std::string& ns, const Json& object,
                      const std::string& sub = "") override {
    ++writes_;
    return inner_.update(t, ns, object, sub);
  }
  Result<Json> patch(const kube::ResourceType& t, const std::string& ns, const std::string& name,
                     kube::PatchType type, const Json& patch, const std::string& sub = "",
                     const std::string& manager = "") override {
    ++writes_;
    return inner_.patch(t, ns, name, type, patch, sub, manager);
  }
  Result<Json> remove(const kube::ResourceType& t, const std::string& ns, const std::string& name,
                      const kube::DeleteOptions& o = {}) override {
    ++writes_;
    return inner_.remove(t, ns, name, o);
  }

 private:
  std::atomic<int> writes_{0};
};

class ServiceRouterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    kube::ClusterConfig config;
    if (const char* kubeconfig = std::getenv("AVIARY_TEST_KUBECONFIG")) {
      auto loaded = kube::loadKubeconfig(kubeconfig);
      ASSERT_TRUE(loaded) << loaded.error().message;
      config = *loaded;
      static int counter = 0;
      ns_ = "service-router-" + std::to_string(::getpid()) + "-" + std::to_string(++counter);
    } else {
      server_ = std::make_unique<sandbox::ApiServer>();
      ASSERT_TRUE(server_->start());
      config.server = server_->url();
    }
    client_ = std::move(*kube::HttpKubeClient::create(config));
    if (!server_) {
      ASSERT_TRUE(
          client_->create(kube::resources::kNamespaces, "",
                          {{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", ns_}}}}));
    }
    counting_ = std::make_unique<CountingClient>(*client_);
    canary_.ns = ns_;
    canary_.name = "podinfo";
    canary_.uid = "0f1e2d3c-0000-4000-8000-000000000002";
    canary_.spec.targetRef = {"apps/v1", "Deployment", "podinfo", ""};
    canary_.spec.service.port = 9898;
    canary_.spec.service.targetPort = 9898;
  }
  void TearDown() override {
    if (server_ || !client_) return;
    // Node ports are cluster-wide: free them now, not when the namespace is finally gone.
    for (const char* name : {"podinfo", "podinfo-primary", "podinfo-canary"})
      (void)client_->remove(kube::resources::kServices, ns_, name);
    (void)client_->remove(kube::resources::kNamespaces, "", ns_);
  }

  Status reconcile() { return reconcileServices(*counting_, canary_, "app", "podinfo"); }
  Json svc(const std::string& name) { return *client_->get(kube::resources::kServices, ns_, name); }
  // The user's Service, as the cluster stores it. A real API server allocates the cluster IP itself.
  void createUsers(const std::string& yaml) {
    auto docs = sandbox::yamlDocumentsToJson(yaml, "user");
    ASSERT_TRUE(docs);
    Json object = (*docs)[0];
    object["metadata"]["namespace"] = ns_;
    if (!server_ && object["spec"].value("clusterIP", "") != "None") {
      object["spec"].erase("clusterIP");
      object["spec"].erase("clusterIPs");
    }
    auto created = client_->create(kube::resources::kServices, ns_, object);
    ASSERT_TRUE(created) << created.error().message;
  }
  int writes() const { return counting_->writes(); }

  std::unique_ptr<sandbox::ApiServer> server_;  // null on a real cluster
  std::unique_ptr<kube::KubeClient> client_;
  std::unique_ptr<CountingClient> counting_;
  std::string ns_ = "test";
  api::Canary canary_;
};

// As a real API server stores a NodePort Service: with the defaults it adds (clusterIP, ipFamilies,
// sessionAffinity, internalTrafficPolicy, each port's protocol and allocated nodePort).
const char* kUsersNodePortService = R"(
apiVersion: v1
kind: Service
metadata: {name: podinfo, namespace: test, annotations: {team: payments}, labels: {app: podinfo}}
spec:
  type: NodePort
  selector: {app: podinfo}
  ports: [{name: http, port: 9898, targetPort: 9898, protocol: TCP, nodePort: 30080}]
  externalTrafficPolicy: Local
  clusterIP: 10.96.0.15
  clusterIPs: [10.96.0.15]
  ipFamilies: [IPv4]
  ipFamilyPolicy: SingleStack
  sessionAffinity: None
  internalTrafficPolicy: Cluster
)";

TEST_F(ServiceRouterTest, AdoptsAUsersNodePortServiceKeepingWhatItDoesNotManage) {
  createUsers(kUsersNodePortService);
  const Json before = svc("podinfo");
  ASSERT_TRUE(reconcile());
  Json apex = svc("podinfo");
  EXPECT_EQ(apex["spec"]["type"], "NodePort");
  EXPECT_EQ(apex["spec"]["selector"], Json({{"app", "podinfo-primary"}}));
  ASSERT_EQ(apex["spec"]["ports"].size(), 1u);
  EXPECT_EQ(apex["spec"]["ports"][0]["nodePort"], 30080) << "the allocated node port is kept";
  EXPECT_EQ(apex["spec"]["ports"][0]["port"], 9898);
  EXPECT_EQ(apex["spec"]["externalTrafficPolicy"], "Local");
  for (const char* defaulted : {"clusterIP", "clusterIPs", "sessionAffinity", "ipFamilies", "ipFamilyPolicy",
                                "internalTrafficPolicy"})
    EXPECT_EQ(apex["spec"][defaulted], before["spec"][defaulted]) << defaulted;
  EXPECT_EQ(apex["metadata"]["annotations"]["team"], "payments");
  EXPECT_EQ(apex["metadata"]["labels"]["app.kubernetes.io/managed-by"], "aviary");
  EXPECT_FALSE(apex["metadata"].contains("ownerReferences")) << "a user's Service never points at a Canary";
  EXPECT_EQ(svc("podinfo-primary")["spec"]["type"], "ClusterIP");
  EXPECT_FALSE(svc("podinfo-primary")["spec"]["ports"][0].contains("nodePort"));

  // A second pass writes nothing: not even an update that would change nothing is sent.
  const int writesBefore = writes();
  ASSERT_TRUE(reconcile());
  EXPECT_EQ(writes(), writesBefore);
  EXPECT_EQ(svc("podinfo")["metadata"]["resourceVersion"], apex["metadata"]["resourceVersion"]);
}

TEST_F(ServiceRouterTest, ALoadBalancerKeepsItsNodePortWhenThePortNumberChangesButNotItsName) {
  createUsers(R"(
apiVersion: v1
kind: Service
metadata: {name: podinfo, namespace: test}
spec:
  type: LoadBalancer
  selector: {app: podinfo}
  ports: [{name: http, port: 80, targetPort: 9898, protocol: TCP, nodePort: 31000}]
  externalTrafficPolicy: Local
  healthCheckNodePort: 32000
  loadBalancerSourceRanges: [10.0.0.0/8]
)");
  ASSERT_TRUE(reconcile());
  Json apex = svc("podinfo");
  EXPECT_EQ(apex["spec"]["type"], "LoadBalancer");
  EXPECT_EQ(apex["spec"]["ports"][0]["port"], 9898);
  EXPECT_EQ(apex["spec"]["ports"][0]["nodePort"], 31000) << "matched by name";
  EXPECT_EQ(apex["spec"]["healthCheckNodePort"], 32000);
  EXPECT_EQ(apex["spec"]["loadBalancerSourceRanges"], Json::array({"10.0.0.0/8"}));
  const int writesBefore = writes();
  ASSERT_TRUE(reconcile());
  EXPECT_EQ(writes(), writesBefore) << "no write";
}

TEST_F(ServiceRouterTest, AppProtocolIsSetOnTheThreeServices) {
  canary_.spec.service.appProtocol = "http2";
  ASSERT_TRUE(reconcile());
  for (const char* name : {"podinfo", "podinfo-primary", "podinfo-canary"})
    EXPECT_EQ(svc(name)["spec"]["ports"][0]["appProtocol"], "http2") << name;
  canary_.spec.service.appProtocol.clear();
  ASSERT_TRUE(reconcile());
  EXPECT_FALSE(svc("podinfo-canary")["spec"]["ports"][0].contains("appProtocol")) << "removed with the field";
}

TEST_F(ServiceRouterTest, HeadlessServicesAreRecreatedWhenTheSettingChanges) {
  canary_.spec.service.headless = true;
  ASSERT_TRUE(reconcile());
  std::map<std::string, std::string> uids;
  for (const char* name : {"podinfo", "podinfo-primary", "podinfo-canary"}) {
    Json s = svc(name);
    EXPECT_EQ(s["spec"]["clusterIP"], "None") << name;
    uids[name] = s["metadata"]["uid"];
  }
  const int writesBefore = writes();
  ASSERT_TRUE(reconcile());
  EXPECT_EQ(writes(), writesBefore) << "stable: no write";

  // clusterIP cannot change on a real cluster: the Services Aviary made are made again.
  canary_.spec.service.headless = false;
  ASSERT_TRUE(reconcile());
  for (const char* name : {"podinfo", "podinfo-primary", "podinfo-canary"}) {
    Json s = svc(name);
    EXPECT_NE(s["spec"].value("clusterIP", ""), "None") << name;
    EXPECT_NE(s["metadata"]["uid"], uids[name]) << name << " recreated";
    EXPECT_EQ(s["metadata"]["ownerReferences"][0]["uid"], canary_.uid);
  }
}

TEST_F(ServiceRouterTest, AUsersServiceIsNeverRecreatedToBecomeHeadless) {
  createUsers(kUsersNodePortService);
  const Json before = svc("podinfo");
  canary_.spec.service.headless = true;
  auto st = reconcile();
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code, ErrorCode::Invalid);
  EXPECT_NE(st.error().message.find("headless"), std::string::npos) << st.error().message;
  EXPECT_EQ(svc("podinfo"), before) << "untouched";
}

TEST_F(ServiceRouterTest, AUsersHeadlessServiceStaysHeadless) {
  createUsers(R"(
apiVersion: v1
kind: Service
metadata: {name: podinfo, namespace: test}
spec: {clusterIP: None, selector: {app: podinfo}, ports: [{name: http, port: 9898, protocol: TCP}]}
)");
  ASSERT_TRUE(reconcile());
  Json apex = svc("podinfo");
  EXPECT_EQ(apex["spec"]["clusterIP"], "None");
  EXPECT_EQ(apex["spec"]["selector"], Json({{"app", "podinfo-primary"}}));
}

TEST_F(ServiceRouterTest, UnmanagedMetadataKeysKeepTheirStoredValues) {
  canary_.spec.service.canary.annotations = {{"lb.example.com/pool", "blue"}, {"owner", "aviary-canary"}};
  canary_.spec.service.unmanagedMetadata.annotations = {"lb.example.com/pool"};
  ASSERT_TRUE(reconcile());
  EXPECT_EQ(svc("podinfo-canary")["metadata"]["annotations"]["lb.example.com/pool"], "blue")
      << "set when absent";
  ASSERT_TRUE(client_->patch(kube::resources::kServices, ns_, "podinfo-canary", kube::PatchType::Merge,
                             {{"metadata", {{"annotations", {{"lb.example.com/pool", "green"}}}}}}));
  ASSERT_TRUE(reconcile());
  Json s = svc("podinfo-canary");
  EXPECT_EQ(s["metadata"]["annotations"]["lb.example.com/pool"], "green") << "another controller's value";
  EXPECT_EQ(s["metadata"]["annotations"]["owner"], "aviary-canary");
}

// Issue 15 (SyncMemo): the write-through cache remembers that a Service was synced; which keys are left to
// others is part of what it remembers, so a Canary that stops leaving a key to others gets it written.
TEST_F(ServiceRouterTest, ThroughTheCacheAKeyNoLongerLeftToOthersIsWrittenAgain) {
  kube::WriteThroughCache cache(*client_, {kube::resources::kServices});
  auto reconcileCached = [&] { return reconcileServices(cache, canary_, "app", "podinfo"); };
  canary_.spec.service.canary.annotations = {{"lb.example.com/pool", "blue"}};
  canary_.spec.service.unmanagedMetadata.annotations = {"lb.example.com/pool"};
  ASSERT_TRUE(reconcileCached());
  auto theirs = client_->patch(kube::resources::kServices, ns_, "podinfo-canary", kube::PatchType::Merge,
                               {{"metadata", {{"annotations", {{"lb.example.com/pool", "green"}}}}}});
  ASSERT_TRUE(theirs);
  EXPECT_TRUE(cache.forgetIfChanged(kube::resources::kServices, ns_, "podinfo-canary",
                                    (*theirs)["metadata"]["resourceVersion"]));  // as the watch reports it
  ASSERT_TRUE(reconcileCached());
  ASSERT_TRUE(reconcileCached());  // remembered as synced, with "green" left alone
  EXPECT_EQ(svc("podinfo-canary")["metadata"]["annotations"]["lb.example.com/pool"], "green");

  canary_.spec.service.unmanagedMetadata.annotations.clear();
  ASSERT_TRUE(reconcileCached());
  EXPECT_EQ(svc("podinfo-canary")["metadata"]["annotations"]["lb.example.com/pool"], "blue")
      << "the same desired Service, but the key is Aviary's again";
}

}  // namespace
}  // namespace aviary::mesh
