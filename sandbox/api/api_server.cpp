#include "sandbox/api/api_server.h"

#include <spdlog/spdlog.h>

#include <random>
#include <sstream>
#include <thread>

#include "operator/core/base64.h"
#include "sandbox/api/api_errors.h"
#include "sandbox/api/discovery.h"
#include "sandbox/api/event_views.h"
#include "sandbox/api/patch.h"
#include "sandbox/api/schema.h"
#include "sandbox/api/table.h"

namespace aviary::sandbox {

namespace {

constexpr char kJson[] = "application/json";

std::string randomToken() {
  std::random_device rd;
  std::string bytes;
  for (int i = 0; i < 24; ++i) bytes += static_cast<char>(rd() & 0xff);
  std::string t = base64Encode(bytes);
  for (auto& c : t) {
    if (c == '+' || c == '/' || c == '=') c = 'x';
  }
  return t;
}

std::string verbOf(const http::Request& req, bool collection) {
  if (req.method == "GET") {
    if (!collection) return "get";
    return req.flag("watch") ? "watch" : "list";
  }
  if (req.method == "POST") return "create";
  if (req.method == "PUT") return "update";
  if (req.method == "PATCH") return "patch";
  if (req.method == "DELETE") return "delete";
  return "unknown";
}

// Sets a value at a simple dotted path (".spec.replicas").
void setPath(Json& object, const std::string& path, const Json& value) {
  Json* node = &object;
  std::stringstream in(path);
  std::string part;
  std::vector<std::string> parts;
  while (std::getline(in, part, '.')) {
    if (!part.empty()) parts.push_back(part);
  }
  for (std::size_t i = 0; i + 1 < parts.size(); ++i) {
    if (!(*node)[parts[i]].is_object()) (*node)[parts[i]] = Json::object();
    node = &(*node)[parts[i]];
  }
  if (!parts.empty()) (*node)[parts.back()] = value;
}

Json getPath(const Json& object, const std::string& path) {
  const Json* node = &object;
  std::stringstream in(path);
  std::string part;
  while (std::getline(in, part, '.')) {
    if (part.empty()) continue;
    if (!node->is_object() || !node->contains(part)) return nullptr;
    node = &(*node)[part];
  }
  return *node;
}

Json scaleOf(const ResourceKind& kind, const Json& object) {
  const Json& meta = object["metadata"];
  std::string selector;
  const Json matchLabels = object.value("/spec/selector/matchLabels"_json_pointer, Json::object());
  for (auto it = matchLabels.begin(); it != matchLabels.end(); ++it) {
    if (!selector.empty()) selector += ",";
    selector += it.key() + "=" + (it->is_string() ? it->get<std::string>() : it->dump());
  }
  if (!kind.labelSelectorPath.empty()) {
    Json s = getPath(object, kind.labelSelectorPath);
    if (s.is_string()) selector = s.get<std::string>();
  }
  Json specReplicas = getPath(object, kind.specReplicasPath);
  Json statusReplicas = getPath(object, kind.statusReplicasPath);
  return {{"kind", "Scale"},
          {"apiVersion", "autoscaling/v1"},
          {"metadata",
           {{"name", meta.value("name", "")},
            {"namespace", meta.value("namespace", "")},
            {"uid", meta.value("uid", "")},
            {"resourceVersion", meta.value("resourceVersion", "")},
            {"creationTimestamp", meta.value("creationTimestamp", "")}}},
          {"spec", {{"replicas", specReplicas.is_number() ? specReplicas : Json(0)}}},
          {"status",
           {{"replicas", statusReplicas.is_number() ? statusReplicas : Json(0)}, {"selector", selector}}}};
}

}  // namespace

namespace {
// The Status reason Kubernetes uses for an HTTP status, when the error did not name one.
std::string defaultReason(int code) {
  switch (code) {
    case 400:
      return "BadRequest";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "NotFound";
    case 405:
      return "MethodNotAllowed";
    case 409:
      return "Conflict";
    case 410:
      return "Expired";
    case 415:
      return "UnsupportedMediaType";
    case 422:
      return "Invalid";
    case 429:
      return "TooManyRequests";
    case 503:
      return "ServiceUnavailable";
    case 504:
      return "Timeout";
    default:
      return "InternalError";
  }
}
http::HeaderList warningHeaders(const std::vector<std::string>& warnings) {
  http::HeaderList out;
  for (const auto& w : warnings) out.emplace_back("Warning", "299 - \"" + w + "\"");
  return out;
}

}  // namespace

void sendStatusError(http::ResponseWriter& w, const Error& error) {
  int code = error.httpStatus ? error.httpStatus : 500;
  Json status = {{"kind", "Status"},
                 {"apiVersion", "v1"},
                 {"metadata", Json::object()},
                 {"status", "Failure"},
                 {"message", error.message},
                 {"reason", error.reason.empty() ? defaultReason(code) : error.reason},
                 {"code", code}};
  w.send(code, kJson, status.dump());
}

ApiServer::ApiServer(ApiServerOptions options)
    : options_(std::move(options)), store_(options_.historyPerResource) {}

ApiServer::~ApiServer() {
  stop();
}

Status ApiServer::start() {
  http::ServerOptions serverOptions;
  serverOptions.bindAddress = options_.bindAddress;
  serverOptions.port = options_.port;
  if (options_.tls) {
    auto cert = generateSelfSignedCert("aviary-sandbox", {options_.bindAddress, "localhost", "127.0.0.1"});
    if (!cert) return cert.error();
    cert_ = *cert;
    serverOptions.tls = cert_;
    if (options_.token.empty()) options_.token = randomToken();
  }
  http_ = std::make_unique<http::HttpServer>(
      serverOptions, [this](const http::Request& r, http::ResponseWriter& w) { handle(r, w); });
  if (auto st = http_->start(); !st) return st;
  deployments_ = std::make_unique<DeploymentSimulator>(store_, registry_, options_.defaultReadyAfter);
  deployments_->start();
  // The namespaces every cluster has.
  for (const char* ns : {"default", "kube-system", "kube-public"}) {
    (void)apply({{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", ns}}}});
  }
  return {};
}

void ApiServer::stop() {
  if (!http_ || stopping_.exchange(true)) return;
  store_.wakeWatchers();
  if (deployments_) deployments_->stop();
  http_->stop();
}

std::string ApiServer::url() const {
  return http_ ? http_->baseUrl() : "";
}

std::string ApiServer::kubeconfig() const {
  std::ostringstream out;
  out << "apiVersion: v1\nkind: Config\ncurrent-context: sandbox\npreferences: {}\n"
      << "clusters:\n- name: sandbox\n  cluster:\n    server: " << url() << "\n";
  if (cert_) out << "    certificate-authority-data: " << base64Encode(cert_->certificatePem) << "\n";
  out << "users:\n- name: sandbox\n  user:\n";
  if (!options_.token.empty()) {
    out << "    token: " << options_.token << "\n";
  } else {
    out << "    {}\n";
  }
  out << "contexts:\n- name: sandbox\n  context:\n    cluster: sandbox\n    user: sandbox\n    namespace: "
         "default\n";
  return out.str();
}

void ApiServer::handle(const http::Request& req, http::ResponseWriter& w) {
  bool anonymousOk =
      req.path == "/version" || req.path == "/healthz" || req.path == "/readyz" || req.path == "/livez";
  if (!options_.token.empty() && !anonymousOk && req.header("authorization") != "Bearer " + options_.token) {
    return sendStatusError(w, apiError(ErrorCode::Unauthorized, 401, "Unauthorized", "Unauthorized"));
  }
  if (req.path.rfind("/sandbox/faults", 0) == 0) return serveFaults(req, w);
  if (auto extra = extraHandlers_.find(req.path); extra != extraHandlers_.end()) return extra->second(req, w);
  if (serveNonResource(req, w)) return;

  // /api/v1/... or /apis/<group>/<version>/...
  std::vector<std::string> parts;
  std::stringstream in(req.path);
  std::string part;
  while (std::getline(in, part, '/')) {
    if (!part.empty()) parts.push_back(part);
  }
  Target t;
  std::size_t i;
  if (parts.size() >= 3 && parts[0] == "api") {
    t.version = parts[1];
    i = 2;
  } else if (parts.size() >= 4 && parts[0] == "apis") {
    t.group = parts[1];
    t.version = parts[2];
    i = 3;
  } else {
    return sendStatusError(w, apiError(ErrorCode::NotFound, 404, "NotFound",
                                       "the server could not find the requested resource"));
  }
  std::vector<std::string> rest(parts.begin() + static_cast<long>(i), parts.end());
  if (rest.size() >= 3 && rest[0] == "namespaces") {
    t.ns = rest[1];
    rest.erase(rest.begin(), rest.begin() + 2);
  }
  t.plural = rest[0];
  if (rest.size() > 1) t.name = rest[1];
  if (rest.size() > 2) t.subresource = rest[2];
  t.kind = registry_.find(t.group, t.version, t.plural);
  if (!t.kind || rest.size() > 3) {
    return sendStatusError(w, apiError(ErrorCode::NotFound, 404, "NotFound",
                                       "the server could not find the requested resource"));
  }
  t.storage = registry_.storageOf(t.kind);
  if (!t.kind->namespaced) t.ns.clear();
  if (!t.subresource.empty() && !((t.subresource == "status" && t.kind->statusSubresource) ||
                                  (t.subresource == "scale" && t.kind->scaleSubresource))) {
    return sendStatusError(w, apiError(ErrorCode::NotFound, 404, "NotFound",
                                       "the server could not find the requested resource"));
  }
  const long long clears = faults_.clearGeneration();
  if (auto fault = faults_.take(t.plural, verbOf(req, t.name.empty()))) {
    if (fault->latency.count() > 0) std::this_thread::sleep_for(fault->latency);
    if (fault->hang) {
      while (!stopping_ && faults_.clearGeneration() == clears)
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
      return w.abortConnection();
    }
    if (fault->status != 0) {
      Error e = apiError(ErrorCode::ServerError, fault->status,
                         fault->status == 429   ? "TooManyRequests"
                         : fault->status == 503 ? "ServiceUnavailable"
                                                : "InternalError",
                         "injected fault");
      Json status = {{"kind", "Status"},     {"apiVersion", "v1"},   {"metadata", Json::object()},
                     {"status", "Failure"},  {"message", e.message}, {"reason", e.reason},
                     {"code", fault->status}};
      http::HeaderList extra;
      if (!fault->retryAfter.empty()) extra.emplace_back("Retry-After", fault->retryAfter);
      return w.send(fault->status, kJson, status.dump(), extra);
    }
  }
  serveResource(req, t, w);
}

Json ApiServer::present(const Target& t, Json stored) {
  if (t.kind != t.storage && t.kind->group == "events.k8s.io") stored = coreEventToEventsV1(stored);
  stored["apiVersion"] = t.kind->apiVersion(t.version);
  return stored;
}

Json ApiServer::intake(const Target& t, Json body) {
  if (t.kind != t.storage && t.kind->group == "events.k8s.io" && body.is_object())
    return eventsV1ToCoreEvent(body);
  return body;
}

void ApiServer::serveResource(const http::Request& req, const Target& t, http::ResponseWriter& w) {
  // kubectl's imperative generators (create configmap/secret/deployment…) send protobuf bodies.
  if (req.header("content-type").rfind("application/vnd.kubernetes.protobuf", 0) == 0) {
    return sendStatusError(w, apiError(ErrorCode::UnsupportedMediaType, 415, "UnsupportedMediaType",
                                       "the sandbox does not decode protobuf request bodies yet; send JSON "
                                       "(kubectl apply/create -f)"));
  }
  if (t.name.empty()) {
    if (req.method == "GET") {
      if (req.flag("watch")) return serveWatch(req, t, w);
      return serveList(req, t, w);
    }
    if (req.method == "POST") return serveCreate(req, t, w);
  } else {
    if (req.method == "GET") return serveGet(req, t, w);
    if (req.method == "PUT") return serveUpdate(req, t, w);
    if (req.method == "PATCH") return servePatch(req, t, w);
    if (req.method == "DELETE") return serveDelete(req, t, w);
  }
  sendStatusError(w, apiError(ErrorCode::MethodNotAllowed, 405, "MethodNotAllowed",
                              "the server does not allow this method on the requested resource"));
}

void ApiServer::serveList(const http::Request& req, const Target& t, http::ResponseWriter& w) {
  auto labels = LabelSelector::parse(req.param("labelSelector"));
  if (!labels) return sendStatusError(w, labels.error());
  auto fields = FieldSelector::parse(req.param("fieldSelector"), t.storage->extraFieldSelectors);
  if (!fields) return sendStatusError(w, fields.error());
  std::size_t limit = 0;
  try {
    limit = req.hasParam("limit") ? std::stoul(req.param("limit")) : 0;
  } catch (const std::exception&) {
    return sendStatusError(w, apiError(ErrorCode::BadRequest, 400, "BadRequest", "limit must be an integer"));
  }
  auto result = store_.list(*t.storage, t.ns, *labels, *fields, limit, req.param("continue"));
  if (!result) return sendStatusError(w, result.error());
  for (auto& item : result->items) item = present(t, std::move(item));
  if (wantsTable(req.header("accept"))) {
    Json tbl = table(*t.kind, result->items, result->resourceVersion, true, std::chrono::system_clock::now());
    if (!result->continueToken.empty()) tbl["metadata"]["continue"] = result->continueToken;
    return w.send(200, kJson, tbl.dump());
  }
  Json list = {{"kind", t.kind->listKind},
               {"apiVersion", t.kind->apiVersion(t.version)},
               {"metadata", {{"resourceVersion", result->resourceVersion}}},
               {"items", Json::array()}};
  for (auto& item : result->items) list["items"].push_back(std::move(item));
  if (!result->continueToken.empty()) list["metadata"]["continue"] = result->continueToken;
  w.send(200, kJson, list.dump());
}

void ApiServer::serveGet(const http::Request& req, const Target& t, http::ResponseWriter& w) {
  auto object = store_.get(*t.storage, t.ns, t.name);
  if (!object) return sendStatusError(w, object.error());
  if (t.subresource == "scale") return w.send(200, kJson, scaleOf(*t.kind, *object).dump());
  *object = present(t, std::move(*object));
  if (wantsTable(req.header("accept"))) {
    return w.send(200, kJson,
                  table(*t.kind, {*object}, (*object)["metadata"].value("resourceVersion", ""), true,
                        std::chrono::system_clock::now())
                      .dump());
  }
  w.send(200, kJson, object->dump());
}

void ApiServer::serveCreate(const http::Request& req, const Target& t, http::ResponseWriter& w) {
  auto body = parseJsonBody(req.body);
  if (!body) return sendStatusError(w, body.error());
  if (!t.ns.empty() && body->is_object() && body->contains("metadata") &&
      (*body)["metadata"].contains("namespace") && (*body)["metadata"]["namespace"] != t.ns) {
    return sendStatusError(
        w, apiError(ErrorCode::BadRequest, 400, "BadRequest",
                    "the namespace of the provided object does not match the namespace sent on the request"));
  }
  std::vector<std::string> warnings;
  auto stored = createWithDefaults(*t.storage, t.version, t.ns, intake(t, std::move(*body)),
                                   req.param("dryRun") == "All", req.param("fieldValidation"), warnings);
  if (!stored) return sendStatusError(w, stored.error());
  *stored = present(t, std::move(*stored));
  w.send(201, kJson, stored->dump(), warningHeaders(warnings));
}

void ApiServer::serveUpdate(const http::Request& req, const Target& t, http::ResponseWriter& w) {
  auto body = parseJsonBody(req.body);
  if (!body) return sendStatusError(w, body.error());
  if (faults_.takeConflict()) return sendStatusError(w, conflictError(*t.kind, t.name));
  bool dryRun = req.param("dryRun") == "All";
  std::vector<std::string> warnings;
  Result<Json> stored = makeError(ErrorCode::Internal, "unreachable");
  if (t.subresource == "scale") {
    Json replicas = body->value("/spec/replicas"_json_pointer, Json());
    std::string rv = body->value("/metadata/resourceVersion"_json_pointer, "");
    stored = store_.modify(
        *t.storage, t.ns, t.name,
        [&](const Json& current) -> Result<Json> {
          if (!rv.empty() && rv != current["metadata"].value("resourceVersion", "")) {
            return conflictError(*t.kind, t.name);
          }
          Json next = current;
          setPath(next, t.kind->specReplicasPath, replicas.is_number() ? replicas : Json(0));
          return next;
        },
        WriteTarget::Main, dryRun);
    if (stored) stored = scaleOf(*t.kind, *stored);
  } else {
    if (t.subresource.empty()) {
      if (auto current = store_.get(*t.storage, t.ns, t.name)) keepAllocatedValues(*t.kind, *current, *body);
    }
    auto admitted = admit(*t.kind, t.version, *body, req.param("fieldValidation"));
    if (!admitted) return sendStatusError(w, admitted.error());
    warnings = std::move(*admitted);
    stored = store_.update(*t.storage, t.ns, t.name, intake(t, std::move(*body)),
                           t.subresource == "status" ? WriteTarget::Status : WriteTarget::Main, dryRun);
    if (stored && !dryRun && t.subresource.empty()) afterUpdate(*t.kind, *stored);
  }
  if (!stored) return sendStatusError(w, stored.error());
  if (t.subresource != "scale") *stored = present(t, std::move(*stored));
  w.send(200, kJson, stored->dump(), warningHeaders(warnings));
}

void ApiServer::servePatch(const http::Request& req, const Target& t, http::ResponseWriter& w) {
  std::string type = req.header("content-type");
  if (auto semi = type.find(';'); semi != std::string::npos) type = type.substr(0, semi);
  bool strategic = type == "application/strategic-merge-patch+json";
  bool apply = type == "application/apply-patch+yaml";
  if (type != "application/merge-patch+json" && type != "application/json-patch+json" && !strategic &&
      !apply) {
    return sendStatusError(w,
                           apiError(ErrorCode::UnsupportedMediaType, 415, "UnsupportedMediaType",
                                    "the body of the request was in an unknown format - accepted media types "
                                    "include: application/json-patch+json, application/merge-patch+json, "
                                    "application/apply-patch+yaml, application/strategic-merge-patch+json"));
  }
  if (strategic && t.kind->custom) {
    return sendStatusError(w,
                           apiError(ErrorCode::UnsupportedMediaType, 415, "UnsupportedMediaType",
                                    "the body of the request was in an unknown format - accepted media types "
                                    "include: application/json-patch+json, application/merge-patch+json, "
                                    "application/apply-patch+yaml"));
  }
  auto patch = parseJsonBody(req.body);
  if (!patch) return sendStatusError(w, patch.error());
  if (faults_.takeConflict()) return sendStatusError(w, conflictError(*t.kind, t.name));
  bool dryRun = req.param("dryRun") == "All";
  std::vector<std::string> warnings;
  auto patchOnly = [&](const Json& current) -> Result<Json> {
    if (type == "application/json-patch+json") return applyJsonPatch(current, *patch);
    if (strategic) return applyStrategicMergePatch(current, *patch);
    return applyMergePatch(current, *patch);
  };
  auto applyPatch = [&](const Json& current) -> Result<Json> {
    // Patches apply to the shape the client sees; the result is stored in the storage shape.
    auto next = patchOnly(t.kind == t.storage ? current : present(t, current));
    if (!next) return next;
    if (t.subresource.empty()) keepAllocatedValues(*t.kind, current, *next);
    auto admitted = admit(*t.kind, t.version, *next, req.param("fieldValidation"));
    if (!admitted) return admitted.takeError();
    warnings = std::move(*admitted);
    return intake(t, std::move(*next));
  };
  if (apply && t.subresource.empty()) {
    // Server-side apply: create when absent, otherwise merge (enough for our clients).
    auto existing = store_.get(*t.storage, t.ns, t.name);
    if (!existing && existing.error().code == ErrorCode::NotFound) {
      Json object = *patch;
      object["metadata"]["name"] = t.name;
      auto created = createWithDefaults(*t.storage, t.version, t.ns, intake(t, std::move(object)), dryRun,
                                        req.param("fieldValidation"), warnings);
      if (!created) return sendStatusError(w, created.error());
      return w.send(201, kJson, created->dump(), warningHeaders(warnings));
    }
  }
  Result<Json> stored = makeError(ErrorCode::Internal, "unreachable");
  if (t.subresource == "scale") {
    stored = store_.modify(
        *t.storage, t.ns, t.name,
        [&](const Json& current) -> Result<Json> {
          auto scaled = patchOnly(scaleOf(*t.kind, current));
          if (!scaled) return scaled;
          Json next = current;
          setPath(next, t.kind->specReplicasPath, scaled->value("/spec/replicas"_json_pointer, Json(0)));
          return next;
        },
        WriteTarget::Main, dryRun);
    if (stored) stored = scaleOf(*t.kind, *stored);
  } else {
    stored = store_.modify(*t.storage, t.ns, t.name, applyPatch,
                           t.subresource == "status" ? WriteTarget::Status : WriteTarget::Main, dryRun);
    if (stored && !dryRun && t.subresource.empty()) afterUpdate(*t.kind, *stored);
    if (stored) *stored = present(t, std::move(*stored));
  }
  if (!stored) return sendStatusError(w, stored.error());
  w.send(200, kJson, stored->dump(), warningHeaders(warnings));
}

void ApiServer::serveDelete(const http::Request& req, const Target& t, http::ResponseWriter& w) {
  std::string precondition;
  if (!req.body.empty()) {
    auto options = parseJsonBody(req.body);
    if (options && options->is_object())
      precondition = options->value("/preconditions/resourceVersion"_json_pointer, "");
  }
  auto removed = store_.remove(*t.storage, t.ns, t.name, precondition);
  if (!removed) return sendStatusError(w, removed.error());
  if ((*removed)["metadata"].contains("deletionTimestamp") &&
      !(*removed)["metadata"].value("finalizers", Json::array()).empty()) {
    return w.send(200, kJson, removed->dump());  // still there until its finalizers are removed
  }
  afterDelete(*t.kind, *removed);
  Json status = {{"kind", "Status"},
                 {"apiVersion", "v1"},
                 {"metadata", Json::object()},
                 {"status", "Success"},
                 {"details",
                  {{"name", t.name},
                   {"group", t.kind->group},
                   {"kind", t.kind->plural},
                   {"uid", (*removed)["metadata"].value("uid", "")}}}};
  w.send(200, kJson, status.dump());
}

}  // namespace aviary::sandbox
