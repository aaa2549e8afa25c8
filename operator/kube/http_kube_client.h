// KubeClient over HTTP: builds REST paths and queries, maps answers to typed errors, retries 429/503
// answers that carry Retry-After, and opens watches.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "operator/kube/http_transport.h"
#include "operator/kube/kube_client.h"

namespace aviary::kube {

class HttpKubeClient final : public KubeClient {
 public:
  explicit HttpKubeClient(std::unique_ptr<HttpTransport> transport);
  static Result<std::unique_ptr<HttpKubeClient>> create(const ClusterConfig& config);

  Result<Json> get(const ResourceType& type, const std::string& ns, const std::string& name,
                   const std::string& subresource = "") override;
  Result<Json> list(const ResourceType& type, const std::string& ns,
                    const ListOptions& options = {}) override;
  Result<Json> create(const ResourceType& type, const std::string& ns, const Json& object) override;
  Result<Json> update(const ResourceType& type, const std::string& ns, const Json& object,
                      const std::string& subresource = "") override;
  Result<Json> patch(const ResourceType& type, const std::string& ns, const std::string& name,
                     PatchType patchType, const Json& patch, const std::string& subresource = "",
                     const std::string& fieldManager = "") override;
  Result<Json> remove(const ResourceType& type, const std::string& ns, const std::string& name,
                      const DeleteOptions& options = {}) override;
  Result<std::unique_ptr<WatchStream>> watch(const ResourceType& type, const std::string& ns,
                                             const WatchOptions& options) override;

  // GET of any path (discovery, /version), decoded as JSON.
  Result<Json> getRaw(const std::string& path);
  // GET /version: the server's version object, and whether it runs API Priority and Fairness (its answer
  // names the FlowSchema that classified it: HttpResponse::flowSchemaUid). Errors: as getRaw's.
  struct ServerVersion {
    Json version;
    bool priorityAndFairness = false;
  };
  Result<ServerVersion> serverVersion();
  // POST of `body` as JSON to any path (a test bed's non-resource endpoints), decoded as JSON.
  Result<Json> postRaw(const std::string& path, const Json& body);
  HttpTransport& transport() { return *transport_; }
  // Called after every answer (and failed attempt: code 0) with the Kubernetes verb (get, list, create,
  // update, patch, delete) and the HTTP status, for the operator's metrics. Set before use; it must be
  // thread-safe.
  void setObserver(std::function<void(const std::string& verb, int code)> observer);
  // Asked before every request that is not a GET (each attempt): an error refuses the request, which
  // fails with that error unsent. The operator's replicas refuse writes unless they hold the Lease
  // (LeaderElector::mayWrite). Set before use.
  void setWriteGuard(std::function<Status()> guard) { writeGuard_ = std::move(guard); }

 private:
  Result<Json> send(const HttpRequest& request, const char* verb);
  // The request's 2xx answer, after honouring Retry-After on 429 and 503; any other status is an error.
  Result<HttpResponse> exchange(const HttpRequest& request, const char* verb);
  std::unique_ptr<HttpTransport> transport_;
  std::function<void(const std::string&, int)> observer_;
  std::function<Status()> writeGuard_;
};

}  // namespace aviary::kube
