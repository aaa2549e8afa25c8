// The sandbox's Kubernetes API server: serves the REST API over HTTP or HTTPS (bearer token) so that
// kubectl, the Python client and the operator work against it unchanged (KUBE-API.md).
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "operator/http/http_server.h"
#include "sandbox/api/faults.h"
#include "sandbox/api/object_store.h"
#include "sandbox/api/resource_registry.h"
#include "sandbox/sim/deployment_simulator.h"

namespace aviary::sandbox {

struct ApiServerOptions {
  std::string bindAddress = "127.0.0.1";
  uint16_t port = 0;
  bool tls = false;   // HTTPS with a certificate generated at start-up, bearer token required
  std::string token;  // with tls: generated when empty
  std::size_t historyPerResource = 10'000;
  std::chrono::seconds bookmarkInterval{60};
  std::chrono::milliseconds defaultReadyAfter{300};  // Deployment simulator
};

class ApiServer {
 public:
  explicit ApiServer(ApiServerOptions options = {});
  ~ApiServer();

  Status start();
  void stop();

  std::string url() const;
  const std::string& token() const { return options_.token; }
  const std::optional<PemKeyPair>& certificate() const { return cert_; }
  // A kubeconfig for kubectl, the Python client and the operator.
  std::string kubeconfig() const;

  ObjectStore& store() { return store_; }
  ResourceRegistry& registry() { return registry_; }
  FaultInjector& faults() { return faults_; }

  // Creates or updates an object from a manifest, as `kubectl apply` would (used by --apply).
  Result<Json> apply(const Json& object);
  // Serves `path` with `handler` (after authentication), e.g. the simulated cluster's /metrics. Call
  // before start().
  void addHandler(const std::string& path, http::Handler handler) {
    extraHandlers_[path] = std::move(handler);
  }

 private:
  // A parsed resource path: /apis/<group>/<version>/namespaces/<ns>/<plural>/<name>/<subresource>.
  struct Target {
    std::string group, version, ns, plural, name, subresource;
    std::shared_ptr<const ResourceKind> kind;     // what the client addressed
    std::shared_ptr<const ResourceKind> storage;  // where its objects live (differs for views)
  };
  // A stored object in the shape and apiVersion the client asked for.
  static Json present(const Target& t, Json stored);
  // A request body in the shape it is stored in.
  static Json intake(const Target& t, Json body);
  void handle(const http::Request& req, http::ResponseWriter& w);
  bool serveNonResource(const http::Request& req, http::ResponseWriter& w);
  void serveResource(const http::Request& req, const Target& t, http::ResponseWriter& w);
  void serveList(const http::Request& req, const Target& t, http::ResponseWriter& w);
  void serveWatch(const http::Request& req, const Target& t, http::ResponseWriter& w);
  void serveGet(const http::Request& req, const Target& t, http::ResponseWriter& w);
  void serveCreate(const http::Request& req, const Target& t, http::ResponseWriter& w);
  void serveUpdate(const http::Request& req, const Target& t, http::ResponseWriter& w);
  void servePatch(const http::Request& req, const Target& t, http::ResponseWriter& w);
  void serveDelete(const http::Request& req, const Target& t, http::ResponseWriter& w);
  void serveFaults(const http::Request& req, http::ResponseWriter& w);
  // Side effects of writes: registering CRDs, defaulting built-ins.
  void afterCreate(const ResourceKind& kind, const Json& stored);
  // A CRD changed: its kind (schema, columns, subresources) is registered again, as a real server does.
  void afterUpdate(const ResourceKind& kind, const Json& stored);
  void afterDelete(const ResourceKind& kind, const Json& removed);
  // Admission of a custom object: schema defaults, pruning and validation. Returns the warnings to send
  // (pruned fields under fieldValidation=Warn), 422 on invalid values, 400 on unknown fields under Strict.
  Result<std::vector<std::string>> admit(const ResourceKind& kind, const std::string& version, Json& object,
                                         const std::string& fieldValidation) const;
  // What a real API server keeps from the stored object when an update or patch leaves it out: a
  // Service's allocated clusterIP(s) and its ports' nodePorts (matched by port name), so a client that
  // drops them sees what it would see on a real cluster.
  static void keepAllocatedValues(const ResourceKind& kind, const Json& stored, Json& next);
  Result<Json> createWithDefaults(const ResourceKind& kind, const std::string& version, const std::string& ns,
                                  Json object, bool dryRun, const std::string& fieldValidation,
                                  std::vector<std::string>& warnings);

  ApiServerOptions options_;
  std::optional<PemKeyPair> cert_;
  ResourceRegistry registry_;
  ObjectStore store_;
  FaultInjector faults_;
  std::unique_ptr<DeploymentSimulator> deployments_;
  std::unique_ptr<http::HttpServer> http_;
  std::map<std::string, http::Handler> extraHandlers_;
  std::atomic<bool> stopping_{false};
};

// Writes errors as metav1.Status bodies.
void sendStatusError(http::ResponseWriter& w, const Error& error);

}  // namespace aviary::sandbox
