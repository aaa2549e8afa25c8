#include "tests/support/fake_api_server.h"

#include <sstream>

#include "operator/core/time_format.h"

namespace aviary::testing {
namespace {

bool matchesLabels(const Json& object, const std::string& selector) {
  if (selector.empty()) return true;
  const Json labels = object["metadata"].value("labels", Json::object());
  std::stringstream terms(selector);
  std::string term;
  while (std::getline(terms, term, ',')) {
    auto eq = term.find('=');
    if (eq == std::string::npos) {
      if (!labels.contains(term)) return false;
      continue;
    }
    std::string key = term.substr(0, eq);
    std::string value = term.substr(term[eq + 1] == '=' ? eq + 2 : eq + 1);
    if (labels.value(key, std::string("\x01")) != value) return false;
  }
  return true;
}

bool matchesFields(const Json& object, const std::string& selector) {
  if (selector.empty()) return true;
  const std::string prefix = "metadata.name=";
  if (selector.rfind(prefix, 0) == 0)
    return object["metadata"].value("name", "") == selector.substr(prefix.size());
  return true;
}

std::string keyOf(const std::string& ns, const std::string& name) {
  return ns + "/" + name;
}

}  // namespace

FakeApiServer::FakeApiServer() : FakeApiServer(Options{}) {}

FakeApiServer::FakeApiServer(Options options) : options_(std::move(options)) {
  http::ServerOptions serverOptions;
  if (options_.tls) {
    auto cert = generateSelfSignedCert("fake-api-server", {"127.0.0.1", "localhost"});
    if (!cert) throw std::runtime_error(cert.error().describe());
    cert_ = *cert;
    serverOptions.tls = cert_;
  }
  server_ = std::make_unique<http::HttpServer>(
      serverOptions, [this](const http::Request& r, http::ResponseWriter& w) { handle(r, w); });
  if (auto st = server_->start(); !st) throw std::runtime_error(st.error().describe());
}

FakeApiServer::~FakeApiServer() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  changed_.notify_all();
  server_->stop();
}

kube::ClusterConfig FakeApiServer::clusterConfig() const {
  kube::ClusterConfig config;
  config.server = url();
  if (cert_) config.tls.caPem = cert_->certificatePem;
  if (!options_.requiredToken.empty())
    config.token = std::make_shared<kube::StaticTokenSource>(options_.requiredToken);
  config.qps = 0;  // tests measure behaviour, not the limiter
  config.requestTimeout = std::chrono::seconds(5);
  return config;
}

std::optional<FakeApiServer::Target> FakeApiServer::parsePath(const std::string& path) {
  std::vector<std::string> parts;
  std::stringstream in(path);
  std::string part;
  while (std::getline(in, part, '/')) {
    if (!part.empty()) parts.push_back(part);
  }
  std::size_t i;
  std::string prefix;
  if (parts.size() >= 2 && parts[0] == "api") {
    prefix = "/api/" + parts[1];
    i = 2;
  } else if (parts.size() >= 3 && parts[0] == "apis") {
    prefix = "/apis/" + parts[1] + "/" + parts[2];
    i = 3;
  } else {
    return std::nullopt;
  }
  Target t;
  if (parts.size() > i + 2 && parts[i] == "namespaces") {
    t.ns = parts[i + 1];
    i += 2;
  }
  if (i >= parts.size()) return std::nullopt;
  t.collection = prefix + "/" + parts[i];
  if (i + 1 < parts.size()) t.name = parts[i + 1];
  if (i + 2 < parts.size()) t.subresource = parts[i + 2];
  return t;
}

void FakeApiServer::sendStatus(http::ResponseWriter& w, int code, const std::string& reason,
                               const std::string& message, const std::string& retryAfter) {
  Json status = {{"kind", "Status"},    {"apiVersion", "v1"}, {"metadata", Json::object()},
                 {"status", "Failure"}, {"message", message}, {"reason", reason},
                 {"code", code}};
  http::HeaderList extra;
  if (!retryAfter.empty()) extra.emplace_back("Retry-After", retryAfter);
  w.send(code, "application/json", status.dump(), extra);
}

