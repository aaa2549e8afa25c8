// Which Canaries' routes are known to be as a pass would write them, so that a pass asking for the routing
// the previous successful pass brought about skips the router: its reads of the Services and the mesh
// object from the write-through cache, their comparison and the desired objects it builds (the router was
// ~20 % of the workers' CPU at 1,000 Canaries mid-release, docs/performance.md; about half of the passes
// route as the pass before: the pass that starts gathering a step's checks).
//
// A memo holds for a Canary while
// - the same routing is asked for: uid, generation (every spec field a router reads), the pod selector
//   and the traffic intent;
// - nothing reported a change of its Services or routes by another client since the router last
//   succeeded (invalidate: the owned-object watch's events and the write-through cache's late changes);
// - at most maxAge has passed since (a watch that could not report an edit — a mesh whose CRDs came after
//   the operator started — is caught up within that time).
// Not for routes that follow the Deployments (a replica ratio): the caller decides.
//
// Thread-safe. A pass takes a ticket before the router runs and remembers it on success; an invalidation
// while the router runs voids the ticket, so a router that read the object before another client's edit
// never makes that edit look handled.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "mesh-adapters/router.h"

namespace aviary::controller {

// The routing a pass asks of the router for one Canary.
struct RoutedState {
  std::string uid;
  long long generation = 0;
  mesh::PodSelector pods;
  mesh::TrafficIntent intent;
  bool operator==(const RoutedState& o) const {
    return uid == o.uid && generation == o.generation && pods.key == o.pods.key &&
           pods.value == o.pods.value && intent == o.intent;
  }
};

class RoutesMemo {
 public:
  using Clock = std::chrono::steady_clock;
  // `now` is injectable for tests.
  explicit RoutesMemo(std::chrono::milliseconds maxAge, std::function<Clock::time_point()> now = Clock::now);

  struct Ticket {
    RoutedState state;
    std::uint64_t epoch = 0;
    Clock::time_point at{};
  };
  // nullopt when the Canary `key`'s routes are known to be `state` (the router can be skipped); otherwise
  // the ticket to remember once the router has brought them there.
  std::optional<Ticket> check(const std::string& key, RoutedState state);
  // The router succeeded with the ticket's state: remembered unless the Canary's routes were invalidated
  // or forgotten since the ticket was taken.
  void remember(const std::string& key, Ticket ticket);
  // Someone else changed (or may have changed) the Canary's Services or routes: the next pass routes.
  void invalidate(const std::string& key);
  // The Canary is gone.
  void forget(const std::string& key);

 private:
  struct Entry {
    std::optional<RoutedState> routed;  // as the router last left them, while that holds
    Clock::time_point at{};             // when the ticket that left them so was taken
    std::uint64_t epoch = 0;            // new at every invalidation, never reused
  };
  const std::chrono::milliseconds maxAge_;
  const std::function<Clock::time_point()> now_;
  std::mutex mutex_;
  std::map<std::string, Entry> entries_;
  std::uint64_t epochs_ = 0;
};

}  // namespace aviary::controller
