// The embedded sandbox as a ClusterSource: reads the object store's event history after a cursor per
// feed (no lock held on the store between ticks), relists a feed whose cursor fell out of the history,
// and starts a custom resource's feed over when its CRD comes, goes or changes. Not thread-safe: the
// traffic simulator's thread owns it.
#pragma once

#include "sandbox/api/object_store.h"
#include "sandbox/api/resource_registry.h"
#include "sandbox/traffic/cluster_source.h"

namespace aviary::sandbox::traffic {

class StoreSource final : public ClusterSource {
 public:
  // Both must outlive the source.
  StoreSource(const ObjectStore& store, const ResourceRegistry& registry);

  PodModel podModel() const override { return PodModel::Deployments; }
  std::vector<ClusterChange> takeChanges() override;

 private:
  struct Feed {
    FeedId id;
    std::shared_ptr<const ResourceKind> kind;  // null: not served (yet)
    long long cursor = 0;
  };
  void relist(Feed& feed, std::vector<ClusterChange>& out);

  const ObjectStore& store_;
  const ResourceRegistry& registry_;
  std::vector<Feed> feeds_;
  bool started_ = false;
};

}  // namespace aviary::sandbox::traffic
