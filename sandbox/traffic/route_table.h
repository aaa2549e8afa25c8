// The mesh-neutral form of "where does a request to this Service go": ordered routes with request
// matches, weighted destinations and an optional mirror. Each mesh's router translates its objects into a
// RouteTable (routing/*.cpp); the traffic plan compiles any RouteTable the same way.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "sandbox/traffic/cluster_view.h"

namespace aviary::sandbox::traffic {

// What the load generator's requests look like: GET / with, for a share of them, one extra header.
struct RequestAttributes {
  std::string method = "GET";
  std::string path = "/";
  std::map<std::string, std::string> headers;  // lower-case names
};

struct StringMatch {
  enum class Kind { Exact, Prefix, Suffix, Regex, Present };
  Kind kind = Kind::Exact;
  std::string value;
  std::shared_ptr<const std::regex> regex;  // Kind::Regex: a full match, as RE2 in Envoy
  bool invert = false;

  static StringMatch exact(std::string v) { return {Kind::Exact, std::move(v), nullptr, false}; }
  static StringMatch prefix(std::string v) { return {Kind::Prefix, std::move(v), nullptr, false}; }
  static StringMatch suffix(std::string v) { return {Kind::Suffix, std::move(v), nullptr, false}; }
  static StringMatch present() { return {Kind::Present, "", nullptr, false}; }
  // An invalid pattern matches nothing (as a proxy that rejected the route would route nothing to it).
  static StringMatch regexOf(const std::string& pattern);
  // `value` is null when the request lacks the header.
  bool matches(const std::string* value) const;
};

struct HeaderMatch {
  std::string name;  // lower case
  StringMatch match;
};

// Every present condition must hold.
struct RequestMatch {
  std::optional<StringMatch> path;
  std::optional<std::string> method;
  std::vector<HeaderMatch> headers;
  bool matches(const RequestAttributes& request) const;
};

// Which proxy sees requests to a destination, and so which metrics it reports (besides the application's
// own http_request_duration_seconds, which every pod exports).
enum class Telemetry { None, Istio, Envoy, Traefik };

struct Destination {
  std::vector<const Workload*> workloads;  // the pods behind it are these workloads' ready pods
  Telemetry telemetry = Telemetry::None;
  std::string serviceNs, serviceName;  // the Kubernetes Service addressed (Istio destination_service_*)
  std::string label;                   // Envoy: envoy_cluster_name; Traefik: the service label
};

struct WeightedDestination {
  double weight = 0;
  Destination destination;
  // Set-Cookie values the proxy adds to this destination's responses (Istio route[].headers.response,
  // Gateway API ResponseHeaderModifier), which the simulated clients keep (session_clients.h).
  std::vector<std::string> setCookies;
};

struct Route {
  std::vector<RequestMatch> matches;  // any of them; empty matches every request
  std::vector<WeightedDestination> destinations;
  std::optional<Destination> mirror;
  double mirrorPercent = 0;
  bool accepts(const RequestAttributes& request) const;
};

struct RouteTable {
  std::string source;                // e.g. "VirtualService test/podinfo", for logs
  std::vector<Route> routes;         // in precedence order: the first matching route wins
  std::set<std::string> namespaces;  // whose objects this table was built from
};

// Resolves a Kubernetes host name as a mesh does: "svc", "svc.ns", "svc.ns.svc", "svc.ns.svc.cluster.local"
// (relative names in `contextNs`) → (namespace, name). nullopt for hosts outside the cluster.
std::optional<std::pair<std::string, std::string>> resolveServiceHost(const std::string& host,
                                                                      const std::string& contextNs);

}  // namespace aviary::sandbox::traffic
