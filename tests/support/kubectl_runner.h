// Runs the real kubectl (the pinned build, kube_components.h) against a kubeconfig, with a fresh discovery
// cache per runner.
#pragma once

#include <string>

namespace aviary::testing {

struct CommandResult {
  int exitCode = -1;
  std::string output;  // stdout and stderr together
};

// Runs a shell command, feeding `input` to its stdin when not empty.
CommandResult runCommand(const std::string& command, const std::string& input = "");

class Kubectl {
 public:
  explicit Kubectl(std::string kubeconfigPath);
  ~Kubectl();
  // `kubectl <args>`; args are passed to the shell as written.
  CommandResult operator()(const std::string& args, const std::string& input = "") const;
  const std::string& kubeconfig() const { return kubeconfig_; }

 private:
  std::string kubeconfig_;
  std::string cacheDir_;
};

}  // namespace aviary::testing
