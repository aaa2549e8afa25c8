#include "tests/support/test_bed.h"

#include <cstdlib>
#include <fstream>

#include "sandbox/sandbox.h"
#include "tests/support/control_plane.h"

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
  void killPrometheus() override {
    if (sandbox_->prometheus()) sandbox_->prometheus()->kill();
  }

 private:
  std::string dir_, kubeconfig_;
  std::unique_ptr<sandbox::Sandbox> sandbox_;
};

class KubeBed final : public TestBed {
 public:
  std::string name() const override { return "kube"; }
  Status start() override {
    if (auto st = plane_.start(); !st) return st;
    admin_ = plane_.adminKubeconfig();
    auto op = plane_.operatorKubeconfig();
    if (!op) return op.error();
    operator_ = *op;
    return {};
  }
  const std::string& adminKubeconfig() const override { return admin_; }
  const std::string& operatorKubeconfig() const override { return operator_; }
  // Traffic on the real bed arrives with the watch-driven simulator (issue 9 §3); until then there is no
  // Prometheus here and the scenarios that need metrics run on the sandbox only (see tests/CMakeLists.txt).
  std::string prometheusUrl() const override { return ""; }
  std::string trafficMetrics() override { return ""; }
  void killPrometheus() override {}

 private:
  ControlPlane plane_;
  std::string admin_, operator_;
};

}  // namespace

std::unique_ptr<TestBed> makeTestBed(const std::string& name, const std::string& dir) {
  if (name == "kube") return std::make_unique<KubeBed>();
  return std::make_unique<SandboxBed>(dir);
}

std::string testBedFromEnvironment() {
  const char* bed = std::getenv("AVIARY_E2E_BED");
  return bed && *bed ? bed : "sandbox";
}

}  // namespace aviary::testing
