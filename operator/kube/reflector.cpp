#include "operator/kube/reflector.h"

#include <spdlog/spdlog.h>

namespace aviary::kube {

Reflector::Reflector(KubeClient& client, ReflectorOptions options, ReflectorSink& sink)
    : client_(client),
      options_(std::move(options)),
      sink_(sink),
      backoff_(options_.initialBackoff, options_.maxBackoff),
      rng_(std::random_device{}()) {}

Reflector::~Reflector() {
  stop();
}

void Reflector::start() {
  if (thread_.joinable()) return;
  thread_ = std::thread([this] { run(); });
}

void Reflector::stop() {
  {
    std::lock_guard lock(mutex_);
    if (stopping_.exchange(true) && !thread_.joinable()) return;
    if (current_) current_->cancel();
  }
  changed_.notify_all();
  if (thread_.joinable()) thread_.join();
}

bool Reflector::waitForSync(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  return changed_.wait_for(lock, timeout, [this] { return synced_.load() || stopping_.load(); }) && synced_;
}

std::string Reflector::lastResourceVersion() const {
  std::lock_guard lock(mutex_);
  return lastVersion_;
}

void Reflector::setVersion(const std::string& v) {
  std::lock_guard lock(mutex_);
  lastVersion_ = v;
}

bool Reflector::sleepFor(std::chrono::milliseconds d) {
  std::unique_lock lock(mutex_);
  changed_.wait_for(lock, d, [this] { return stopping_.load(); });
  return !stopping_;
}

Result<std::string> Reflector::listAndReplace() {
  ListOptions list;
  list.labelSelector = options_.labelSelector;
  list.fieldSelector = options_.fieldSelector;
  ++lists_;
  auto result = listAll(client_, options_.type, options_.ns, list, options_.pageSize);
  if (!result) return result.takeError();
  std::vector<Json> items;
  auto& array = (*result)["items"];
  items.reserve(array.size());
  for (auto& item : array) items.push_back(std::move(item));
  std::string version = resourceVersionOf(*result);
  sink_.replace(std::move(items), version);
  {
    std::lock_guard lock(mutex_);
    lastVersion_ = version;
    synced_ = true;
  }
  changed_.notify_all();
  return version;
}

Reflector::Next Reflector::watchOnce(const std::string& fromVersion) {
  WatchOptions watch;
  watch.labelSelector = options_.labelSelector;
  watch.fieldSelector = options_.fieldSelector;
  watch.resourceVersion = fromVersion;
  watch.allowBookmarks = true;
  std::uniform_int_distribution<long> spread(0, options_.minWatchTimeout.count());
  watch.timeoutSeconds = static_cast<int>(options_.minWatchTimeout.count() + spread(rng_));
  ++watches_;
  auto stream = client_.watch(options_.type, options_.ns, watch);
  if (!stream) {
    if (stream.error().code == ErrorCode::Gone) return Next::Relist;
    spdlog::warn("watch {}: {}", options_.type.qualifiedName(), stream.error().describe());
    return Next::Backoff;
  }
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return Next::Stop;
    current_ = stream->get();
  }
  Next next = Next::Rewatch;
  bool sawEvent = false;
  const auto started = std::chrono::steady_clock::now();
  while (true) {
    auto event = (*stream)->next();
    if (!event) {
      const Error& e = event.error();
      if (stopping_ || e.code == ErrorCode::Cancelled) {
        next = Next::Stop;
      } else if (e.code == ErrorCode::Gone) {
        spdlog::info("watch {}: {}; relisting", options_.type.qualifiedName(), e.message);
        next = Next::Relist;
      } else {
        spdlog::warn("watch {}: {}", options_.type.qualifiedName(), e.describe());
        next = Next::Backoff;
      }
      break;
    }
    if (!*event) break;  // normal close after timeoutSeconds
    sawEvent = true;
    WatchEvent& ev = **event;
    std::string version = resourceVersionOf(ev.object);
    if (ev.type != WatchEvent::Type::Bookmark) sink_.apply(std::move(ev));
    if (!version.empty()) setVersion(version);
  }
  {
    std::lock_guard lock(mutex_);
    current_ = nullptr;
  }
  if (sawEvent && next == Next::Backoff) backoff_.reset();  // the connection worked for a while
  // A server that ends every watch at once with nothing in it would make us spin: treat it as an error.
  if (next == Next::Rewatch && !sawEvent &&
      std::chrono::steady_clock::now() - started < std::chrono::seconds(1)) {
    return Next::Backoff;
  }
  if (next == Next::Rewatch) backoff_.reset();
  return next;
}

void Reflector::run() {
  bool needList = true;
  while (!stopping_) {
    if (needList) {
      auto listed = listAndReplace();
      if (!listed) {
        if (stopping_) return;
        auto delay = backoff_.next();
        spdlog::warn("list {}: {}; retrying in {} ms", options_.type.qualifiedName(),
                     listed.error().describe(), delay.count());
        if (!sleepFor(delay)) return;
        continue;
      }
      needList = false;
      backoff_.reset();
    }
    switch (watchOnce(lastResourceVersion())) {
      case Next::Stop:
        return;
      case Next::Rewatch:
        break;
      case Next::Relist:
        needList = true;
        break;
      case Next::Backoff:
        if (!sleepFor(backoff_.next())) return;
        break;
    }
  }
}

}  // namespace aviary::kube
