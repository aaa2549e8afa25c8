#include "tests/e2e/canary_e2e_fixture.h"

#include <iostream>

namespace aviary::e2e {

std::vector<std::string> World::operatorCommand(const std::vector<std::string>& extraFlags) const {
  // A bed without Prometheus gets an address where nothing listens: checks fail, nothing promotes.
  std::string prometheus = bed->prometheusUrl().empty() ? "http://127.0.0.1:1" : bed->prometheusUrl();
  std::vector<std::string> command{AVIARY_BINARY, "--kubeconfig", bed->operatorKubeconfig(),
                                   "--metrics-server", prometheus, "--workers", "2",
                                   // The tests' webhook receivers listen on loopback, which needs naming.
                                   "--webhook-allow", "127.0.0.1",
                                   // Any free port: test binaries run in parallel (metricsUrl() reads it).
                                   "--listen-address", "127.0.0.1:0",
                                   // Each pass's decision in aviary.log, for a test that fails.
                                   "--log-level", "debug"};
  command.insert(command.end(), extraFlags.begin(), extraFlags.end());
  return command;
}

void World::startOperator(const std::vector<std::string>& extraFlags) {
  aviary = std::make_unique<ChildProcess>(operatorCommand(extraFlags), dir + "/aviary.log");
}

namespace {

class Environment : public ::testing::Environment {
 public:
  void SetUp() override {
    world = new World;
    const std::string source = AVIARY_SOURCE_DIR;
    Status ready = world->open("e2e");
    if (ready) ready = world->apply({source + "/sandbox/crds", source + "/crds"});
    // The operator's namespace, where its leader-election Lease lives (the real bed has it already).
    if (ready) {
      auto ns = (*world->kubectl)("apply -f " + source + "/config/manager/namespace.yaml");
      if (ns.exitCode != 0) ready = Error{ErrorCode::Unavailable, "the operator's namespace: " + ns.output};
    }
    if (!ready) {
      world->error = ready.error().message;
      return;
    }
    world->startOperator();
  }
  void TearDown() override {
    if (world->aviary) world->aviary->terminate();
    std::string log = world->aviary ? world->aviary->log() : "";
    if (::testing::UnitTest::GetInstance()->failed_test_count() > 0)
      std::cerr << "--- aviary log (" << (world->bed ? world->bed->name() : "?") << " bed) ---\n" << log;
    delete world;
  }
};
[[maybe_unused]] auto* const kEnvironment = ::testing::AddGlobalTestEnvironment(new Environment);

}  // namespace

World* world = nullptr;

std::string manifests(const std::string& ns, const std::string& extraSpec, const std::string& analysisExtra,
                      const std::string& metricsServer) {
  return "apiVersion: v1\nkind: Namespace\nmetadata: {name: " + ns +
         "}\n---\n"
         "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: podinfo, namespace: " +
         ns +
         ", annotations: {sandbox.aviary.io/ready-after: 500ms}}\n"
         "spec:\n  replicas: 2\n  progressDeadlineSeconds: 4\n  selector: {matchLabels: {app: podinfo}}\n"
         "  template:\n    metadata: {labels: {app: podinfo}}\n"
         "    spec: {containers: [{name: podinfod, image: \"ghcr.io/stefanprodan/podinfo:6.5.0\"}]}\n---\n"
         "apiVersion: aviary.io/v1beta1\nkind: Canary\nmetadata: {name: podinfo, namespace: " +
         ns +
         "}\n"
         "spec:\n  provider: istio\n  targetRef: {apiVersion: apps/v1, kind: Deployment, name: podinfo}\n" +
         (metricsServer.empty() ? "" : "  metricsServer: " + metricsServer + "\n") + extraSpec +
         "  service:\n    port: 9898\n    apex: {annotations: {sandbox.aviary.io/rps: \"" +
         std::to_string(kRps) +
         "\"}}\n"
         "  analysis:\n    interval: 3s\n    threshold: 2\n    maxWeight: 50\n    stepWeight: 25\n" +
         analysisExtra +
         "    metrics:\n"
         "    - {name: request-success-rate, thresholdRange: {min: 99}, interval: 6s}\n"
         "    - {name: request-duration, thresholdRange: {max: 500}, interval: 6s}\n";
}

std::string withConfigMapEnv(std::string yaml, const std::string& configMap) {
  const std::string container = "{name: podinfod, image: \"ghcr.io/stefanprodan/podinfo:6.5.0\"}";
  yaml.replace(yaml.find(container), container.size(),
               "{name: podinfod, image: \"ghcr.io/stefanprodan/podinfo:6.5.0\", envFrom: [{configMapRef: "
               "{name: " +
                   configMap + "}}]}");
  return yaml;
}

}  // namespace aviary::e2e
