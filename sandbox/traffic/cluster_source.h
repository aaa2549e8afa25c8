// Where the traffic simulator learns the cluster's state from: one small interface, two sources — the
// embedded sandbox's object store (store_source.h) or a watch of any API server (remote/watch_source.h) —
// that speak one change stream, so the ClusterView, the routers and the metrics are the same code on both
// test beds.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace aviary::sandbox::traffic {

using Json = nlohmann::json;

// Mesh resources the routers read (raw specs).
enum class MeshResource {
  IstioVirtualService,
  IstioDestinationRule,
  AppMeshVirtualService,
  AppMeshVirtualRouter,
  AppMeshVirtualNode,
  TraefikService,
  HttpRoute,
};
inline constexpr std::size_t kMeshResourceCount = 7;

// How a source knows which pods run. The sandbox has no Pod objects: a Deployment's ready replicas are its
// pods. A real server has Pods (grouped into workloads by their ReplicaSet) and EndpointSlices (which of
// them serve a Service; without them, a Service's selector over the ready pods).
enum class PodModel { Deployments, PodsAndEndpointSlices };

// One followed API type. Feeds are numbered: the four built-ins below, then one per MeshResource.
struct FeedType {
  std::string group, version, plural;
};
using FeedId = std::size_t;
inline constexpr FeedId kServicesFeed = 0, kDeploymentsFeed = 1, kPodsFeed = 2, kEndpointSlicesFeed = 3;
constexpr FeedId meshFeed(MeshResource r) {
  return 4 + static_cast<FeedId>(r);
}
constexpr bool isMeshFeed(FeedId feed) {
  return feed >= 4;
}
constexpr MeshResource meshResourceOf(FeedId feed) {
  return static_cast<MeshResource>(feed - 4);
}
// Every FeedId's API type (the versions the routers read), indexed by FeedId.
const std::vector<FeedType>& feedTypes();
// The feeds a source of `model` follows: Services, the workload feeds of the model, every mesh resource.
std::vector<FeedId> feedsOf(PodModel model);

struct ClusterChange {
  enum class Kind {
    Upsert,    // `object` was created or changed
    Delete,    // `object` (its last state) was deleted
    Reset,     // forget every object of the feed: its full list follows as Upserts
    Unserved,  // the server does not serve the feed's type (any more): forget its objects
  };
  Kind kind = Kind::Upsert;
  FeedId feed = 0;
  std::shared_ptr<const Json> object;  // null for Reset
};

class ClusterSource {
 public:
  virtual ~ClusterSource() = default;
  virtual PodModel podModel() const = 0;
  // Every change since the previous call, in order; the first list of a feed is a Reset and its objects.
  // A feed whose type is not served (a CRD not installed, an API server without EndpointSlices) yields
  // nothing, or Unserved when it stops being served, until it is served again. Called from one thread;
  // never waits for the network.
  virtual std::vector<ClusterChange> takeChanges() = 0;
};

}  // namespace aviary::sandbox::traffic
