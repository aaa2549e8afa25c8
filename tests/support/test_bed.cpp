#include "tests/support/test_bed.h"

#include <stdlib.h>

#include <cstdlib>
#include <fstream>

#include "operator/kube/http_kube_client.h"
#include "sandbox/prometheus/prometheus_server.h"
#include "sandbox/sandbox.h"
#include "sandbox/traffic/remote/remote_traffic.h"
#include "tests/support/control_plane.h"
#include "tests/support/kubectl_runner.h"

namespace aviary::testing {
namespace {

class SandboxBed final : public TestBed {
 public:
  explicit SandboxBed(std::string dir) : dir_(std::move(dir)) {}
  std::string name() const override { return "sandbox"; }
  Status start() override {
    sandbox::SandboxOptions options;
    options.prometheus = true;
    sandbox_ = std::make_unique<sandbox::Sandbox>(options);
    if (auto st = sandbox_->start(); !st) return st;
    kubeconfig_ = dir_ + "/kubeconfig";
    std::ofstream(kubeconfig_) << sandbox_->api().kubeconfig();
    return {};
  }
  const std::string& adminKubeconfig() const override { return kubeconfig_; }
  // The sandbox has no RBAC: the operator uses the same (only) identity.
  const std::string& operatorKubeconfig() const override { return kubeconfig_; }
  std::string prometheusUrl() const override { return sandbox_->prometheusUrl(); }
  std::string trafficMetrics() override { return sandbox_->traffic().renderMetrics(); }
  std::string trafficMetricsTarget() const override { return sandbox_->metricsTarget(); }
  void killPrometheus() override {
    if (sandbox_->prometheus()) sandbox_->prometheus()->kill();
  }

 private:
  std::string dir_, kubeconfig_;
  std::unique_ptr<sandbox::Sandbox> sandbox_;
};

// The real control plane, with the traffic simulator as its client (watching Services, Pods,
// EndpointSlices and the mesh objects as admin; it plays the mesh, not the operator) and a real Prometheus
// scraping it.
class KubeBed final : public TestBed {
 public:
  std::string name() const override { return "kube"; }
  Status start() override {
    if (auto st = plane_.start(); !st) return st;
    admin_ = plane_.adminKubeconfig();
    auto op = plane_.operatorKubeconfig();
    if (!op) return op.error();
    operator_ = *op;
    // The mesh CRDs first: the simulator watches only what the server serves.
    Kubectl admin(admin_);
    auto crds = admin(std::string("apply -f ") + AVIARY_SOURCE_DIR + "/sandbox/crds");
    if (crds.exitCode != 0) return makeError(ErrorCode::Unavailable, "mesh CRDs: " + crds.output);
    if (auto st = traffic_.start(admin_); !st) return st;
    sandbox::PrometheusOptions options;
    options.scrapeTargets = {traffic_.metricsTarget()};
    prometheus_ = std::make_unique<sandbox::PrometheusServer>(options);
    return prometheus_->start();
  }
  const std::string& adminKubeconfig() const override { return admin_; }
  const std::string& operatorKubeconfig() const override { return operator_; }
  std::string prometheusUrl() const override { return prometheus_ ? prometheus_->url() : ""; }
  std::string trafficMetrics() override { return traffic_.simulator().renderMetrics(); }
  std::string trafficMetricsTarget() const override { return traffic_.metricsTarget(); }
  void killPrometheus() override {
    if (prometheus_) prometheus_->kill();
  }
  std::string auditLogPath() const override { return plane_.dir() + "/logs/audit.log"; }

 private:
  ControlPlane plane_;
  sandbox::traffic::RemoteTraffic traffic_;
  std::unique_ptr<sandbox::PrometheusServer> prometheus_;
  std::string admin_, operator_;
};

}  // namespace

std::unique_ptr<TestBed> makeTestBed(const std::string& name, const std::string& dir) {
  if (name == "kube") return std::make_unique<KubeBed>();
  return std::make_unique<SandboxBed>(dir);
}

Status BedSession::open(const std::string& name) {
  std::string pattern = "/tmp/aviary-" + name + "-XXXXXX";
  dir = ::mkdtemp(pattern.data());
  bed = makeTestBed(testBedFromEnvironment(), dir);
  if (auto st = bed->start(); !st) return st;
  kubectl = std::make_unique<Kubectl>(bed->adminKubeconfig());
  auto config = kube::resolveClusterConfig(bed->adminKubeconfig(), "");
  if (!config) return config.error();
  auto created = kube::HttpKubeClient::create(*config);
  if (!created) return created.error();
  client = std::move(*created);
  return {};
}

Status BedSession::apply(const std::vector<std::string>& paths) {
  for (const auto& path : paths) {
    auto r = (*kubectl)("apply -f " + path);
    if (r.exitCode != 0)
      return makeError(ErrorCode::Unavailable, "kubectl apply -f " + path + ": " + r.output);
  }
  return {};
}

std::string testBedFromEnvironment() {
  const char* bed = std::getenv("AVIARY_E2E_BED");
  return bed && *bed ? bed : "sandbox";
}

}  // namespace aviary::testing
