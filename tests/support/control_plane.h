// The real test bed (issue 9): a Kubernetes control plane — etcd, kube-apiserver, kube-controller-manager,
// kube-scheduler and kwok's fake nodes, built from pinned sources by scripts/build-kube.sh — started by
// tests/cluster/start-control-plane.sh on free loopback ports in a temporary folder, dying with the test.
#pragma once

#include <memory>
#include <string>

#include "operator/core/child_process.h"
#include "operator/core/result.h"

namespace aviary::testing {

class ControlPlane {
 public:
  ControlPlane();
  ~ControlPlane();  // stops everything and removes the folder

  // Starts the control plane and waits until it runs a Deployment to Ready pods (at most `timeout`).
  // Errors: Unavailable, with the script's log, when it does not get there.
  Status start(std::chrono::seconds timeout = std::chrono::seconds(180));
  void stop();

  const std::string& dir() const { return dir_; }
  // system:masters; for setting the bed up, never for the operator.
  std::string adminKubeconfig() const { return dir_ + "/admin.kubeconfig"; }
  // Seconds from start() to ready, as the script measured them.
  double secondsToReady() const { return secondsToReady_; }

  // Installs config/rbac (ServiceAccount aviary-system/aviary, the ClusterRole and its binding) and writes a
  // kubeconfig that authenticates with a token of that ServiceAccount: the operator's own identity.
  Result<std::string> operatorKubeconfig();

 private:
  std::string dir_;
  std::unique_ptr<ChildProcess> process_;
  double secondsToReady_ = 0;
};

// Writes to `path` a kubeconfig for the cluster of `adminKubeconfig` that authenticates with a token of the
// ServiceAccount `ns`/`serviceAccount` (kubectl create token, 24 h), and returns `path`. Errors: Unavailable,
// with kubectl's output.
Result<std::string> serviceAccountKubeconfig(const std::string& adminKubeconfig, const std::string& ns,
                                             const std::string& serviceAccount, const std::string& path);

}  // namespace aviary::testing
