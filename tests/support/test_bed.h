// The two beds every end-to-end scenario runs on (DESIGN §6): the sandbox (fast, in-process) and a real
// Kubernetes control plane (the reference). A scenario sees only this interface: kubeconfigs, a
// Prometheus, the traffic simulator's ground truth. Selected by AVIARY_E2E_BED=sandbox|kube.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "operator/core/result.h"
#include "operator/kube/kube_client.h"
#include "tests/support/kubectl_runner.h"

namespace aviary::testing {

class TestBed {
 public:
  virtual ~TestBed() = default;
  virtual std::string name() const = 0;  // "sandbox" | "kube"
  virtual Status start() = 0;
  // A kubeconfig with full rights, for setting scenarios up and checking them.
  virtual const std::string& adminKubeconfig() const = 0;
  // The kubeconfig the operator runs with: on the real bed the ServiceAccount of config/rbac.
  virtual const std::string& operatorKubeconfig() const = 0;
  // The real Prometheus scraping the traffic simulator; "" when the bed has none.
  virtual std::string prometheusUrl() const = 0;
  // The simulator's /metrics text (per-mesh series and the ground truth sandbox_user_requests_total).
  virtual std::string trafficMetrics() = 0;
  // Where a Prometheus scrapes that text: "127.0.0.1:PORT" (plain HTTP, /metrics).
  virtual std::string trafficMetricsTarget() const = 0;
  // Kills the Prometheus (a fault scenario).
  virtual void killPrometheus() = 0;
  // The API server's audit log (JSON lines: the writes of the aviary-* ServiceAccounts); "" when the bed
  // keeps none (the sandbox).
  virtual std::string auditLogPath() const { return ""; }
};

// What an end-to-end suite holds for its whole run: the bed chosen by AVIARY_E2E_BED, a scratch folder, and
// an admin kubectl and API client for setting scenarios up and checking them.
struct BedSession {
  std::unique_ptr<TestBed> bed;
  std::string dir;
  std::unique_ptr<Kubectl> kubectl;
  std::unique_ptr<kube::KubeClient> client;

  // Makes /tmp/aviary-<name>-XXXXXX, starts the bed, connects. Errors: the bed's.
  Status open(const std::string& name);
  // `kubectl apply -f` each path (files or folders). Errors: kubectl's output.
  Status apply(const std::vector<std::string>& paths);
};

// "sandbox" or "kube"; `dir` is a scratch folder for kubeconfigs and logs.
std::unique_ptr<TestBed> makeTestBed(const std::string& name, const std::string& dir);
// AVIARY_E2E_BED, "sandbox" when unset.
std::string testBedFromEnvironment();

}  // namespace aviary::testing
