// Issue 17, end to end: a tenant with edit rights on Canaries in its own namespace attacks the operator
// (the aviary binary on a test bed — the sandbox, or the real control plane with AVIARY_E2E_BED=kube —
// driven with the real kubectl). Each attack must fail with an
// InvalidSpec that names the field, and touch nothing outside the tenant's namespace.
#include <gtest/gtest.h>

#include <sys/wait.h>
#include <fstream>
#include <regex>
#include <sstream>

#include <cstdio>
#include <thread>

#include "operator/core/child_process.h"
#include "operator/kube/http_kube_client.h"
#include "tests/support/eventually.h"
#include "tests/support/kubectl_runner.h"
#include "tests/support/test_bed.h"

namespace aviary::e2e {
namespace {

using kube::Json;
using testing::eventually;

const kube::ResourceType kCanaries{"aviary.io", "v1beta1", "canaries", "Canary", true};
const char* kSmuggled =
    "podinfo\r\n\r\nDELETE /api/v1/namespaces/victim/configmaps/precious HTTP/1.1\r\nHost: x\r\n\r\n";

struct World : testing::BedSession {
  std::string shippedCrd, olderCrd;
  std::unique_ptr<ChildProcess> aviary;
  std::string error;
};
World* world = nullptr;

std::string readFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

class Environment : public ::testing::Environment {
 public:
  void SetUp() override {
    world = new World;
    if (auto st = world->open("security"); !st) {
      world->error = st.error().message;
      return;
    }
    // The CRD as an older release shipped it, without name patterns and bounds: what a cluster keeps when
    // Helm (which never upgrades CRDs) installs a newer operator. The operator must defend itself.
    world->shippedCrd = std::string(AVIARY_SOURCE_DIR) + "/crds/canary.yaml";
    std::string older = readFile(world->shippedCrd);
    older = std::regex_replace(older, std::regex(", pattern: '[^']*'"), "");
    older = std::regex_replace(older, std::regex(", maxLength: [0-9]+"), "");
    older = std::regex_replace(older, std::regex(", maximum: 86400"), "");
    world->olderCrd = world->dir + "/older-canary-crd.yaml";
    std::ofstream(world->olderCrd) << older;
    if (auto st = world->apply({std::string(AVIARY_SOURCE_DIR) + "/sandbox/crds", world->olderCrd}); !st) {
      world->error = st.error().message;
      return;
    }
    (*world->kubectl)("apply -f " + std::string(AVIARY_SOURCE_DIR) +
                      "/config/manager/namespace.yaml");  // the leader-election Lease's
    // Nothing listens on the default Prometheus: these Canaries never get as far as a query.
    world->aviary = std::make_unique<ChildProcess>(
        std::vector<std::string>{AVIARY_BINARY, "--kubeconfig", world->bed->operatorKubeconfig(),
                                 "--metrics-server", "http://prometheus.monitoring:9090", "--workers", "2",
                                 "--listen-address", "127.0.0.1:0"},
        world->dir + "/aviary.log");
  }
  void TearDown() override {
    if (world->aviary) world->aviary->terminate();
    std::string log = world->aviary ? world->aviary->log() : "";
    if (::testing::UnitTest::GetInstance()->failed_test_count() > 0)
      std::cerr << "--- aviary log ---\n" << log;
    delete world;
  }
};
[[maybe_unused]] auto* const kEnvironment = ::testing::AddGlobalTestEnvironment(new Environment);

class SecurityE2E : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(world->error.empty()) << world->error; }

