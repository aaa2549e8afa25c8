#include "tests/support/control_plane.h"

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "tests/support/kube_components.h"
#include "tests/support/kubectl_runner.h"

namespace aviary::testing {

ControlPlane::ControlPlane() {
  char pattern[] = "/tmp/aviary-kube-XXXXXX";
  dir_ = ::mkdtemp(pattern);
}

ControlPlane::~ControlPlane() {
  stop();
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

Status ControlPlane::start(std::chrono::seconds timeout) {
  if (pinnedKubeBin().empty()) {
    return makeError(ErrorCode::Unavailable, "the pinned Kubernetes components are not built: run make deps");
  }
  process_ = std::make_unique<ChildProcess>(
      std::vector<std::string>{
          "/bin/bash", std::string(AVIARY_SOURCE_DIR) + "/tests/cluster/start-control-plane.sh", dir_},
      dir_ + "/control-plane.log");
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (::access((dir_ + "/ready").c_str(), F_OK) == 0) {
      std::string log = process_->log();
      auto at = log.find("control plane ready in ");
      if (at != std::string::npos) secondsToReady_ = std::atof(log.c_str() + at + 23);
      return {};
    }
    if (!process_->running()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  std::string log = process_->log();
  stop();
  return makeError(ErrorCode::Unavailable, "the control plane did not get ready:\n" + log);
}

void ControlPlane::stop() {
  if (process_) process_->terminate(std::chrono::seconds(10));
  process_.reset();
}

Result<std::string> ControlPlane::operatorKubeconfig() {
  Kubectl admin(adminKubeconfig());
  const std::string rbac = std::string(AVIARY_SOURCE_DIR) + "/config/rbac";
  auto ns = admin("create namespace aviary-system");
  if (ns.exitCode != 0 && ns.output.find("AlreadyExists") == std::string::npos)
    return makeError(ErrorCode::Unavailable, ns.output);
  for (const char* file : {"/service_account.yaml", "/cluster_role.yaml", "/cluster_role_binding.yaml",
                           "/leader_election.yaml"}) {
    auto r = admin("apply -f " + rbac + file);
    if (r.exitCode != 0)
      return makeError(ErrorCode::Unavailable, "applying " + rbac + file + ": " + r.output);
  }
  return serviceAccountKubeconfig(adminKubeconfig(), "aviary-system", "aviary",
                                  dir_ + "/aviary-operator.kubeconfig");
}

Result<std::string> serviceAccountKubeconfig(const std::string& adminKubeconfig, const std::string& ns,
                                             const std::string& serviceAccount, const std::string& path) {
  Kubectl admin(adminKubeconfig);
  auto token = admin("create token " + serviceAccount + " -n " + ns + " --duration=24h");
  auto server = admin("config view --raw --minify -o jsonpath='{.clusters[0].cluster.server}'");
  auto ca =
      admin("config view --raw --minify -o jsonpath='{.clusters[0].cluster.certificate-authority-data}'");
  if (token.exitCode != 0 || server.exitCode != 0 || ca.exitCode != 0) {
    return makeError(ErrorCode::Unavailable, "token kubeconfig: " + token.output + server.output + ca.output);
  }
  std::string tokenText = token.output;
  while (!tokenText.empty() && tokenText.back() == '\n') tokenText.pop_back();
  std::ofstream(path) << "apiVersion: v1\nkind: Config\n"
                      << "clusters:\n- name: kube\n  cluster:\n    server: " << server.output
                      << "\n    certificate-authority-data: " << ca.output << "\n"
                      << "users:\n- name: " << serviceAccount << "\n  user:\n    token: " << tokenText << "\n"
                      << "contexts:\n- name: " << serviceAccount
                      << "\n  context: {cluster: kube, user: " << serviceAccount << "}\n"
                      << "current-context: " << serviceAccount << "\n";
  ::chmod(path.c_str(), 0600);
  return path;
}

}  // namespace aviary::testing
