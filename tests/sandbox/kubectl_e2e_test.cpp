// The sandbox against the real kubectl on PATH (issue 3 acceptance): apply, get (plain, yaml, wide,
// watch), describe with Events, patch (merge, json, strategic; strategic on a custom resource fails),
// set image, scale, label, annotate, delete (with a finalizer removed later), rollout status, wait.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "sandbox/api/api_server.h"
#include "tests/support/kube_components.h"
#include "tests/support/kubectl_runner.h"

namespace aviary::sandbox {
namespace {

using namespace std::chrono_literals;
using aviary::testing::Kubectl;

const char* kDeployment = R"(apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: default
  labels: {app: web}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: c
        image: IMAGE
        env: [{name: A, value: "1"}]
)";

const char* kCrd = R"(apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.example.io}
spec:
  group: example.io
  scope: Namespaced
  names: {plural: widgets, singular: widget, kind: Widget, shortNames: [wd]}
  versions:
  - name: v1
    served: true
    storage: true
    subresources: {status: {}}
    additionalPrinterColumns:
    - {name: Size, type: integer, jsonPath: .spec.size}
    - {name: Phase, type: string, jsonPath: .status.phase, priority: 1}
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            required: [size]
            properties:
              size: {type: integer, minimum: 1}
              color: {type: string, enum: [red, blue], default: red}
          status:
            type: object
            x-kubernetes-preserve-unknown-fields: true
)";

std::string withImage(const std::string& image) {
  std::string y = kDeployment;
  y.replace(y.find("IMAGE"), 5, image);
  return y;
}

class KubectlE2E : public ::testing::Test {
 protected:
  void SetUp() override {
    ApiServerOptions options;
    options.tls = true;
    options.defaultReadyAfter = 200ms;
    server_ = std::make_unique<ApiServer>(options);
    ASSERT_TRUE(server_->start().ok());
    kubeconfigPath_ = (std::filesystem::temp_directory_path() /
                       ("aviary-e2e-kubeconfig-" + std::to_string(::getpid()) + "-" +
                        ::testing::UnitTest::GetInstance()->current_test_info()->name()))
                          .string();
    std::ofstream(kubeconfigPath_) << server_->kubeconfig();
    kubectl_ = std::make_unique<Kubectl>(kubeconfigPath_);
  }
  void TearDown() override {
    kubectl_.reset();
    server_->stop();
    std::filesystem::remove(kubeconfigPath_);
  }
  // Runs kubectl and expects success.
  std::string ok(const std::string& args, const std::string& input = "") {
    auto r = (*kubectl_)(args, input);
    EXPECT_EQ(r.exitCode, 0) << "kubectl " << args << "\n" << r.output;
    return r.output;
  }
  nlohmann::json getJson(const std::string& what) {
    return nlohmann::json::parse(ok("get " + what + " -o json"));
  }

  std::unique_ptr<ApiServer> server_;
  std::string kubeconfigPath_;
  std::unique_ptr<Kubectl> kubectl_;
};

TEST_F(KubectlE2E, ApplyCreatesThenUpdates) {
  EXPECT_NE(ok("apply -f -", withImage("img:1")).find("deployment.apps/web created"), std::string::npos);
  EXPECT_NE(ok("apply -f -", withImage("img:2")).find("deployment.apps/web configured"), std::string::npos);
  auto d = getJson("deployment web");
  EXPECT_EQ(d["spec"]["template"]["spec"]["containers"][0]["image"], "img:2");
  EXPECT_EQ(d["metadata"]["generation"], 2);
  EXPECT_TRUE(d["metadata"]["annotations"].contains("kubectl.kubernetes.io/last-applied-configuration"));
  EXPECT_NE(ok("apply -f -", withImage("img:2")).find("unchanged"), std::string::npos);
}