  testing::CommandResult kubectl(const std::string& args, const std::string& input = "") {
    return (*world->kubectl)(args, input);
  }
  void apply(const std::string& text) {
    auto r = kubectl("apply -f -", text);
    ASSERT_EQ(r.exitCode, 0) << r.output;
  }
  // The tenant's namespace with a Deployment "podinfo" and a ConfigMap another tenant owns.
  void setUpTenants(const std::string& ns) {
    apply(
        "apiVersion: v1\nkind: Namespace\nmetadata: {name: " + ns +
        "}\n---\n"
        "apiVersion: v1\nkind: Namespace\nmetadata: {name: victim}\n---\n"
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: precious, namespace: victim}\ndata: {k: v}\n---\n"
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: podinfo, namespace: " +
        ns +
        "}\n"
        "spec:\n  replicas: 1\n  selector: {matchLabels: {app: podinfo}}\n"
        "  template:\n    metadata: {labels: {app: podinfo}}\n"
        "    spec: {containers: [{name: podinfod, image: \"ghcr.io/stefanprodan/podinfo:6.5.0\"}]}\n");
  }
  // A Canary as JSON (CR/LF survive JSON, not YAML's plain scalars), with `spec` merged over a valid one.
  Json canary(const std::string& ns, const Json& specPatch) {
    Json c = {{"apiVersion", "aviary.io/v1beta1"},
              {"kind", "Canary"},
              {"metadata", {{"name", "podinfo"}, {"namespace", ns}}},
              {"spec",
               {{"provider", "istio"},
                {"targetRef", {{"apiVersion", "apps/v1"}, {"kind", "Deployment"}, {"name", "podinfo"}}},
                {"service", {{"port", 9898}}},
                {"analysis",
                 {{"interval", "2s"},
                  {"threshold", 1},
                  {"maxWeight", 50},
                  {"stepWeight", 25},
                  {"metrics", Json::array({{{"name", "request-success-rate"},
                                            {"thresholdRange", {{"min", 99}}},
                                            {"interval", "1m"}}})}}}}}};
    c["spec"].merge_patch(specPatch);
    return c;
  }
  std::string ready(const std::string& ns, const std::string& field) {
    return kubectl("get canary podinfo -n " + ns +
                   " -o jsonpath='{.status.conditions[?(@.type==\"Ready\")]." + field + "}'")
        .output;
  }
  // Waits for InvalidSpec and returns the condition's message.
  std::string invalidSpecMessage(const std::string& ns) {
    EXPECT_TRUE(eventually([&] { return ready(ns, "reason") == "InvalidSpec"; }, std::chrono::seconds(15)))
        << "Ready reason: " << ready(ns, "reason");
    return ready(ns, "message");
  }
  bool exists(const kube::ResourceType& type, const std::string& ns, const std::string& name) {
    return static_cast<bool>(world->client->get(type, ns, name));
  }
};

TEST_F(SecurityE2E, ASmuggledRequestInANameDeletesNothing) {
  setUpTenants("attacker");
  apply(
      canary("attacker",
             {{"autoscalerRef",
               {{"apiVersion", "autoscaling/v2"}, {"kind", "HorizontalPodAutoscaler"}, {"name", kSmuggled}}}})
          .dump());
  std::string message = invalidSpecMessage("attacker");
  EXPECT_NE(message.find("spec.autoscalerRef.name"), std::string::npos) << message;
  EXPECT_EQ(message.find('\n'), std::string::npos) << "control bytes are escaped in status";
  // Give a vulnerable operator time to act, then look at what it could have hit.
  std::this_thread::sleep_for(std::chrono::seconds(2));
  EXPECT_TRUE(exists(kube::resources::kConfigMaps, "victim", "precious"));
  EXPECT_FALSE(exists(kube::resources::kDeployments, "attacker", "podinfo-primary")) << "nothing was touched";
  auto events = kubectl("get events -n attacker");
  EXPECT_NE(events.output.find("InvalidSpec"), std::string::npos) << events.output;
  // The same target name smuggled through targetRef and service.name.
  apply(canary("attacker", {{"autoscalerRef", nullptr}, {"targetRef", {{"name", kSmuggled}}}}).dump());
  EXPECT_TRUE(eventually(
      [&] { return ready("attacker", "message").find("spec.targetRef.name") != std::string::npos; },
      std::chrono::seconds(15)))
      << ready("attacker", "message");
  EXPECT_TRUE(exists(kube::resources::kConfigMaps, "victim", "precious"));
}

TEST_F(SecurityE2E, TheShippedCrdRefusesTheSameCanaryAtAdmission) {
  setUpTenants("admission");
  auto applied = kubectl("apply -f " + world->shippedCrd);
  ASSERT_EQ(applied.exitCode, 0) << applied.output;
  auto refused = kubectl(
      "apply -f -",
      canary("admission",
             {{"autoscalerRef",
               {{"apiVersion", "autoscaling/v2"}, {"kind", "HorizontalPodAutoscaler"}, {"name", kSmuggled}}}})
          .dump());
  EXPECT_NE(refused.exitCode, 0) << refused.output;
  EXPECT_NE(refused.output.find("autoscalerRef.name"), std::string::npos) << refused.output;
  auto tooLong = kubectl("apply -f -", canary("admission", {{"analysis", {{"interval", "3000000h"}}},
                                                            {"progressDeadlineSeconds", 100000000}})
                                           .dump());
  EXPECT_NE(tooLong.exitCode, 0) << tooLong.output;
  EXPECT_NE(tooLong.output.find("progressDeadlineSeconds"), std::string::npos) << tooLong.output;
  // Back to the older CRD for the other scenarios.
  ASSERT_EQ(kubectl("apply -f " + world->olderCrd).exitCode, 0);
}

