#include "sandbox/traffic/store_source.h"

namespace aviary::sandbox::traffic {

StoreSource::StoreSource(const ObjectStore& store, const ResourceRegistry& registry)
    : store_(store), registry_(registry) {
  for (FeedId id : feedsOf(PodModel::Deployments)) feeds_.push_back({id, nullptr, 0});
}

void StoreSource::relist(Feed& feed, std::vector<ClusterChange>& out) {
  if (!feed.kind) {
    out.push_back({ClusterChange::Kind::Unserved, feed.id, nullptr});
    return;
  }
  out.push_back({ClusterChange::Kind::Reset, feed.id, nullptr});
  auto all = store_.list(*feed.kind, "", LabelSelector(), FieldSelector(), 0, "");
  if (!all) return;
  feed.cursor = std::stoll(all->resourceVersion);
  for (auto& object : all->items) {
    out.push_back({ClusterChange::Kind::Upsert, feed.id, std::make_shared<const Json>(std::move(object))});
  }
}

std::vector<ClusterChange> StoreSource::takeChanges() {
  std::vector<ClusterChange> out;
  auto now = std::chrono::steady_clock::now();
  for (auto& feed : feeds_) {
    // Custom resources come and go with their CRDs: a different kind object means start over.
    const FeedType& type = feedTypes()[feed.id];
    auto kind = registry_.find(type.group, type.version, type.plural);
    if (kind != feed.kind || !started_) {
      feed.kind = kind;
      relist(feed, out);
      continue;
    }
    if (!feed.kind) continue;
    auto events = store_.eventsAfter(*feed.kind, "", feed.cursor, now);
    if (!events) {  // our position left the history (a burst of writes): start over
      relist(feed, out);
      continue;
    }
    for (const auto& e : *events) {
      feed.cursor = e.rv;
      out.push_back({e.type == "DELETED" ? ClusterChange::Kind::Delete : ClusterChange::Kind::Upsert, feed.id,
                     e.object});
    }
  }
  started_ = true;
  return out;
}

}  // namespace aviary::sandbox::traffic