TEST_F(KubectlE2E, GetPlainYamlAndWide) {
  ok("apply -f -", withImage("img:1"));
  std::string plain = ok("get deployments");
  EXPECT_NE(plain.find("NAME"), std::string::npos);
  EXPECT_NE(plain.find("READY"), std::string::npos);
  EXPECT_NE(plain.find("web"), std::string::npos);
  EXPECT_EQ(plain.find("IMAGES"), std::string::npos);
  std::string wide = ok("get deployments -o wide");
  EXPECT_NE(wide.find("IMAGES"), std::string::npos);
  EXPECT_NE(wide.find("img:1"), std::string::npos);
  EXPECT_NE(wide.find("app=web"), std::string::npos);
  std::string yaml = ok("get deployment web -o yaml");
  EXPECT_NE(yaml.find("kind: Deployment"), std::string::npos);
  EXPECT_NE(yaml.find("resourceVersion:"), std::string::npos);
  std::string all = ok("get all -A");
  EXPECT_NE(all.find("deployment.apps/web"), std::string::npos);
}

TEST_F(KubectlE2E, WatchSeesAChangeMadeMeanwhile) {
  ok("apply -f -", withImage("img:1"));
  std::thread changer([&] {
    std::this_thread::sleep_for(1500ms);
    (*kubectl_)("label deployment web changed=yes");
  });
  auto r = aviary::testing::runCommand("timeout 5 " + aviary::testing::kubectlBinary() + " --kubeconfig " +
                                       kubectl_->kubeconfig() + " get deployments -w --show-labels");
  changer.join();
  // First the current row, then the row again after the label change.
  std::size_t first = r.output.find("web");
  ASSERT_NE(first, std::string::npos) << r.output;
  EXPECT_NE(r.output.find("changed=yes", first), std::string::npos) << r.output;
}

TEST_F(KubectlE2E, DescribeShowsEvents) {
  ok("apply -f -", withImage("img:1"));
  auto d = getJson("deployment web");
  nlohmann::json event = {{"apiVersion", "v1"},
                          {"kind", "Event"},
                          {"metadata", {{"name", "web.1"}, {"namespace", "default"}}},
                          {"involvedObject",
                           {{"apiVersion", "apps/v1"},
                            {"kind", "Deployment"},
                            {"name", "web"},
                            {"namespace", "default"},
                            {"uid", d["metadata"]["uid"]}}},
                          {"reason", "Synced"},
                          {"message", "Advance web.default canary weight 10"},
                          {"type", "Normal"},
                          {"source", {{"component", "aviary"}}},
                          {"firstTimestamp", d["metadata"]["creationTimestamp"]},
                          {"lastTimestamp", d["metadata"]["creationTimestamp"]},
                          {"count", 1}};
  ok("create -f -", event.dump());
  std::string described = ok("describe deployment web");
  EXPECT_NE(described.find("Advance web.default canary weight 10"), std::string::npos) << described;
  EXPECT_NE(described.find("aviary"), std::string::npos);
  std::string events = ok("get events");
  EXPECT_NE(events.find("REASON"), std::string::npos) << events;
  EXPECT_NE(events.find("deployment/web"), std::string::npos) << events;
  EXPECT_NE(events.find("Advance web.default canary weight 10"), std::string::npos) << events;
}

TEST_F(KubectlE2E, PatchMergeJsonAndStrategic) {
  ok("apply -f -", withImage("img:1"));
  ok("patch deployment web --type merge -p '{\"metadata\":{\"labels\":{\"m\":\"1\"}}}'");
  ok("patch deployment web --type json -p '[{\"op\":\"replace\",\"path\":\"/spec/replicas\",\"value\":3}]'");
  ok("patch deployment web -p "
     "'{\"spec\":{\"template\":{\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"img:9\"}]}}}}'");
  auto d = getJson("deployment web");
  EXPECT_EQ(d["metadata"]["labels"]["m"], "1");
  EXPECT_EQ(d["spec"]["replicas"], 3);
  const auto& c = d["spec"]["template"]["spec"]["containers"];
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0]["image"], "img:9");
  EXPECT_EQ(c[0]["env"][0]["name"], "A");  // strategic merge kept the container's other fields
  auto badJson = (*kubectl_)(
      "patch deployment web --type json -p '[{\"op\":\"test\",\"path\":\"/spec/replicas\",\"value\":7}]'");
  EXPECT_NE(badJson.exitCode, 0);
}

