#include "operator/kube/http_kube_client.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <thread>

#include "operator/core/url.h"
#include "operator/kube/status_error.h"
#include "operator/kube/watch_decoder.h"

namespace aviary::kube {
namespace {

// Builds "?a=1&b=2", skipping empty values.
class Query {
 public:
  Query& add(const std::string& key, const std::string& value) {
    if (value.empty()) return *this;
    text_ += text_.empty() ? '?' : '&';
    text_ += percentEncode(key) + "=" + percentEncode(value);
    return *this;
  }
  const std::string& str() const { return text_; }

 private:
  std::string text_;
};

constexpr auto kMaxRetryAfter = std::chrono::seconds(30);

// Reads watch frames off a streamed body.
class HttpWatchStream final : public WatchStream {
 public:
  HttpWatchStream(std::unique_ptr<BodyStream> body, std::chrono::milliseconds idleTimeout)
      : body_(std::move(body)), idleTimeout_(idleTimeout) {}

  Result<std::optional<WatchEvent>> next() override {
    while (true) {
      auto event = decoder_.nextEvent();
      if (!event || *event) return event;
      if (ended_) return std::optional<WatchEvent>{};
      std::string bytes;
      auto more = body_->read(bytes, idleTimeout_);
      if (!more) return more.takeError();
      decoder_.feed(bytes);
      if (!*more) {
        ended_ = true;
        decoder_.feed("\n");  // a last frame without its newline still counts
      }
    }
  }

  void cancel() override { body_->cancel(); }

