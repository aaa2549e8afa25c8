#include "operator/kube/event_recorder.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdio>

#include "operator/core/text_safety.h"
#include "operator/core/time_format.h"

namespace aviary::kube {

ObjectReference ObjectReference::fromObject(const Json& object) {
  ObjectReference ref;
  ref.apiVersion = object.value("apiVersion", "");
  ref.kind = object.value("kind", "");
  const Json& meta = object.contains("metadata") ? object["metadata"] : Json::object();
  ref.ns = meta.value("namespace", "");
  ref.name = meta.value("name", "");
  ref.uid = meta.value("uid", "");
  ref.resourceVersion = meta.value("resourceVersion", "");
  return ref;
}

EventRecorder::EventRecorder(KubeClient& client, EventRecorderOptions options, const Clock& clock)
    : client_(client), options_(std::move(options)), clock_(clock) {
  thread_ = std::thread([this] { run(); });
}

EventRecorder::~EventRecorder() {
  stop();
}

void EventRecorder::record(const ObjectReference& object, EventType type, const std::string& reason,
                           const std::string& message) {
  std::lock_guard lock(mutex_);
  if (stopping_) return;
  if (queue_.size() >= options_.maxQueued) {
    ++dropped_;
    return;
  }
  // events.k8s.io caps a note at 1 kB; messages may carry text from outside (Prometheus errors).
  queue_.push_back(Pending{object, type, truncateText(reason, 128),
                           truncateText(message, kMaxEventMessageBytes), clock_.now()});
  wake_.notify_one();
}

void EventRecorder::flush() {
  std::unique_lock lock(mutex_);
  idle_.wait(lock, [this] { return (queue_.empty() && !busy_) || stopping_; });
}

void EventRecorder::stop() {
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return;
    stopping_ = true;
  }
  wake_.notify_all();
  idle_.notify_all();
  if (thread_.joinable()) thread_.join();
}

std::size_t EventRecorder::dropped() const {
  std::lock_guard lock(mutex_);
  return dropped_;
}

void EventRecorder::run() {
  std::unique_lock lock(mutex_);
  while (true) {
    wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
    // On stop, what is queued is still written: those Events explain the last decisions.
    if (queue_.empty()) return;
    Pending next = std::move(queue_.front());
    queue_.pop_front();
    busy_ = true;
    lock.unlock();
    write(next);
    lock.lock();
    busy_ = false;
    if (queue_.empty()) idle_.notify_all();
  }
}

bool EventRecorder::allow(const std::string& objectKey, Clock::TimePoint now) {
  // At most one sweep a minute: many live objects must not make every Event pay a scan.
  if (buckets_.size() >= kBucketSweepSize && now - lastSweep_ >= std::chrono::minutes(1)) {
    sweepBuckets(now);
    lastSweep_ = now;
  }
  auto [it, inserted] = buckets_.try_emplace(objectKey, Bucket{static_cast<double>(options_.burst), now});
  Bucket& b = it->second;
  double refill =
      std::chrono::duration<double>(now - b.last).count() / static_cast<double>(options_.refillEvery.count());
  if (refill > 0) {
    b.tokens = std::min<double>(options_.burst, b.tokens + refill);
    b.last = now;
  }
  if (b.tokens < 1) return false;
  b.tokens -= 1;
  return true;
}

void EventRecorder::sweepBuckets(Clock::TimePoint now) {
  // A bucket that has refilled to its burst holds no state: forgetting it changes nothing. Objects that
  // are gone (a deleted Canary) thus leave the map within burst × refillEvery.
  const double refillSeconds = static_cast<double>(options_.refillEvery.count());
  for (auto it = buckets_.begin(); it != buckets_.end();) {
    double refill = std::chrono::duration<double>(now - it->second.last).count() / refillSeconds;
    if (it->second.tokens + refill >= options_.burst) {
      it = buckets_.erase(it);
    } else {
      ++it;
    }
  }
}

