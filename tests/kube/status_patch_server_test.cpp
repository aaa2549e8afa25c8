// The operator's status write (kube::statusPatch) against an API server: the sandbox by default, the real
// kube-apiserver when AVIARY_TEST_KUBECONFIG names one (ctest kube_status_patch_kube). It must set the
// status alone, and be refused, writing nothing, once the Canary moved on from the version it was
// computed from — as a PUT carrying that resourceVersion would be.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "operator/kube/cluster_config.h"
#include "operator/kube/http_kube_client.h"
#include "operator/kube/status_patch.h"
#include "sandbox/api/api_server.h"
#include "sandbox/yaml_json.h"

namespace aviary::kube {
namespace {

const ResourceType kCanaries{"aviary.io", "v1beta1", "canaries", "Canary", true};

class StatusPatchOnAServer : public ::testing::Test {
 protected:
  void SetUp() override {
    ClusterConfig config;
    if (const char* kubeconfig = std::getenv("AVIARY_TEST_KUBECONFIG")) {
      auto loaded = loadKubeconfig(kubeconfig);
      ASSERT_TRUE(loaded) << loaded.error().message;
      config = *loaded;
      ns_ = "status-patch-" + std::to_string(::getpid());
    } else {
      server_ = std::make_unique<sandbox::ApiServer>();
      ASSERT_TRUE(server_->start());
      config.server = server_->url();
    }
    config.qps = 0;
    client_ = std::move(*HttpKubeClient::create(config));
    auto manifests = sandbox::loadManifests(AVIARY_SOURCE_DIR "/crds/canary.yaml");
    ASSERT_TRUE(manifests) << manifests.error().message;
    for (const auto& crd : *manifests) {
      auto created = client_->create(resources::kCustomResourceDefinitions, "", crd);
      ASSERT_TRUE(created || created.error().code == ErrorCode::AlreadyExists) << created.error().message;
    }
    if (ns_ != "default") {
      ASSERT_TRUE(
          client_->create(resources::kNamespaces, "",
                          {{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", ns_}}}}));
    }
  }
  void TearDown() override {
    if (!server_ && client_) (void)client_->remove(resources::kNamespaces, "", ns_);
  }

  // A Canary; the real server serves a new CRD a moment after it is created.
  Json createCanary() {
    const Json canary = {
        {"apiVersion", "aviary.io/v1beta1"},
        {"kind", "Canary"},
        {"metadata", {{"name", "podinfo"}, {"namespace", ns_}}},
        {"spec",
         {{"targetRef", {{"apiVersion", "apps/v1"}, {"kind", "Deployment"}, {"name", "podinfo"}}},
          {"service", {{"port", 9898}}},
          {"analysis", {{"interval", "10s"}, {"threshold", 2}, {"stepWeight", 10}, {"maxWeight", 50}}}}}};
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    for (;;) {
      auto created = client_->create(kCanaries, ns_, canary);
      if (created || std::chrono::steady_clock::now() > deadline) {
        EXPECT_TRUE(created) << created.error().message;
        return created ? *created : Json();
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
  }

  std::unique_ptr<sandbox::ApiServer> server_;
  std::unique_ptr<HttpKubeClient> client_;
  std::string ns_ = "default";
};

TEST_F(StatusPatchOnAServer, WritesTheStatusAloneAndIsRefusedOnceTheCanaryMovedOn) {
  const Json created = createCanary();
  ASSERT_FALSE(created.is_null());
  const Json first = {{"phase", "Progressing"}, {"canaryWeight", 10}, {"failedChecks", 0}};
  auto written =
      client_->patch(kCanaries, ns_, "podinfo", PatchType::Json, statusPatch(created, first), "status");
  ASSERT_TRUE(written) << written.error().message;
  EXPECT_EQ((*written)["status"]["canaryWeight"], 10);
  EXPECT_EQ((*written)["spec"], created["spec"]);
  EXPECT_NE((*written)["metadata"]["resourceVersion"], created["metadata"]["resourceVersion"]);

  // From that version: a weight and a counter change, a field goes.
  Json second = first;
  second["canaryWeight"] = 20;
  second.erase("failedChecks");
  auto again =
      client_->patch(kCanaries, ns_, "podinfo", PatchType::Json, statusPatch(*written, second), "status");
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_EQ((*again)["status"], second);

  // A user edits the spec; a status planned from the version before must not land.
  auto edited = client_->patch(kCanaries, ns_, "podinfo", PatchType::Merge,
                               {{"spec", {{"analysis", {{"stepWeight", 5}}}}}});
  ASSERT_TRUE(edited) << edited.error().message;
  Json stale = second;
  stale["canaryWeight"] = 30;
  auto refused =
      client_->patch(kCanaries, ns_, "podinfo", PatchType::Json, statusPatch(*again, stale), "status");
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::Invalid) << refused.error().message;
  auto now = client_->get(kCanaries, ns_, "podinfo");
  ASSERT_TRUE(now);
  EXPECT_EQ((*now)["status"], second) << "nothing of the refused write";
  EXPECT_EQ((*now)["spec"]["analysis"]["stepWeight"], 5);
}

}  // namespace
}  // namespace aviary::kube
