// How to reach an API server: address, TLS material, credentials and client-side limits.
// Built from a kubeconfig file or from the in-cluster service account.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "operator/core/result.h"
#include "operator/kube/token_source.h"

namespace aviary::kube {

struct TlsConfig {
  std::string caPem;  // empty: the system trust store
  std::string clientCertPem;
  std::string clientKeyPem;
  bool insecureSkipVerify = false;
  std::string serverName;  // overrides the host used for SNI and hostname verification
};

struct ClusterConfig {
  std::string server;  // "https://10.0.0.1:6443"
  TlsConfig tls;
  std::shared_ptr<TokenSource> token;  // null: no bearer token
  std::string defaultNamespace = "default";
  std::string source;  // "kubeconfig /path (context x)" or "in-cluster", for logs

  // Client-side limits, as client-go's rest.Config.
  double qps = 50;
  int burst = 100;
  std::chrono::milliseconds requestTimeout{30'000};
  int maxRetries = 5;  // on 429/503 with Retry-After
  std::string userAgent = "aviary/0.1";
};

// Parses kubeconfig text. `fileName` names the file in errors; relative paths resolve against `baseDir`.
Result<ClusterConfig> parseKubeconfig(const std::string& yamlText, const std::string& fileName,
                                      const std::string& baseDir, const std::string& context = "");
// Reads one kubeconfig file, or several separated by ':' (merged as kubectl does: the first file that
// sets a value wins).
Result<ClusterConfig> loadKubeconfig(const std::string& paths, const std::string& context = "");

struct InClusterPaths {
  std::string tokenFile = "/var/run/secrets/kubernetes.io/serviceaccount/token";
  std::string caFile = "/var/run/secrets/kubernetes.io/serviceaccount/ca.crt";
  std::string namespaceFile = "/var/run/secrets/kubernetes.io/serviceaccount/namespace";
};
// From KUBERNETES_SERVICE_HOST/PORT and the mounted service account.
Result<ClusterConfig> loadInCluster(const InClusterPaths& paths = {});

// The order kubectl and controllers use: --kubeconfig flag, then $KUBECONFIG, then in-cluster,
// then ~/.kube/config.
Result<ClusterConfig> resolveClusterConfig(const std::string& kubeconfigFlag, const std::string& contextFlag);

}  // namespace aviary::kube
