// An in-memory Kubernetes API server for client tests: CRUD with resourceVersion conflicts, paged lists,
// watches with bounded history (410 when too old), bookmarks, and scripted faults. It is deliberately
// small; the faithful API server is the sandbox (issue 3).
#pragma once

#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "operator/http/http_server.h"
#include "operator/kube/cluster_config.h"

namespace aviary::testing {

using Json = nlohmann::json;

struct RecordedRequest {
  std::string method, target, path, body, contentType, authorization, accept;
};

struct Fault {
  std::string method;      // "" = any
  std::string pathPrefix;  // matches Request::path
  int status = 500;
  std::string reason = "InternalError";
  std::string retryAfter;  // header value, "" = none
  int remaining = 1;
};

class FakeApiServer {
 public:
  struct Options {
    bool tls = false;
    std::string requiredToken;  // non-empty: requests need "Authorization: Bearer <token>"
    std::size_t historyLimit = 1000;
  };
  FakeApiServer();
  explicit FakeApiServer(Options options);
  ~FakeApiServer();

  // A config for HttpKubeClient pointing here (with the CA and token when TLS is on).
  kube::ClusterConfig clusterConfig() const;
  std::string url() const { return server_->baseUrl(); }
  const std::optional<PemKeyPair>& certificate() const { return cert_; }

  // Stores an object directly (as if another client wrote it): sets RV, emits a watch event.
  Json upsert(const std::string& collectionPath, Json object);
  void erase(const std::string& collectionPath, const std::string& ns, const std::string& name);
  Json get(const std::string& collectionPath, const std::string& ns, const std::string& name) const;
  std::size_t count(const std::string& collectionPath) const;
  // Forgets the watch history: any watch from an older resourceVersion gets 410 Expired.
  void compactHistory();
  // Sends a BOOKMARK with the current resourceVersion to watches that asked for them.
  void sendBookmark();
  // Ends every open watch: cleanly (terminating chunk) or by dropping the connection.
  void endWatches(bool abrupt);
  // Serves the next matching requests with an error Status.
  void addFault(Fault fault);
  void clearFaults();
  // Replaces the handling of one exact path (for raw protocol tests).
  void setRawRoute(const std::string& path, http::Handler handler);

  std::vector<RecordedRequest> requests() const;
  int countRequests(const std::string& method, const std::string& pathPrefix) const;
  int openWatches() const;
  std::string currentResourceVersion() const;

 private:
  struct Event {
    long long rv;
    std::string collection;  // "/apis/apps/v1/deployments" (namespace removed)
    std::string ns;
    std::string type;
    Json object;
  };
  struct Target {
    std::string collection;  // namespace-free collection key
    std::string ns;          // "" = all namespaces
    std::string name;
    std::string subresource;
  };

  void handle(const http::Request& req, http::ResponseWriter& w);
  static std::optional<Target> parsePath(const std::string& path);
  void serveList(const http::Request& req, const Target& t, http::ResponseWriter& w);
  void serveWatch(const http::Request& req, const Target& t, http::ResponseWriter& w);
  void serveWrite(const http::Request& req, const Target& t, http::ResponseWriter& w);
  Json storeLocked(const std::string& collection, const std::string& ns, Json object,
                   const std::string& type);
  static void sendStatus(http::ResponseWriter& w, int code, const std::string& reason,
                         const std::string& message, const std::string& retryAfter = "");

  Options options_;
  std::optional<PemKeyPair> cert_;
  std::unique_ptr<http::HttpServer> server_;

  mutable std::mutex mutex_;
  std::condition_variable changed_;
  long long rv_ = 100;
  // collection -> "ns/name" -> object
  std::map<std::string, std::map<std::string, Json>> objects_;
  std::vector<Event> history_;
  long long oldestWatchableRv_ = 0;
  long long bookmarkGeneration_ = 0;
  long long endGeneration_ = 0;
  bool endAbrupt_ = false;
  bool stopping_ = false;
  int openWatches_ = 0;
  std::vector<Fault> faults_;
  std::map<std::string, http::Handler> rawRoutes_;
  std::vector<RecordedRequest> requests_;
};

}  // namespace aviary::testing
