// The end-to-end world both canary suites share: one test bed (the sandbox, or the real control plane
// with AVIARY_E2E_BED=kube), the aviary binary under its own ServiceAccount, the real kubectl; the
// manifests of a Deployment "podinfo" and its Canary; and a fixture with the reads a user would make.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "operator/core/child_process.h"
#include "operator/kube/http_kube_client.h"
#include "tests/support/eventually.h"
#include "tests/support/http_get.h"
#include "tests/support/kubectl_runner.h"
#include "tests/support/metrics_text.h"
#include "tests/support/test_bed.h"

namespace aviary::e2e {

using kube::Json;
using testing::eventually;

inline constexpr int kRps = 200;
inline const kube::ResourceType kCanaries{"aviary.io", "v1beta1", "canaries", "Canary", true};

struct World : testing::BedSession {
  std::unique_ptr<ChildProcess> aviary;
  std::string error;

  // The operator's command line: the tests' flags and `extraFlags`.
  std::vector<std::string> operatorCommand(const std::vector<std::string>& extraFlags = {}) const;
  // Starts the operator with the tests' flags and `extraFlags`.
  void startOperator(const std::vector<std::string>& extraFlags = {});
};
// Set up once per test binary (canary_e2e_fixture.cpp registers the environment).
extern World* world;

// A Deployment "podinfo" (2 replicas) and its Canary (istio, 3 s interval, stepWeight 25 up to 50) in
// `ns`; `extraSpec` is YAML under spec, `analysisExtra` under spec.analysis.
std::string manifests(const std::string& ns, const std::string& extraSpec = "",
                      const std::string& analysisExtra = "", const std::string& metricsServer = "");
// `yaml` from manifests() with the container reading its environment from ConfigMap `configMap`.
std::string withConfigMapEnv(std::string yaml, const std::string& configMap);

class CanaryE2E : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(world->error.empty()) << world->error; }

  testing::CommandResult kubectl(const std::string& args, const std::string& input = "") {
    return (*world->kubectl)(args, input);
  }
  void apply(const std::string& yaml) {
    auto r = kubectl("apply -f -", yaml);
    ASSERT_EQ(r.exitCode, 0) << r.output;
  }
  Json canary(const std::string& ns) {
    auto c = world->client->get(kCanaries, ns, "podinfo");
    return c ? *c : Json::object();
  }
  Json deployment(const std::string& ns, const std::string& name) {
    auto d = world->client->get(kube::resources::kDeployments, ns, name);
    return d ? *d : Json::object();
  }
  // Whether the object does not exist (any other answer, object or error, is "not gone").
  bool gone(const kube::ResourceType& type, const std::string& ns, const std::string& name) {
    auto r = world->client->get(type, ns, name);
    return !r && r.error().code == ErrorCode::NotFound;
  }
  std::string phase(const std::string& ns) {
    return canary(ns).value("/status/phase"_json_pointer, std::string());
  }
  int weight(const std::string& ns) { return canary(ns).value("/status/canaryWeight"_json_pointer, 0); }
  bool waitPhase(const std::string& ns, const std::string& want,
                 std::chrono::seconds timeout = std::chrono::seconds(30)) {
    return eventually([&] { return phase(ns) == want; }, timeout);
  }
  void initialize(const std::string& ns, const std::string& extraSpec = "",
                  const std::string& analysisExtra = "", const std::string& metricsServer = "") {
    apply(manifests(ns, extraSpec, analysisExtra, metricsServer));
    ASSERT_TRUE(waitPhase(ns, "Initialized")) << "phase " << phase(ns);
  }
  // A new revision: `kubectl set image` of the podinfo container to `tag`.
  void setImage(const std::string& ns, const std::string& tag = "6.5.1") {
    auto r =
        kubectl("set image deployment/podinfo podinfod=ghcr.io/stefanprodan/podinfo:" + tag + " -n " + ns);
    ASSERT_EQ(r.exitCode, 0) << r.output;
  }
  // A field of the Canary's Ready condition as `kubectl get -o jsonpath` prints it.
  std::string readyCondition(const std::string& ns, const std::string& field) {
    return conditionOf(ns, "Ready", field);
  }
  // A field of the Canary's condition `type`, as `kubectl get -o jsonpath` prints it.
  std::string conditionOf(const std::string& ns, const std::string& type, const std::string& field) {
    return kubectl("get canary podinfo -n " + ns + " -o jsonpath='{.status.conditions[?(@.type==\"" + type +
                   "\")]." + field + "}'")
        .output;
  }
  // waitPhase, adding every weight seen on the way to `weights`.
  bool waitPhaseCollectingWeights(const std::string& ns, const std::string& want,
                                  std::chrono::seconds timeout, std::set<int>& weights) {
    return eventually(
        [&] {
          weights.insert(weight(ns));
          return phase(ns) == want;
        },
        timeout);
  }
  std::string primaryImage(const std::string& ns) {
    return deployment(ns, "podinfo-primary")
        .value("/spec/template/spec/containers/0/image"_json_pointer, std::string());
  }
  // The holder of the operators' Lease aviary-leader in `ns` ("" when free).
  std::string leaseHolder(const std::string& ns = "aviary-system") {
    return kubectl("get lease aviary-leader -n " + ns + " -o jsonpath='{.spec.holderIdentity}'").output;
  }
  // A second operator, identity "standby", once it campaigns for the Lease the suite's operator holds.
  std::unique_ptr<ChildProcess> startStandby(const std::string& logName) {
    auto standby = std::make_unique<ChildProcess>(
        world->operatorCommand({"--leader-election-identity", "standby"}), world->dir + "/" + logName);
    EXPECT_TRUE(eventually([&] { return standby->log().find("standby campaigning") != std::string::npos; }))
        << standby->log();
    return standby;
  }
  // The operator's base URL for /metrics, /healthz and /readyz, from its log ("" when not logged yet).
  std::string operatorUrl() {
    std::string log = world->aviary->log();
    const std::string marker = "metrics and health at ";
    auto at = log.find(marker);
    if (at == std::string::npos) return "";
    at += marker.size();
    return log.substr(at, log.find(' ', at) - at);
  }
  // The sandbox's series of user requests in `ns` that met no pod or no route, one per line.
  std::string noEndpointSeries(const std::string& ns) {
    std::string out, metrics = world->bed->trafficMetrics();
    std::istringstream lines(metrics);
    for (std::string line; std::getline(lines, line);) {
      if (line.rfind("sandbox_user_requests_total", 0) == 0 &&
          line.find("deployment=\"none\"") != std::string::npos &&
          line.find("namespace=\"" + ns + "\"") != std::string::npos)
        out += line + "\n";
    }
    return out;
  }
  // User requests by the sandbox's ground truth in `ns` (one deployment, or all when empty) with `outcome`.
  double userRequests(const std::string& ns, const std::string& deployment, const std::string& outcome) {
    std::map<std::string, std::string> labels = {{"namespace", ns}, {"outcome", outcome}};
    if (!deployment.empty()) labels["deployment"] = deployment;
    return testing::sumSamples(world->bed->trafficMetrics(), "sandbox_user_requests_total", labels);
  }
};

}  // namespace aviary::e2e
