// A Service's load, compiled from its RouteTable into flat arrays the simulation tick walks without
// lookups: request classes (plain, or carrying one header) → the route each class takes → weighted
// destinations → ready pods with their behaviour and the series their requests count in. A Service whose
// requests come from simulated clients (session_clients.h) picks the route per request instead, since
// each client's cookies are its own.
#pragma once

#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "sandbox/traffic/route_table.h"
#include "sandbox/traffic/series_registry.h"
#include "sandbox/traffic/session_clients.h"

namespace aviary::sandbox::traffic {

// splitmix64: fast, seedable, good enough for traffic sampling.
class FastRandom {
 public:
  explicit FastRandom(uint64_t seed) : state_(seed) {}
  uint64_t next() {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
  std::size_t below(std::size_t n) { return static_cast<std::size_t>(uniform() * static_cast<double>(n)); }

 private:
  uint64_t state_;
};

struct PodTarget {
  double errorRate = 0;
  std::shared_ptr<const LatencyModel> latency;
  Series* mesh = nullptr;  // the proxy's series (null without a mesh)
  Series* app = nullptr;   // the application's own series
  Series* user = nullptr;  // ground truth: user requests served by this pod's workload
  std::string workload;    // the Deployment's name
};

struct DestinationPlan {
  std::vector<PodTarget> pods;
  Series* noEndpoints = nullptr;        // user requests that found no ready pod (503)
  std::string service;                  // "ns/name" of the Service it stands for (for the log)
  std::vector<std::string> setCookies;  // Set-Cookie values on its responses
};

struct RoutePlan {
  std::vector<RequestMatch> matches;          // any of them; empty matches every request
  std::vector<double> cumulativeWeights;      // normalized to 1
  std::vector<DestinationPlan> destinations;  // empty: the route sends nowhere (404)
  std::optional<DestinationPlan> mirror;
  double mirrorProbability = 0;
};

struct ClassPlan {
  double cumulativeShare = 0;
  RequestAttributes attributes;
  int route = -1;  // the route the class's anonymous requests take; -1: none matches (404)
};

struct ServicePlan {
  std::string ns, name, source;
  double rps = 0;
  double pending = 0;  // fractional requests carried to the next tick
  FastRandom random{0};
  std::vector<RoutePlan> routes;  // in precedence order
  std::vector<ClassPlan> classes;
  std::set<std::string> namespaces;
  Series* noRoute = nullptr;
  std::size_t clients = 0;  // ServiceInfo::clients
};

ServicePlan compilePlan(const ServiceInfo& service, const RouteTable& routes, SeriesRegistry& series,
                        uint64_t seed);

// The requests sent by simulated clients (plans with clients > 0): their cookies, where they were served,
// and the series their moves count in. `now` is the simulated time in seconds.
struct ClientContext {
  SessionClients& clients;
  SeriesRegistry& series;
  double now = 0;
};

// Generates `requests` user requests and records their outcomes; from `clients` when given.
void simulateRequests(ServicePlan& plan, uint64_t requests, ClientContext* clients = nullptr);

// The series owners that exist in `view` (pods and workloads), for SeriesRegistry::collectGarbage.
std::string podOwner(const std::string& ns, const std::string& pod);
std::string workloadOwner(const std::string& ns, const std::string& workload);

}  // namespace aviary::sandbox::traffic