TEST_F(KubectlE2E, CustomResourcesRejectStrategicMerge) {
  ok("apply -f -", kCrd);
  ok("wait --for condition=established --timeout=10s crd/widgets.example.io");
  ok("apply -f -",
     "apiVersion: example.io/v1\nkind: Widget\nmetadata: {name: w1, namespace: default}\nspec: {size: 3}\n");
  std::string table = ok("get widgets");
  EXPECT_NE(table.find("SIZE"), std::string::npos) << table;
  EXPECT_NE(table.find("w1"), std::string::npos);
  EXPECT_EQ(table.find("PHASE"), std::string::npos);
  EXPECT_NE(ok("get wd -o wide").find("PHASE"), std::string::npos);
  auto strategic = (*kubectl_)("patch widget w1 -p '{\"spec\":{\"size\":4}}'");
  EXPECT_NE(strategic.exitCode, 0);
  EXPECT_NE(strategic.output.find("application/merge-patch+json"), std::string::npos) << strategic.output;
  ok("patch widget w1 --type merge -p '{\"spec\":{\"size\":4}}'");
  EXPECT_EQ(getJson("widget w1")["spec"]["size"], 4);
}

TEST_F(KubectlE2E, CustomResourcesAreValidatedAgainstTheirSchema) {
  ok("apply -f -", kCrd);
  auto invalid =
      (*kubectl_)("apply -f -",
                  "apiVersion: example.io/v1\nkind: Widget\nmetadata: {name: w2, namespace: default}\n"
                  "spec: {size: 0, color: green}\n");
  EXPECT_NE(invalid.exitCode, 0);
  EXPECT_NE(invalid.output.find(
                "spec.size: Invalid value: 0: spec.size in body should be greater than or equal to 1"),
            std::string::npos)
      << invalid.output;
  EXPECT_NE(invalid.output.find("spec.color: Unsupported value: \"green\""), std::string::npos)
      << invalid.output;
  // kubectl apply asks for strict field validation: an unknown field is refused.
  auto unknown =
      (*kubectl_)("apply -f -",
                  "apiVersion: example.io/v1\nkind: Widget\nmetadata: {name: w3, namespace: default}\n"
                  "spec: {size: 2, shape: round}\n");
  EXPECT_NE(unknown.exitCode, 0);
  EXPECT_NE(unknown.output.find("unknown field \"spec.shape\""), std::string::npos) << unknown.output;
  ok("apply -f -",
     "apiVersion: example.io/v1\nkind: Widget\nmetadata: {name: w4, namespace: default}\nspec: {size: 2}\n");
  EXPECT_EQ(getJson("widget w4")["spec"]["color"], "red");  // defaulted by the schema
}

TEST_F(KubectlE2E, SetImageScaleLabelAnnotate) {
  ok("apply -f -", withImage("img:1"));
  ok("set image deployment/web c=img:2");
  ok("scale deployment web --replicas=5");
  ok("label deployment web tier=front");
  ok("annotate deployment web note=hello");
  auto d = getJson("deployment web");
  EXPECT_EQ(d["spec"]["template"]["spec"]["containers"][0]["image"], "img:2");
  EXPECT_EQ(d["spec"]["replicas"], 5);
  EXPECT_EQ(d["metadata"]["labels"]["tier"], "front");
  EXPECT_EQ(d["metadata"]["annotations"]["note"], "hello");
  EXPECT_NE(ok("get deployments -l tier=front").find("web"), std::string::npos);
  EXPECT_EQ(ok("get deployments -l tier=back").find("web"), std::string::npos);
}

