#include "tests/support/kubectl_runner.h"

#include "tests/support/kube_components.h"

#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>

namespace aviary::testing {

CommandResult runCommand(const std::string& command, const std::string& input) {
  std::string full = command;
  std::string inputFile;
  if (!input.empty()) {
    static std::atomic<int> counter{0};
    inputFile = (std::filesystem::temp_directory_path() /
                 ("aviary-stdin-" + std::to_string(::getpid()) + "-" + std::to_string(counter++)))
                    .string();
    std::ofstream(inputFile) << input;
    full += " < " + inputFile;
  }
  full += " 2>&1";
  CommandResult result;
  FILE* pipe = ::popen(full.c_str(), "r");
  if (!pipe) return result;
  std::array<char, 4096> buffer;
  std::size_t n;
  while ((n = std::fread(buffer.data(), 1, buffer.size(), pipe)) > 0) result.output.append(buffer.data(), n);
  int status = ::pclose(pipe);
  result.exitCode = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  if (!inputFile.empty()) std::filesystem::remove(inputFile);
  return result;
}

Kubectl::Kubectl(std::string kubeconfigPath) : kubeconfig_(std::move(kubeconfigPath)) {
  static std::atomic<int> counter{0};
  cacheDir_ = (std::filesystem::temp_directory_path() /
               ("aviary-kubectl-cache-" + std::to_string(::getpid()) + "-" + std::to_string(counter++)))
                  .string();
}

Kubectl::~Kubectl() {
  std::error_code ec;
  std::filesystem::remove_all(cacheDir_, ec);
}

CommandResult Kubectl::operator()(const std::string& args, const std::string& input) const {
  return runCommand(kubectlBinary() + " --kubeconfig " + kubeconfig_ + " --cache-dir " + cacheDir_ +
                        " --request-timeout=20s " + args,
                    input);
}

}  // namespace aviary::testing