void FakeApiServer::handle(const http::Request& req, http::ResponseWriter& w) {
  http::Handler raw;
  {
    std::lock_guard lock(mutex_);
    requests_.push_back({req.method, req.target, req.path, req.body, req.header("content-type"),
                         req.header("authorization"), req.header("accept")});
    if (!options_.requiredToken.empty() &&
        req.header("authorization") != "Bearer " + options_.requiredToken) {
      sendStatus(w, 401, "Unauthorized", "Unauthorized");
      return;
    }
    for (auto it = faults_.begin(); it != faults_.end(); ++it) {
      if ((it->method.empty() || it->method == req.method) && req.path.rfind(it->pathPrefix, 0) == 0) {
        Fault f = *it;
        if (--it->remaining <= 0) faults_.erase(it);
        sendStatus(w, f.status, f.reason, "injected fault", f.retryAfter);
        return;
      }
    }
    if (auto r = rawRoutes_.find(req.path); r != rawRoutes_.end()) raw = r->second;
  }
  if (raw) return raw(req, w);
  if (req.path == "/version") {
    w.send(200, "application/json", Json{{"major", "1"}, {"minor", "32"}, {"gitVersion", "v1.32.0"}}.dump());
    return;
  }
  auto target = parsePath(req.path);
  if (!target) return sendStatus(w, 404, "NotFound", "the server could not find the requested resource");
  if (req.method == "GET" && target->name.empty()) {
    if (req.param("watch") == "true" || req.param("watch") == "1") return serveWatch(req, *target, w);
    return serveList(req, *target, w);
  }
  serveWrite(req, *target, w);
}

void FakeApiServer::serveList(const http::Request& req, const Target& t, http::ResponseWriter& w) {
  std::lock_guard lock(mutex_);
  std::vector<Json> matching;
  for (const auto& [key, object] : objects_[t.collection]) {
    if (!t.ns.empty() && object["metadata"].value("namespace", "") != t.ns) continue;
    if (!matchesLabels(object, req.param("labelSelector")) ||
        !matchesFields(object, req.param("fieldSelector")))
      continue;
    matching.push_back(object);
  }
  std::size_t offset = req.hasParam("continue") ? std::stoul(req.param("continue")) : 0;
  std::size_t limit = req.hasParam("limit") ? std::stoul(req.param("limit")) : 0;
  Json items = Json::array();
  std::size_t end = limit > 0 ? std::min(matching.size(), offset + limit) : matching.size();
  for (std::size_t i = offset; i < end; ++i) items.push_back(matching[i]);
  Json list = {{"kind", "List"},
               {"apiVersion", "v1"},
               {"metadata", {{"resourceVersion", std::to_string(rv_)}}},
               {"items", items}};
  if (end < matching.size()) list["metadata"]["continue"] = std::to_string(end);
  w.send(200, "application/json", list.dump());
}

