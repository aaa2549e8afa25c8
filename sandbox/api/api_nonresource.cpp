// Endpoints outside the resource tree: version, health, discovery documents, the OpenAPI stub, and the
// sandbox's own fault-control endpoint.
#include <sstream>

#include "sandbox/api/api_errors.h"
#include "sandbox/api/api_server.h"
#include "sandbox/api/discovery.h"

namespace aviary::sandbox {
namespace {
constexpr char kJson[] = "application/json";

}  // namespace

bool ApiServer::serveNonResource(const http::Request& req, http::ResponseWriter& w) {
  const std::string& p = req.path;
  if (p == "/apis/authentication.k8s.io/v1/selfsubjectreviews" && req.method == "POST") {
    // Who the client is: the sandbox has one user, whoever holds its token (or anyone without TLS), with
    // every right, as a real server's cluster-admin.
    const Json review = {{"apiVersion", "authentication.k8s.io/v1"},
                         {"kind", "SelfSubjectReview"},
                         {"metadata", Json::object()},
                         {"status",
                          {{"userInfo",
                            {{"username", "sandbox-admin"},
                             {"groups", Json::array({"system:masters", "system:authenticated"})}}}}}};
    w.send(201, kJson, review.dump());
  } else if (p == "/version" || p == "/version/") {
    w.send(200, kJson, versionInfo().dump());
  } else if (p == "/healthz" || p == "/readyz" || p == "/livez") {
    w.send(200, "text/plain", "ok");
  } else if (p == "/openapi/v2") {
    // An empty OpenAPI v2 protobuf document: kubectl apply then uses its compiled-in types.
    w.send(200, "application/com.github.proto-openapi.spec.v2.v1.0+protobuf",
           std::string("\x0a\x03\x32\x2e\x30", 5));
  } else if (p == "/api" || p == "/api/") {
    std::string host = options_.bindAddress + ":" + std::to_string(http_->port());
    w.send(200, kJson, coreApiVersions(host).dump());
  } else if (p == "/apis" || p == "/apis/") {
    w.send(200, kJson, apiGroupList(registry_).dump());
  } else if (p == "/api/v1" || p == "/api/v1/") {
    w.send(200, kJson, apiResourceList(registry_, "", "v1")->dump());
  } else {
    std::vector<std::string> parts;
    std::stringstream in(p);
    std::string part;
    while (std::getline(in, part, '/')) {
      if (!part.empty()) parts.push_back(part);
    }
    if (parts.size() == 2 && parts[0] == "apis") {
      // /apis/<group>: the APIGroup.
      for (const auto& g : apiGroupList(registry_)["groups"]) {
        if (g["name"] == parts[1]) {
          Json group = g;
          group["kind"] = "APIGroup";
          group["apiVersion"] = "v1";
          w.send(200, kJson, group.dump());
          return true;
        }
      }
      return false;
    }
    if (parts.size() != 3 || parts[0] != "apis") return false;
    auto list = apiResourceList(registry_, parts[1], parts[2]);
    if (!list) return false;
    w.send(200, kJson, list->dump());
  }
  return true;
}

void ApiServer::serveFaults(const http::Request& req, http::ResponseWriter& w) {
  auto clearRequest = [&] {
    if (req.method != "POST" || !nlohmann::json::accept(req.body)) return false;
    auto body = nlohmann::json::parse(req.body);
    return body.is_object() && body.contains("clear") && body["clear"] == true;
  };
  if (req.method == "DELETE" || clearRequest()) {
    faults_.clear();
    return w.send(200, kJson, "{}");
  }
  if (req.method != "POST") {
    return sendStatusError(w,
                           apiError(ErrorCode::MethodNotAllowed, 405, "MethodNotAllowed", "POST or DELETE"));
  }
  auto body = parseJsonBody(req.body);
  if (!body) return sendStatusError(w, body.error());
  // {"dropWatches": true} | {"expireWatches": N} | {"conflicts": N} | a FaultRule ({"clear": true} above)
  if (body->value("dropWatches", false)) {
    faults_.dropWatches();
    store_.wakeWatchers();
  } else if (body->contains("expireWatches")) {
    faults_.expireNextWatches(body->value("expireWatches", 1));
  } else if (body->contains("conflicts")) {
    faults_.conflictNextWrites(body->value("conflicts", 1));
  } else {
    auto rule = FaultRule::fromJson(*body);
    if (!rule) {
      Error e = rule.error();
      e.httpStatus = 400;
      e.reason = "BadRequest";
      return sendStatusError(w, e);
    }
    faults_.add(*rule);
  }
  w.send(200, kJson, "{}");
}

}  // namespace aviary::sandbox
