// The seam between the controller and the traffic: one small interface, one implementation per provider
// (mesh-adapters/<provider>/), described once by a ProviderDescriptor and registered by one line in
// router_registry.cpp. Nothing outside mesh-adapters/ names a provider: the controller builds its caches
// from the descriptors' resource types, validation and the planner read their capabilities, and the
// analysis gets the built-in queries from them.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "analysis/statistics/arm_counters.h"
#include "operator/api/canary.h"
#include "operator/api/router_capabilities.h"
#include "operator/core/result.h"
#include "operator/kube/kube_client.h"

namespace aviary::mesh {

// What the traffic should look like now, as the planner decides it. The router converges the cluster to
// it: Services, mesh objects and the apex Service's selector.
struct TrafficIntent {
  int primaryWeight = 100, canaryWeight = 0;  // percent of the apex's requests; they add up to 100
  // Percent of the requests the primary answers that are also copied to the canary, whose answers are
  // dropped (spec.analysis.mirror, mirrorWeight); 0: no mirror.
  int mirrorPercent = 0;
  // Requests matching spec.analysis.match go to the canary whatever the weights (A/B testing).
  bool matchToCanary = false;
  // Session affinity (spec.analysis.sessionAffinity), cookies as "name=value"; empty: none. The canary's
  // responses set canaryCookie (Max-Age: sessionAffinity.maxAge) and requests carrying it go to the
  // canary; likewise primaryCookie for the primary (Max-Age: the analysis interval). Requests carrying
  // expiredCookie (a past run's) go to the primary, whose answer removes it (Max-Age=0).
  std::string canaryCookie, primaryCookie, expiredCookie;
  bool operator==(const TrafficIntent&) const = default;
};

// The target's pod label that the Services select on ("app" = "podinfo"); the primary's pods carry
// value + "-primary".
struct PodSelector {
  std::string key, value;
};

// An action that cannot finish until the cluster catches up (endpoints following a selector change, a mesh
// dropping routes) answers this error; the controller looks again after kWaitPoll instead of recording
// a failure.
inline constexpr std::chrono::seconds kWaitPoll{1};
Error waitingFor(const std::string& what);
bool isWaiting(const Error& e);
// `st` with its message prefixed by what was being done ("routes: …"); a waitingFor answer passes as is.
Status withContext(const Status& st, const std::string& what);

class Router {
 public:
  virtual ~Router() = default;
  // Converges every routing object (the apex, <apex>-primary and <apex>-canary Services and the
  // provider's mesh objects) to `intent`, adopting objects a user made and keeping the fields the router
  // does not manage. Writes only what differs: a second call with the same intent makes no API write.
  // A destination about to get its first traffic must list ready endpoints first: until then the answer
  // is waitingFor(...). Invalid: the provider cannot express the intent (a weight its strategy lacks).
  // Thread-safe for distinct canaries.
  virtual Status reconcile(const api::Canary& canary, const PodSelector& pods,
                           const TrafficIntent& intent) = 0;
  // Objects that must exist before any pod starts (App Mesh's VirtualNodes, which its sidecar injector
  // reads); nothing for most providers.
  virtual Status prepare(const api::Canary& canary, const PodSelector& pods) = 0;
  // The intent the routing objects carry now. NotFound before the first reconcile.
  virtual Result<TrafficIntent> observed(const api::Canary& canary) = 0;
  // Gives everything back, in an order that fails no request: the apex Service selects the target's pods
  // (`target`; null when the target is gone: the apex is left alone), the mesh objects Aviary created are
  // deleted and adopted ones restored, and once the mesh has had the settle time to drop them, the
  // <apex>-primary and <apex>-canary Services go. Answers waitingFor(...) until all of it is done; call
  // again. NotFound objects count as done.
  virtual Status finalize(const api::Canary& canary, const PodSelector* target) = 0;
};

// When this process removed a Canary's routes, so the Services they named outlive them by the settle time
// (a proxy applies a route change some time after the API server accepted it; a route to a deleted
// Service answers 503). Shared by every router of a controller. Thread-safe.
class RouteSettleClock {
 public:
  explicit RouteSettleClock(std::chrono::milliseconds settle) : settle_(settle) {}
  // `removedNow`: this pass removed routes that existed. True once the settle time has passed since the
  // last removal this process made (at once when it made none: a restarted operator removed nothing).
  bool settled(const std::string& canaryKey, bool removedNow);
  void forget(const std::string& canaryKey);

 private:
  std::chrono::milliseconds settle_;
  std::mutex mutex_;
  std::map<std::string, std::chrono::steady_clock::time_point> removedAt_;
};

// What a router is built with.
struct RouterContext {
  kube::KubeClient& client;
  RouteSettleClock& settle;
};

// One provider: how the controller builds, watches, validates and analyses it.
struct ProviderDescriptor {
  std::string name;  // spec.provider
  std::function<std::unique_ptr<Router>(RouterContext&)> factory;
  // The mesh types its routers write besides Services; the write-through cache and the drift watch are
  // built from these, and the shipped ClusterRole must grant them (a test compares).
  std::vector<kube::ResourceType> ownedTypes;
  api::RouterCapabilities capabilities;
  // The built-in checks' PromQL templates by metric name (request-success-rate in percent,
  // request-duration in milliseconds), over the metrics the provider's proxies export.
  std::map<std::string, std::string> builtInQueries;
  // The raw counters spec.analysis.sequential reads per arm; none: the provider cannot run it (an
  // InvalidSpec saying so).
  std::optional<analysis::CounterQueryTemplates> counterQueries;
};

class RouterRegistry {
 public:
  void add(ProviderDescriptor descriptor);
  // nullptr for an unknown provider.
  const ProviderDescriptor* find(const std::string& provider) const;
  // An unknown provider is an error naming the known ones, never a silent fallback.
  Result<std::unique_ptr<Router>> create(const std::string& provider, RouterContext& context) const;
  std::vector<std::string> providers() const;
  std::map<std::string, api::RouterCapabilities> capabilities() const;
  // Every provider's owned types, each once.
  std::vector<kube::ResourceType> ownedTypes() const;

 private:
  std::map<std::string, ProviderDescriptor> descriptors_;
};

// Every router built so far (router_registry.cpp: one line per provider).
RouterRegistry builtInRouters();

}  // namespace aviary::mesh