void FakeApiServer::serveWatch(const http::Request& req, const Target& t, http::ResponseWriter& w) {
  std::unique_lock lock(mutex_);
  std::string from = req.param("resourceVersion");
  long long fromRv = from.empty() || from == "0" ? -1 : std::stoll(from);
  bool bookmarks = req.param("allowWatchBookmarks") == "true";
  auto deadline =
      std::chrono::steady_clock::now() +
      std::chrono::seconds(req.hasParam("timeoutSeconds") ? std::stoll(req.param("timeoutSeconds")) : 1800);
  auto matches = [&](const Json& object, const std::string& collection, const std::string& ns) {
    return collection == t.collection && (t.ns.empty() || ns == t.ns) &&
           matchesLabels(object, req.param("labelSelector")) &&
           matchesFields(object, req.param("fieldSelector"));
  };
  lock.unlock();
  if (!w.startChunked(200, "application/json")) return;
  lock.lock();
  ++openWatches_;
  auto send = [&](const std::string& type, const Json& object) {
    std::string line = Json{{"type", type}, {"object", object}}.dump() + "\n";
    lock.unlock();
    bool ok = w.writeChunk(line);
    lock.lock();
    return ok;
  };
  bool ok = true;
  if (fromRv >= 0 && fromRv < oldestWatchableRv_) {
    Json status = {
        {"kind", "Status"},
        {"apiVersion", "v1"},
        {"metadata", Json::object()},
        {"status", "Failure"},
        {"message", "too old resource version: " + from + " (" + std::to_string(oldestWatchableRv_) + ")"},
        {"reason", "Expired"},
        {"code", 410}};
    send("ERROR", status);
    --openWatches_;
    lock.unlock();
    w.finishChunked();
    return;
  }
  long long cursor = fromRv;
  if (fromRv < 0) {
    // Snapshot under the lock: send() releases it, and writers must not change what we iterate.
    std::vector<Json> initial;
    for (const auto& [key, object] : objects_[t.collection]) {
      if (matches(object, t.collection, object["metadata"].value("namespace", ""))) initial.push_back(object);
    }
    cursor = rv_;
    for (const auto& object : initial) {
      if (!(ok = send("ADDED", object))) break;
    }
  }
  long long seenBookmark = bookmarkGeneration_;
  long long seenEnd = endGeneration_;
  bool abrupt = false;
  while (ok && !stopping_) {
    // One event at a time, found again after each send (the history may have grown or shifted).
    std::optional<Event> next;
    for (const auto& e : history_) {
      if (e.rv > cursor) {
        next = e;
        break;
      }
    }
    if (next) {
      cursor = next->rv;
      if (matches(next->object, next->collection, next->ns)) ok = send(next->type, next->object);
      continue;
    }
    if (bookmarks && bookmarkGeneration_ != seenBookmark) {
      seenBookmark = bookmarkGeneration_;
      Json object = {{"kind", "Bookmark"},
                     {"apiVersion", "v1"},
                     {"metadata", {{"resourceVersion", std::to_string(rv_)}}}};
      if (!(ok = send("BOOKMARK", object))) break;
    }
    if (endGeneration_ != seenEnd) {
      abrupt = endAbrupt_;
      break;
    }
    if (std::chrono::steady_clock::now() >= deadline) break;
    changed_.wait_until(
        lock, std::min(deadline, std::chrono::steady_clock::now() + std::chrono::milliseconds(200)));
  }
  --openWatches_;
  lock.unlock();
  if (abrupt) {
    w.abortConnection();
  } else {
    w.finishChunked();
  }
}

Json FakeApiServer::storeLocked(const std::string& collection, const std::string& ns, Json object,
                                const std::string& type) {
  ++rv_;
  object["metadata"]["resourceVersion"] = std::to_string(rv_);
  if (!ns.empty()) object["metadata"]["namespace"] = ns;
  std::string name = object["metadata"].value("name", "");
  if (type == "DELETED") {
    objects_[collection].erase(keyOf(ns, name));
  } else {
    objects_[collection][keyOf(ns, name)] = object;
  }
  history_.push_back({rv_, collection, ns, type, object});
  if (history_.size() > options_.historyLimit) {
    history_.erase(history_.begin());
    oldestWatchableRv_ = history_.front().rv - 1;
  }
  changed_.notify_all();
  return object;
}

void FakeApiServer::serveWrite(const http::Request& req, const Target& t, http::ResponseWriter& w) {
  std::lock_guard lock(mutex_);
  auto& bucket = objects_[t.collection];
  const std::string resource = t.collection.substr(t.collection.rfind('/') + 1);
  auto notFound = [&](const std::string& name) {
    sendStatus(w, 404, "NotFound", resource + " \"" + name + "\" not found");
  };
  Json body;
  if (!req.body.empty()) {
    body = Json::parse(req.body, nullptr, false);
    if (body.is_discarded()) return sendStatus(w, 400, "BadRequest", "body is not JSON");
  }
  if (req.method == "POST") {
    std::string name = body["metadata"].value("name", "");
    if (name.empty()) return sendStatus(w, 422, "Invalid", "metadata.name: Required value");
    if (bucket.count(keyOf(t.ns, name))) {
      return sendStatus(w, 409, "AlreadyExists", resource + " \"" + name + "\" already exists");
    }
    body["metadata"]["uid"] = "uid-" + std::to_string(rv_ + 1);
    body["metadata"]["creationTimestamp"] = formatRfc3339(std::chrono::system_clock::now());
    return w.send(201, "application/json", storeLocked(t.collection, t.ns, body, "ADDED").dump());
  }
  auto it = bucket.find(keyOf(t.ns, t.name));
  if (it == bucket.end()) return notFound(t.name);
  Json current = it->second;
  if (req.method == "GET") return w.send(200, "application/json", current.dump());
  if (req.method == "PUT") {
    std::string rv = body["metadata"].value("resourceVersion", "");
    if (rv != current["metadata"].value("resourceVersion", "")) {
      return sendStatus(
          w, 409, "Conflict",
          "Operation cannot be fulfilled on " + resource + " \"" + t.name +
              "\": the object has been modified; please apply your changes to the latest version "
              "and try again");
    }
    body["metadata"]["uid"] = current["metadata"]["uid"];
    return w.send(200, "application/json", storeLocked(t.collection, t.ns, body, "MODIFIED").dump());
  }
  if (req.method == "PATCH") {
    std::string type = req.header("content-type");
    Json patched = current;
    try {
      if (type == "application/json-patch+json") {
        patched = current.patch(body);
      } else {
        patched.merge_patch(body);
      }
    } catch (const std::exception& e) {
      return sendStatus(w, 422, "Invalid", e.what());
    }
    return w.send(200, "application/json", storeLocked(t.collection, t.ns, patched, "MODIFIED").dump());
  }
  if (req.method == "DELETE") {
    return w.send(200, "application/json", storeLocked(t.collection, t.ns, current, "DELETED").dump());
  }
  sendStatus(w, 405, "MethodNotAllowed", "method not allowed");
}