std::size_t EventRecorder::trackedObjects() const {
  return buckets_.size();
}

std::size_t EventRecorder::aggregatesKept() const {
  return aggregates_.size();
}

void EventRecorder::write(const Pending& p) {
  const ObjectReference& o = p.object;
  std::string objectKey = o.kind + "/" + o.ns + "/" + o.name + "/" + o.uid;
  if (!allow(objectKey, p.at)) {
    std::lock_guard lock(mutex_);
    ++dropped_;
    return;
  }
  const std::string type = p.type == EventType::Warning ? "Warning" : "Normal";
  const std::string aggregateKey = objectKey + "\n" + type + "\n" + p.reason + "\n" + p.message;
  const std::string ts = formatRfc3339(p.at);

  auto found = aggregates_.find(aggregateKey);
  if (found != aggregates_.end()) {
    Aggregate& agg = found->second;
    lru_.splice(lru_.begin(), lru_, agg.lru);
    Json patch = {{"count", agg.count + 1}, {"lastTimestamp", ts}};
    auto result = client_.patch(resources::kEvents, o.ns, agg.eventName, PatchType::Merge, patch);
    if (result) {
      ++agg.count;
      return;
    }
    if (result.error().code != ErrorCode::NotFound) {
      spdlog::warn("event {} on {}/{}: {}", p.reason, o.ns, o.name, result.error().describe());
      return;
    }
    // The Event expired on the server: start a new one below.
    lru_.erase(agg.lru);
    aggregates_.erase(found);
  }

  // Named "<object>.<hex nanoseconds>" as client-go does; kept strictly increasing so two Events in the
  // same nanosecond (or under a frozen test clock) never collide.
  auto nanos = static_cast<unsigned long long>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(p.at.time_since_epoch()).count());
  lastNameNanos_ = std::max(lastNameNanos_ + 1, nanos);
  char suffix[32];
  std::snprintf(suffix, sizeof suffix, ".%llx", lastNameNanos_);
  std::string eventName = o.name + suffix;
  Json event = {
      {"apiVersion", "v1"},
      {"kind", "Event"},
      {"metadata", {{"name", eventName}, {"namespace", o.ns}}},
      {"involvedObject",
       {{"apiVersion", o.apiVersion},
        {"kind", o.kind},
        {"name", o.name},
        {"namespace", o.ns},
        {"uid", o.uid}}},
      {"reason", p.reason},
      {"message", p.message},
      {"type", type},
      {"source", {{"component", options_.component}}},
      {"reportingComponent", options_.component},
      {"reportingInstance", options_.host},
      {"firstTimestamp", ts},
      {"lastTimestamp", ts},
      {"count", 1},
  };
  if (!o.resourceVersion.empty()) event["involvedObject"]["resourceVersion"] = o.resourceVersion;
  if (!o.fieldPath.empty()) event["involvedObject"]["fieldPath"] = o.fieldPath;
  if (!options_.host.empty()) event["source"]["host"] = options_.host;
  auto created = client_.create(resources::kEvents, o.ns, event);
  if (!created) {
    spdlog::warn("event {} on {}/{}: {}", p.reason, o.ns, o.name, created.error().describe());
    return;
  }
  auto kept = aggregates_.try_emplace(aggregateKey, Aggregate{eventName, 1, p.at, {}}).first;
  lru_.push_front(&kept->first);
  kept->second.lru = lru_.begin();
  // buckets_ counts the objects with Events in the last burst × refillEvery (full buckets are swept).
  const std::size_t capacity =
      std::max(options_.aggregationCacheSize, kAggregatesPerObject * buckets_.size());
  while (aggregates_.size() > capacity) {
    aggregates_.erase(aggregates_.find(*lru_.back()));  // not erase(key): the key lives in the node
    lru_.pop_back();
  }
}

}  // namespace aviary::kube
