// The Service router against the sandbox API server (real HTTP): a user's NodePort or LoadBalancer apex
// keeps what Aviary does not manage (and a second pass writes nothing), appProtocol on all three Services,
// headless Services and what happens when headless changes, and spec.service.unmanagedMetadata.
#include <gtest/gtest.h>

#include "mesh-adapters/common/service_router.h"
#include "operator/kube/http_kube_client.h"
#include "sandbox/api/api_server.h"
#include "sandbox/yaml_json.h"

namespace aviary::mesh {
namespace {

using kube::Json;

class ServiceRouterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = std::make_unique<sandbox::ApiServer>();
    ASSERT_TRUE(server_->start());
    kube::ClusterConfig config;
    config.server = server_->url();
    client_ = std::move(*kube::HttpKubeClient::create(config));
    canary_.ns = "test";
    canary_.name = "podinfo";
    canary_.uid = "0f1e2d3c-0000-4000-8000-000000000002";
    canary_.spec.targetRef = {"apps/v1", "Deployment", "podinfo", ""};
    canary_.spec.service.port = 9898;
    canary_.spec.service.targetPort = 9898;
  }

  Status reconcile() { return reconcileServices(*client_, canary_, "app", "podinfo"); }
  Json svc(const std::string& name) { return *client_->get(kube::resources::kServices, "test", name); }
  void createUsers(const std::string& yaml) {
    auto docs = sandbox::yamlDocumentsToJson(yaml, "user");
    ASSERT_TRUE(docs);
    ASSERT_TRUE(client_->create(kube::resources::kServices, "test", (*docs)[0]));
  }
  // Every write to a Service fails from now on: a pass that still succeeds sent none.
  void refuseServiceWrites() {
    for (const char* verb : {"create", "update", "patch", "delete"})
      server_->faults().add({"services", verb, 500, "", std::chrono::milliseconds(0), false, -1});
  }

  std::unique_ptr<sandbox::ApiServer> server_;
  std::unique_ptr<kube::KubeClient> client_;
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
  ASSERT_TRUE(reconcile());
  Json apex = svc("podinfo");
  EXPECT_EQ(apex["spec"]["type"], "NodePort");
  EXPECT_EQ(apex["spec"]["selector"], Json({{"app", "podinfo-primary"}}));
  ASSERT_EQ(apex["spec"]["ports"].size(), 1u);
  EXPECT_EQ(apex["spec"]["ports"][0]["nodePort"], 30080) << "the allocated node port is kept";
  EXPECT_EQ(apex["spec"]["ports"][0]["port"], 9898);
  EXPECT_EQ(apex["spec"]["externalTrafficPolicy"], "Local");
  EXPECT_EQ(apex["spec"]["clusterIP"], "10.96.0.15");
  EXPECT_EQ(apex["spec"]["sessionAffinity"], "None");
  EXPECT_EQ(apex["spec"]["ipFamilies"], Json::array({"IPv4"}));
  EXPECT_EQ(apex["spec"]["internalTrafficPolicy"], "Cluster");
  EXPECT_EQ(apex["metadata"]["annotations"]["team"], "payments");
  EXPECT_EQ(apex["metadata"]["labels"]["app.kubernetes.io/managed-by"], "aviary");
  EXPECT_FALSE(apex["metadata"].contains("ownerReferences")) << "a user's Service never points at a Canary";
  EXPECT_EQ(svc("podinfo-primary")["spec"]["type"], "ClusterIP");
  EXPECT_FALSE(svc("podinfo-primary")["spec"]["ports"][0].contains("nodePort"));

  // A second pass writes nothing: not even a no-op update reaches the server.
  const std::string rv = apex["metadata"]["resourceVersion"];
  const long long clusterRv = server_->store().currentResourceVersion();
  refuseServiceWrites();
  ASSERT_TRUE(reconcile());
  EXPECT_EQ(svc("podinfo")["metadata"]["resourceVersion"], rv);
  EXPECT_EQ(server_->store().currentResourceVersion(), clusterRv);
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
  const long long clusterRv = server_->store().currentResourceVersion();
  refuseServiceWrites();
  ASSERT_TRUE(reconcile());
  EXPECT_EQ(server_->store().currentResourceVersion(), clusterRv) << "no write";
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
  const long long clusterRv = server_->store().currentResourceVersion();
  ASSERT_TRUE(reconcile());
  EXPECT_EQ(server_->store().currentResourceVersion(), clusterRv) << "stable: no write";

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
  ASSERT_TRUE(client_->patch(kube::resources::kServices, "test", "podinfo-canary", kube::PatchType::Merge,
                             {{"metadata", {{"annotations", {{"lb.example.com/pool", "green"}}}}}}));
  ASSERT_TRUE(reconcile());
  Json s = svc("podinfo-canary");
  EXPECT_EQ(s["metadata"]["annotations"]["lb.example.com/pool"], "green") << "another controller's value";
  EXPECT_EQ(s["metadata"]["annotations"]["owner"], "aviary-canary");
}

}  // namespace
}  // namespace aviary::mesh
