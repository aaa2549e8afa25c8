// In-cluster configuration and the order in which a configuration is looked for.
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "operator/kube/cluster_config.h"

namespace aviary::kube {
namespace {

std::string readTrimmed(const std::string& path) {
  std::ifstream in(path);
  if (!in) return {};
  std::stringstream buffer;
  buffer << in.rdbuf();
  std::string s = buffer.str();
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ' || s.back() == '\r')) s.pop_back();
  return s;
}

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

}  // namespace

Result<ClusterConfig> loadInCluster(const InClusterPaths& paths) {
  std::string host = env("KUBERNETES_SERVICE_HOST");
  std::string port = env("KUBERNETES_SERVICE_PORT");
  if (host.empty() || port.empty()) {
    return makeError(ErrorCode::Config,
                     "in-cluster: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT must be set");
  }
  if (!std::filesystem::exists(paths.tokenFile)) {
    return makeError(ErrorCode::Config,
                     "in-cluster: service-account token " + paths.tokenFile + " not found");
  }
  ClusterConfig config;
  if (host.find(':') != std::string::npos) host = "[" + host + "]";  // IPv6 literal
  config.server = "https://" + host + ":" + port;
  config.token = std::make_shared<FileTokenSource>(paths.tokenFile);
  config.tls.caPem = readTrimmed(paths.caFile);
  if (config.tls.caPem.empty()) {
    return makeError(ErrorCode::Config, "in-cluster: CA bundle " + paths.caFile + " not found or empty");
  }
  config.tls.caPem += '\n';
  std::string ns = readTrimmed(paths.namespaceFile);
  if (!ns.empty()) config.defaultNamespace = ns;
  config.source = "in-cluster";
  return config;
}

Result<ClusterConfig> resolveClusterConfig(const std::string& kubeconfigFlag,
                                           const std::string& contextFlag) {
  if (!kubeconfigFlag.empty()) return loadKubeconfig(kubeconfigFlag, contextFlag);
  if (std::string fromEnv = env("KUBECONFIG"); !fromEnv.empty()) return loadKubeconfig(fromEnv, contextFlag);
  if (!env("KUBERNETES_SERVICE_HOST").empty()) return loadInCluster();
  std::string home = env("HOME");
  std::string defaultPath = home + "/.kube/config";
  if (!home.empty() && std::filesystem::exists(defaultPath)) return loadKubeconfig(defaultPath, contextFlag);
  return makeError(ErrorCode::Config,
                   "no cluster configuration: pass --kubeconfig, set KUBECONFIG, or run inside a cluster");
}

}  // namespace aviary::kube