Json FakeApiServer::upsert(const std::string& collectionPath, Json object) {
  std::lock_guard lock(mutex_);
  std::string ns = object["metadata"].value("namespace", "");
  std::string name = object["metadata"].value("name", "");
  bool exists = objects_[collectionPath].count(keyOf(ns, name)) > 0;
  if (!object["metadata"].contains("uid")) object["metadata"]["uid"] = "uid-" + name;
  return storeLocked(collectionPath, ns, std::move(object), exists ? "MODIFIED" : "ADDED");
}

void FakeApiServer::erase(const std::string& collectionPath, const std::string& ns, const std::string& name) {
  std::lock_guard lock(mutex_);
  auto& bucket = objects_[collectionPath];
  auto it = bucket.find(keyOf(ns, name));
  if (it != bucket.end()) storeLocked(collectionPath, ns, it->second, "DELETED");
}

Json FakeApiServer::get(const std::string& collectionPath, const std::string& ns,
                        const std::string& name) const {
  std::lock_guard lock(mutex_);
  auto c = objects_.find(collectionPath);
  if (c == objects_.end()) return nullptr;
  auto it = c->second.find(keyOf(ns, name));
  return it == c->second.end() ? Json(nullptr) : it->second;
}

std::size_t FakeApiServer::count(const std::string& collectionPath) const {
  std::lock_guard lock(mutex_);
  auto c = objects_.find(collectionPath);
  return c == objects_.end() ? 0 : c->second.size();
}

void FakeApiServer::compactHistory() {
  std::lock_guard lock(mutex_);
  history_.clear();
  oldestWatchableRv_ = rv_;
}

void FakeApiServer::sendBookmark() {
  std::lock_guard lock(mutex_);
  ++bookmarkGeneration_;
  changed_.notify_all();
}

void FakeApiServer::endWatches(bool abrupt) {
  std::lock_guard lock(mutex_);
  ++endGeneration_;
  endAbrupt_ = abrupt;
  changed_.notify_all();
}

void FakeApiServer::addFault(Fault fault) {
  std::lock_guard lock(mutex_);
  faults_.push_back(std::move(fault));
}

void FakeApiServer::clearFaults() {
  std::lock_guard lock(mutex_);
  faults_.clear();
}

void FakeApiServer::setRawRoute(const std::string& path, http::Handler handler) {
  std::lock_guard lock(mutex_);
  rawRoutes_[path] = std::move(handler);
}

std::vector<RecordedRequest> FakeApiServer::requests() const {
  std::lock_guard lock(mutex_);
  return requests_;
}

int FakeApiServer::countRequests(const std::string& method, const std::string& pathPrefix) const {
  std::lock_guard lock(mutex_);
  int n = 0;
  for (const auto& r : requests_) {
    if ((method.empty() || r.method == method) && r.path.rfind(pathPrefix, 0) == 0) ++n;
  }
  return n;
}

int FakeApiServer::openWatches() const {
  std::lock_guard lock(mutex_);
  return openWatches_;
}

std::string FakeApiServer::currentResourceVersion() const {
  std::lock_guard lock(mutex_);
  return std::to_string(rv_);
}

}  // namespace aviary::testing