TEST_F(SecurityE2E, TheOperatorQueriesNoAddressItWasNotAllowed) {
  setUpTenants("ssrf");
  const std::vector<std::pair<std::string, std::string>> refused = {
      {"http://169.254.169.254/latest/meta-data/iam/", "\"169.254.169.254\""},
      {"http://127.0.0.1:10250", "\"127.0.0.1\""},
      {"http://prometheus.other-team:9090", "\"prometheus.other-team\""}};
  for (const auto& [url, host] : refused) {
    SCOPED_TRACE(url);
    apply(canary("ssrf", {{"metricsServer", url}}).dump());
    EXPECT_TRUE(
        eventually([&, host = host] { return ready("ssrf", "message").find(host) != std::string::npos; },
                   std::chrono::seconds(15)))
        << ready("ssrf", "message");
    EXPECT_EQ(ready("ssrf", "reason"), "InvalidSpec");
    EXPECT_NE(ready("ssrf", "message").find("spec.metricsServer"), std::string::npos);
  }
  // The operator's own Prometheus (another port of the same host) is fine.
  apply(canary("ssrf", {{"metricsServer", "http://prometheus.monitoring:9091"}}).dump());
  EXPECT_TRUE(eventually([&] { return ready("ssrf", "reason") != "InvalidSpec"; }, std::chrono::seconds(15)))
      << ready("ssrf", "message");
}

TEST_F(SecurityE2E, ACanaryCannotCaptureAnotherNamespacesTraffic) {
  setUpTenants("capture");
  apply(canary("capture", {{"service",
                            {{"port", 9898},
                             {"hosts", {"reviews.victim.svc.cluster.local"}},
                             {"gateways", {"istio-system/public-gateway"}}}}})
            .dump());
  std::string message = invalidSpecMessage("capture");
  EXPECT_NE(message.find("spec.service.hosts[0]"), std::string::npos) << message;
  EXPECT_NE(message.find("spec.service.gateways[0]"), std::string::npos) << message;
  auto vs = kubectl("get virtualservices.networking.istio.io -n capture -o name");
  EXPECT_EQ(vs.output, "") << "no route was written";
}

TEST_F(SecurityE2E, AHostileDurationIsRefusedNotOverflowed) {
  setUpTenants("duration");
  apply(canary("duration", {{"analysis", {{"interval", "3000000h"}}}}).dump());
  std::string message = invalidSpecMessage("duration");
  EXPECT_NE(message.find("spec.analysis.interval: \"3000000h\" is longer than the maximum of 24h"),
            std::string::npos)
      << message;
  // No hot loop: the Canary is left alone once its condition says why.
  std::string before =
      kubectl("get canary podinfo -n duration -o jsonpath={.metadata.resourceVersion}").output;
  std::this_thread::sleep_for(std::chrono::seconds(2));
  EXPECT_EQ(kubectl("get canary podinfo -n duration -o jsonpath={.metadata.resourceVersion}").output, before);
}

TEST_F(SecurityE2E, AnUnauthenticatedSandboxStaysOnLoopback) {
  // Without --tls anyone who reaches the port is cluster-admin.
  std::string command = std::string(SANDBOX_BINARY) + " --listen 0.0.0.0:0 2>&1";
  FILE* pipe = ::popen(command.c_str(), "r");
  ASSERT_NE(pipe, nullptr);
  std::string output;
  char buffer[512];
  while (std::fgets(buffer, sizeof buffer, pipe)) output += buffer;
  int status = ::pclose(pipe);
  EXPECT_EQ(WEXITSTATUS(status), 2) << output;
  EXPECT_NE(output.find("loopback only"), std::string::npos) << output;
}

}  // namespace
}  // namespace aviary::e2e