TEST_F(KubectlE2E, DeleteWithAFinalizerRemovedLater) {
  ok("apply -f -",
     "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: plain, namespace: default}\ndata: {a: '1'}\n");
  EXPECT_NE(ok("delete configmap plain").find("deleted"), std::string::npos);
  EXPECT_NE((*kubectl_)("get configmap plain").exitCode, 0);

  ok("apply -f -",
     "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: held, namespace: default, finalizers: "
     "[example.io/hold]}\n");
  ok("delete configmap held --wait=false");
  auto held = getJson("configmap held");
  EXPECT_TRUE(held["metadata"].contains("deletionTimestamp"));
  ok("patch configmap held --type merge -p '{\"metadata\":{\"finalizers\":null}}'");
  auto gone = (*kubectl_)("get configmap held");
  EXPECT_NE(gone.exitCode, 0);
  EXPECT_NE(gone.output.find("NotFound"), std::string::npos) << gone.output;
}

TEST_F(KubectlE2E, RolloutStatusAndWaitAvailable) {
  ok("apply -f -", withImage("img:1"));
  EXPECT_NE(ok("rollout status deployment/web --timeout=20s").find("successfully rolled out"),
            std::string::npos);
  ok("wait --for=condition=Available --timeout=20s deployment/web");
  ok("annotate deployment web sandbox.aviary.io/ready-after=1s");
  ok("rollout status deployment/web --timeout=20s");
  ok("set image deployment/web c=img:2");
  std::string rollout = ok("rollout status deployment/web --timeout=20s");
  EXPECT_NE(rollout.find("old replicas are pending termination"), std::string::npos) << rollout;
  EXPECT_NE(rollout.find("successfully rolled out"), std::string::npos);
  auto d = getJson("deployment web");
  EXPECT_EQ(d["status"]["observedGeneration"], d["metadata"]["generation"]);
  EXPECT_EQ(d["status"]["availableReplicas"], 2);
}

TEST_F(KubectlE2E, NeverReadyExceedsTheProgressDeadline) {
  std::string y = withImage("img:bad");
  const std::string templateMeta = "    metadata: {labels: {app: web}}";
  y.replace(y.find(templateMeta), templateMeta.size(),
            "    metadata: {labels: {app: web}, annotations: {sandbox.aviary.io/never-ready: \"true\"}}");
  const std::string replicas = "  replicas: 2";
  y.replace(y.find(replicas), replicas.size(), "  replicas: 2\n  progressDeadlineSeconds: 1");
  ok("apply -f -", y);
  auto start = std::chrono::steady_clock::now();
  auto r = (*kubectl_)("rollout status deployment/web --timeout=20s");
  EXPECT_LT(std::chrono::steady_clock::now() - start, 10s)
      << "the 1 s deadline should end the rollout well before the timeout";
  EXPECT_NE(r.exitCode, 0);
  EXPECT_NE(r.output.find("exceeded its progress deadline"), std::string::npos) << r.output;
}

// Imperative generators send protobuf, which the sandbox does not decode yet: a clear error, not a crash.
TEST_F(KubectlE2E, ProtobufBodiesGetAClearError) {
  auto r = (*kubectl_)("create configmap generated --from-literal=a=1");
  EXPECT_NE(r.exitCode, 0);
  EXPECT_NE(r.output.find("protobuf"), std::string::npos) << r.output;
}

TEST_F(KubectlE2E, UnknownResourceAndMissingObject) {
  auto missing = (*kubectl_)("get deployment nope");
  EXPECT_NE(missing.exitCode, 0);
  EXPECT_NE(missing.output.find("deployments.apps \"nope\" not found"), std::string::npos) << missing.output;
  auto unknown = (*kubectl_)("get frobnicators");
  EXPECT_NE(unknown.exitCode, 0);
}

}  // namespace
}  // namespace aviary::sandbox
