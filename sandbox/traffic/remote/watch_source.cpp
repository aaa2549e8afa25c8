#include "sandbox/traffic/remote/watch_source.h"

#include <spdlog/spdlog.h>

#include "operator/kube/reflector.h"

namespace aviary::sandbox::traffic {
namespace {

kube::ResourceType resourceTypeOf(FeedId id) {
  const FeedType& t = feedTypes()[id];
  return kube::ResourceType{t.group, t.version, t.plural, "", true};
}

// EndpointSlices (Kubernetes 1.21+) and the mesh types (CRDs) may be missing; Services and Pods may not.
bool isOptional(FeedId id) {
  return id == kEndpointSlicesFeed || isMeshFeed(id);
}

std::shared_ptr<const Json> trimmed(Json&& object) {
  // Field ownership is most of a real object's size and the view never reads it.
  if (object.contains("metadata") && object["metadata"].is_object())
    object["metadata"].erase("managedFields");
  return std::make_shared<const Json>(std::move(object));
}

}  // namespace

// One watched feed: a Reflector whose list becomes a Reset plus Upserts and whose events become
// Upserts/Deletes, queued in order on the source.
class WatchSource::Feed final : public kube::ReflectorSink {
 public:
  Feed(WatchSource& owner, FeedId id, kube::ReflectorOptions options)
      : owner_(owner), id_(id), reflector_(owner.client_, std::move(options), *this) {}

  void start() { reflector_.start(); }
  bool waitForSync(std::chrono::milliseconds timeout) { return reflector_.waitForSync(timeout); }

  void replace(std::vector<Json>&& items, const std::string&) override {
    // One batch, so the simulator never sees the feed empty between the Reset and the list.
    std::vector<ClusterChange> changes;
    changes.reserve(items.size() + 1);
    changes.push_back({ClusterChange::Kind::Reset, id_, nullptr});
    for (auto& item : items) changes.push_back({ClusterChange::Kind::Upsert, id_, trimmed(std::move(item))});
    owner_.push(std::move(changes));
  }

  void apply(kube::WatchEvent&& event) override {
    using Type = kube::WatchEvent::Type;
    if (event.type != Type::Added && event.type != Type::Modified && event.type != Type::Deleted) return;
    auto kind = event.type == Type::Deleted ? ClusterChange::Kind::Delete : ClusterChange::Kind::Upsert;
    std::vector<ClusterChange> changes;
    changes.push_back({kind, id_, trimmed(std::move(event.object))});
    owner_.push(std::move(changes));
  }

 private:
  WatchSource& owner_;
  FeedId id_;
  kube::Reflector reflector_;  // last: stopped (joined) first, while the rest is still there
};

WatchSource::WatchSource(kube::KubeClient& client, WatchSourceOptions options)
    : client_(client), options_(std::move(options)) {}

WatchSource::~WatchSource() {
  stop();
}

void WatchSource::push(std::vector<ClusterChange>&& changes) {
  std::lock_guard lock(queueMutex_);
  if (queue_.empty()) {
    queue_ = std::move(changes);
  } else {
    queue_.insert(queue_.end(), std::make_move_iterator(changes.begin()),
                  std::make_move_iterator(changes.end()));
  }
}

std::vector<ClusterChange> WatchSource::takeChanges() {
  std::lock_guard lock(queueMutex_);
  return std::exchange(queue_, {});
}

void WatchSource::startFeed(FeedId id) {
  kube::ReflectorOptions options;
  options.type = resourceTypeOf(id);
  options.ns = options_.ns;
  auto feed = std::make_unique<Feed>(*this, id, std::move(options));
  feed->start();
  std::lock_guard lock(feedsMutex_);
  feeds_[id] = std::move(feed);
}

void WatchSource::stopFeed(FeedId id) {
  std::unique_ptr<Feed> feed;
  {
    std::lock_guard lock(feedsMutex_);
    auto it = feeds_.find(id);
    if (it == feeds_.end()) return;
    feed = std::move(it->second);
    feeds_.erase(it);
  }
  feed.reset();  // joins its reflector: nothing of it is queued after this
  push({{ClusterChange::Kind::Unserved, id, nullptr}});
}

std::optional<bool> WatchSource::served(FeedId id) {
  kube::ListOptions one;
  one.limit = 1;
  auto listed = client_.list(resourceTypeOf(id), options_.ns, one);
  if (listed) return true;
  if (listed.error().code == ErrorCode::NotFound) return false;
  return std::nullopt;
}

void WatchSource::probeOptionalTypes(bool first) {
  std::vector<std::string> unserved;
  for (FeedId id : feedsOf(podModel())) {
    if (!isOptional(id)) continue;
    auto isServed = served(id);
    if (!isServed) continue;
    bool watched;
    {
      std::lock_guard lock(feedsMutex_);
      watched = feeds_.count(id) > 0;
    }
    if (*isServed && !watched) {
      if (!first) spdlog::info("traffic: {} is served now; watching it", resourceTypeOf(id).qualifiedName());
      startFeed(id);
    } else if (!*isServed && watched) {
      spdlog::info("traffic: {} is no longer served; forgetting its objects",
                   resourceTypeOf(id).qualifiedName());
      stopFeed(id);
    } else if (!*isServed) {
      unserved.push_back(resourceTypeOf(id).qualifiedName());
    }
  }
  if (first && !unserved.empty()) {
    std::string list;
    for (const auto& name : unserved) list += (list.empty() ? "" : ", ") + name;
    spdlog::info("traffic: not served, so not watched (until they are): {}", list);
  }
}

void WatchSource::start() {
  {
    std::lock_guard lock(probeMutex_);
    if (prober_.joinable()) return;
    stopping_ = false;
  }
  for (FeedId id : feedsOf(podModel())) {
    if (!isOptional(id)) startFeed(id);
  }
  probeOptionalTypes(true);
  prober_ = std::thread([this] {
    std::unique_lock lock(probeMutex_);
    while (!probeWake_.wait_for(lock, options_.discoveryInterval, [this] { return stopping_; })) {
      lock.unlock();
      probeOptionalTypes(false);
      lock.lock();
    }
  });
}

void WatchSource::stop() {
  {
    std::lock_guard lock(probeMutex_);
    stopping_ = true;
  }
  probeWake_.notify_all();
  if (prober_.joinable()) prober_.join();
  std::map<FeedId, std::unique_ptr<Feed>> feeds;
  {
    std::lock_guard lock(feedsMutex_);
    feeds.swap(feeds_);
  }
  feeds.clear();  // joins every reflector
}

bool WatchSource::waitForSync(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  std::lock_guard lock(feedsMutex_);
  for (auto& [id, feed] : feeds_) {
    auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (!feed->waitForSync(std::max(left, std::chrono::milliseconds(0)))) return false;
  }
  return true;
}

std::vector<FeedId> WatchSource::watchedFeeds() const {
  std::lock_guard lock(feedsMutex_);
  std::vector<FeedId> out;
  for (const auto& [id, feed] : feeds_) out.push_back(id);
  return out;
}

}  // namespace aviary::sandbox::traffic
