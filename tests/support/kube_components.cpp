#include "tests/support/kube_components.h"

#include <unistd.h>

#include <iostream>

#include "tests/support/kubectl_runner.h"

namespace aviary::testing {

const std::string& pinnedKubeBin() {
  static const std::string dir = [] {
    auto r = runCommand(std::string("bash ") + AVIARY_SOURCE_DIR + "/scripts/build-kube.sh 2>&1 | tail -n 1");
    std::string out = r.output;
    while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
    if (r.exitCode != 0 || ::access((out + "/kubectl").c_str(), X_OK) != 0) {
      std::cerr << "pinned Kubernetes components missing (run make deps): " << r.output << "\n";
      return std::string();
    }
    return out;
  }();
  return dir;
}

const std::string& kubectlBinary() {
  static const std::string path = pinnedKubeBin().empty() ? "kubectl" : pinnedKubeBin() + "/kubectl";
  return path;
}

}  // namespace aviary::testing