 private:
  std::unique_ptr<BodyStream> body_;
  std::chrono::milliseconds idleTimeout_;
  WatchDecoder decoder_;
  bool ended_ = false;
};

std::string nameOf(const Json& object) {
  if (!object.is_object()) return {};
  auto meta = object.find("metadata");
  if (meta == object.end() || !meta->is_object()) return {};
  return meta->value("name", "");
}

}  // namespace

const char* patchContentType(PatchType type) {
  switch (type) {
    case PatchType::Merge:
      return "application/merge-patch+json";
    case PatchType::Json:
      return "application/json-patch+json";
    case PatchType::StrategicMerge:
      return "application/strategic-merge-patch+json";
    case PatchType::Apply:
      return "application/apply-patch+yaml";
  }
  return "application/merge-patch+json";
}

HttpKubeClient::HttpKubeClient(std::unique_ptr<HttpTransport> transport) : transport_(std::move(transport)) {}

Result<std::unique_ptr<HttpKubeClient>> HttpKubeClient::create(const ClusterConfig& config) {
  auto transport = HttpTransport::create(config);
  if (!transport) return transport.takeError();
  return std::make_unique<HttpKubeClient>(std::move(*transport));
}

void HttpKubeClient::setObserver(std::function<void(const std::string& verb, int code)> observer) {
  observer_ = std::move(observer);
}

Result<Json> HttpKubeClient::send(const HttpRequest& request, const char* verb) {
  auto response = exchange(request, verb);
  if (!response) return response.takeError();
  if (response->body.empty()) return Json::object();
  Json body = Json::parse(response->body, nullptr, false);
  if (body.is_discarded()) {
    return makeError(ErrorCode::Decode, request.method + " " + request.target + ": response is not JSON");
  }
  return body;
}

Result<HttpKubeClient::ServerVersion> HttpKubeClient::serverVersion() {
  HttpRequest request;
  request.target = "/version";
  auto response = exchange(request, "get");
  if (!response) return response.takeError();
  ServerVersion out;
  out.version = Json::parse(response->body, nullptr, false);
  if (out.version.is_discarded()) return makeError(ErrorCode::Decode, "GET /version: response is not JSON");
  out.priorityAndFairness = !response->flowSchemaUid.empty();
  return out;
}

Result<HttpResponse> HttpKubeClient::exchange(const HttpRequest& request, const char* verb) {
  const int maxRetries = transport_->config().maxRetries;
  for (int attempt = 0;; ++attempt) {
    if (writeGuard_ && request.method != "GET") {
      if (auto allowed = writeGuard_(); !allowed) return allowed.error();
    }
    auto response = transport_->roundTrip(request);
    if (observer_) observer_(verb, response ? response->status : 0);
    // Every request and its answer at --log-level trace (client-go's -v=6), to see what a reconcile asks.
    spdlog::trace("{} {}: {}", request.method, request.target,
                  response ? std::to_string(response->status) : response.error().message);
    if (!response) return response.takeError();
    if (response->status / 100 == 2) return response;
    Error error = errorFromResponse(response->status, response->body, response->retryAfter);
    // The server asked us to come back later: honour it a bounded number of times, as client-go does.
    bool retryable = (response->status == 429 || response->status == 503) && error.retryAfter.count() > 0;
    if (!retryable || attempt >= maxRetries) return error;
    auto wait = std::min<std::chrono::seconds>(error.retryAfter, kMaxRetryAfter);
    spdlog::debug("{} {}: HTTP {}, retrying after {}s", request.method, request.target, response->status,
                  wait.count());
    std::this_thread::sleep_for(wait);
  }
}

Result<Json> HttpKubeClient::getRaw(const std::string& path) {
  HttpRequest request;
  request.target = path;
  return send(std::move(request), "get");
}

Result<Json> HttpKubeClient::postRaw(const std::string& path, const Json& body) {
  HttpRequest request;
  request.method = "POST";
  request.target = path;
  request.contentType = "application/json";
  request.body = body.dump();
  return send(std::move(request), "create");
}

Result<Json> HttpKubeClient::get(const ResourceType& type, const std::string& ns, const std::string& name,
                                 const std::string& subresource) {
  auto path = type.objectPath(ns, name, subresource);
  if (!path) return path.takeError();
  HttpRequest request;
  request.target = *path;
  return send(std::move(request), "get");
}

Result<Json> HttpKubeClient::list(const ResourceType& type, const std::string& ns,
                                  const ListOptions& options) {
  auto path = type.collectionPath(ns);
  if (!path) return path.takeError();
  HttpRequest request;
  request.target = *path + Query()
                               .add("labelSelector", options.labelSelector)
                               .add("fieldSelector", options.fieldSelector)
                               .add("limit", options.limit > 0 ? std::to_string(options.limit) : "")
                               .add("continue", options.continueToken)
                               .add("resourceVersion", options.resourceVersion)
                               .str();
  return send(std::move(request), "list");
}

Result<Json> HttpKubeClient::create(const ResourceType& type, const std::string& ns, const Json& object) {
  auto path = type.collectionPath(ns);
  if (!path) return path.takeError();
  HttpRequest request;
  request.method = "POST";
  request.target = *path;
  request.contentType = "application/json";
  request.body = object.dump();
  return send(std::move(request), "create");
}

Result<Json> HttpKubeClient::update(const ResourceType& type, const std::string& ns, const Json& object,
                                    const std::string& subresource) {
  std::string name = nameOf(object);
  if (name.empty()) return makeError(ErrorCode::Invalid, "update: object has no metadata.name");
  auto path = type.objectPath(ns, name, subresource);
  if (!path) return path.takeError();
  HttpRequest request;
  request.method = "PUT";
  request.target = *path;
  request.contentType = "application/json";
  request.body = object.dump();
  return send(std::move(request), "update");
}

Result<Json> HttpKubeClient::patch(const ResourceType& type, const std::string& ns, const std::string& name,
                                   PatchType patchType, const Json& patch, const std::string& subresource,
                                   const std::string& fieldManager) {
  auto path = type.objectPath(ns, name, subresource);
  if (!path) return path.takeError();
  HttpRequest request;
  request.method = "PATCH";
  std::string manager = fieldManager.empty() && patchType == PatchType::Apply ? "aviary" : fieldManager;
  request.target = *path + Query().add("fieldManager", manager).str();
  request.contentType = patchContentType(patchType);
  request.body = patch.dump();
  return send(std::move(request), "patch");
}

Result<Json> HttpKubeClient::remove(const ResourceType& type, const std::string& ns, const std::string& name,
                                    const DeleteOptions& options) {
  auto path = type.objectPath(ns, name);
  if (!path) return path.takeError();
  HttpRequest request;
  request.method = "DELETE";
  request.target = *path;
  request.contentType = "application/json";
  Json body = {
      {"kind", "DeleteOptions"}, {"apiVersion", "v1"}, {"propagationPolicy", options.propagationPolicy}};
  if (!options.preconditionResourceVersion.empty()) {
    body["preconditions"] = {{"resourceVersion", options.preconditionResourceVersion}};
  }
  request.body = body.dump();
  return send(std::move(request), "delete");
}

Result<std::unique_ptr<WatchStream>> HttpKubeClient::watch(const ResourceType& type, const std::string& ns,
                                                           const WatchOptions& options) {
  auto path = type.collectionPath(ns);
  if (!path) return path.takeError();
  HttpRequest request;
  request.target = *path + Query()
                               .add("watch", "true")
                               .add("labelSelector", options.labelSelector)
                               .add("fieldSelector", options.fieldSelector)
                               .add("resourceVersion", options.resourceVersion)
                               .add("allowWatchBookmarks", options.allowBookmarks ? "true" : "")
                               .add("timeoutSeconds",
                                    options.timeoutSeconds > 0 ? std::to_string(options.timeoutSeconds) : "")
                               .str();
  auto body = transport_->openStream(request);
  if (observer_) observer_("watch", body ? (*body)->head().status : 0);
  if (!body) return body.takeError();
  const HttpResponse& head = (*body)->head();
  if (head.status / 100 != 2) return errorFromResponse(head.status, head.body, head.retryAfter);
  // The server closes the stream after timeoutSeconds; silence well past that means a dead connection.
  auto idle = options.timeoutSeconds > 0 ? std::chrono::seconds(options.timeoutSeconds + 30)
                                         : std::chrono::seconds(15 * 60);
  return std::unique_ptr<WatchStream>(std::make_unique<HttpWatchStream>(
      std::move(*body), std::chrono::duration_cast<std::chrono::milliseconds>(idle)));
}

Result<Json> listAll(KubeClient& client, const ResourceType& type, const std::string& ns, ListOptions options,
                     int pageSize) {
  options.limit = pageSize;
  options.continueToken.clear();
  Json merged;
  Json items = Json::array();
  while (true) {
    auto page = client.list(type, ns, options);
    if (!page) return page;
    if (auto it = page->find("items"); it != page->end() && it->is_array()) {
      for (auto& item : *it) items.push_back(std::move(item));
    }
    std::string next = (*page)["metadata"].value("continue", "");
    if (merged.is_null()) merged = std::move(*page);
    if (next.empty()) break;
    options.continueToken = next;
    // Later pages are served from the snapshot the first page started.
    options.resourceVersion.clear();
  }
  merged["items"] = std::move(items);
  merged["metadata"].erase("continue");
  return merged;
}

}  // namespace aviary::kube
