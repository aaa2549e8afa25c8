// Informer<T>: a Reflector feeding a Store<T> and change handlers. T is a projection of the object
// (a transform keeps only what the controller reads, to keep memory low); Json keeps it whole.
#pragma once

#include <algorithm>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>
#include <unordered_map>

#include "operator/kube/reflector.h"
#include "operator/kube/store.h"

namespace aviary::kube {

template <class T = Json>
class Informer final : private ReflectorSink {
 public:
  using Ptr = typename Store<T>::Ptr;
  using Transform = std::function<T(const Json&)>;
  // Handlers run on the informer's threads after the cache is updated; they must be thread-safe
  // and quick (typically: enqueue a key).
  struct Handlers {
    std::function<void(const Ptr&)> onAdd;
    std::function<void(const Ptr& before, const Ptr& after)> onUpdate;
    std::function<void(const Ptr&)> onDelete;
    // Optional; when set, called instead of onAdd and onUpdate, with the object as the list or watch
    // delivered it (before the transform) as well as its projection: for a handler that needs, at that
    // moment only, what the projection does not keep. The object lives only for the call. A resync
    // (setResyncPeriod) still calls onUpdate.
    std::function<void(const Json& delivered, const Ptr& after)> onDelivered;
  };

  Informer(KubeClient& client, ReflectorOptions options, Transform transform = {})
      : transform_(transform ? std::move(transform) : defaultTransform()),
        namespaced_(options.type.namespaced),
        reflector_(client, std::move(options), *this) {}
  ~Informer() { stop(); }

  void addIndex(const std::string& name, typename Store<T>::IndexFunc fn) {
    store_.addIndex(name, std::move(fn));
  }
  void addHandlers(Handlers handlers) {
    std::lock_guard lock(handlersMutex_);
    handlers_.push_back(std::move(handlers));
  }
  // Every `period`, onUpdate(obj, obj) for every cached object, so level-triggered controllers
  // revisit everything even when nothing changed. Zero disables. Call before start().
  void setResyncPeriod(std::chrono::milliseconds period) { resyncPeriod_ = period; }

  void start() {
    reflector_.start();
    if (resyncPeriod_.count() > 0 && !resyncThread_.joinable()) {
      resyncThread_ = std::thread([this] { resyncLoop(); });
    }
  }
  void stop() {
    {
      std::lock_guard lock(resyncMutex_);
      stopping_ = true;
    }
    resyncWake_.notify_all();
    reflector_.stop();
    if (resyncThread_.joinable()) resyncThread_.join();
  }
  bool hasSynced() const { return reflector_.hasSynced(); }
  bool waitForSync(std::chrono::milliseconds timeout) { return reflector_.waitForSync(timeout); }

  const Store<T>& store() const { return store_; }
  const Reflector& reflector() const { return reflector_; }

 private:
  static Transform defaultTransform() {
    if constexpr (std::is_same_v<T, Json>) {
      return [](const Json& j) { return j; };
    } else {
      return nullptr;  // a projection type needs a transform
    }
  }

  static std::string keyOf(const Json& object, bool namespaced) {
    const Json& meta = object["metadata"];
    return objectKey(namespaced ? meta.value("namespace", "") : std::string{}, meta.value("name", ""));
  }

  std::vector<Handlers> handlersSnapshot() {
    std::lock_guard lock(handlersMutex_);
    return handlers_;
  }

  void replace(std::vector<Json>&& items, const std::string&) override {
    auto handlers = handlersSnapshot();
    const bool wantsWhole =
        std::any_of(handlers.begin(), handlers.end(), [](const Handlers& h) { return bool(h.onDelivered); });
    std::unordered_map<std::string, Ptr> fresh;
    std::unordered_map<std::string, const Json*> delivered;  // for onDelivered; `items` outlives it
    fresh.reserve(items.size());
    if (wantsWhole) delivered.reserve(items.size());
    for (const auto& item : items) {
      std::string key = keyOf(item, namespaced_);
      fresh[key] = std::make_shared<const T>(transform_(item));
      if (wantsWhole) delivered[std::move(key)] = &item;
    }
    auto changes = store_.replace(std::move(fresh));
    for (const auto& change : changes) {
      for (const auto& h : handlers) {
        if (change.after && h.onDelivered) {
          h.onDelivered(*delivered.at(change.key), change.after);
        } else if (!change.before) {
          if (h.onAdd) h.onAdd(change.after);
        } else if (!change.after) {
          if (h.onDelete) h.onDelete(change.before);
        } else if (h.onUpdate) {
          h.onUpdate(change.before, change.after);
        }
      }
    }
  }

  void apply(WatchEvent&& event) override {
    std::string key = keyOf(event.object, namespaced_);
    auto handlers = handlersSnapshot();
    if (event.type == WatchEvent::Type::Deleted) {
      Ptr old = store_.erase(key);
      if (!old) old = std::make_shared<const T>(transform_(event.object));
      for (const auto& h : handlers) {
        if (h.onDelete) h.onDelete(old);
      }
      return;
    }
    Ptr fresh = std::make_shared<const T>(transform_(event.object));
    Ptr old = store_.upsert(key, fresh);
    for (const auto& h : handlers) {
      if (h.onDelivered) {
        h.onDelivered(event.object, fresh);
      } else if (!old) {
        if (h.onAdd) h.onAdd(fresh);
      } else if (h.onUpdate) {
        h.onUpdate(old, fresh);
      }
    }
  }

  void resyncLoop() {
    std::unique_lock lock(resyncMutex_);
    while (!resyncWake_.wait_for(lock, resyncPeriod_, [this] { return stopping_; })) {
      lock.unlock();
      auto handlers = handlersSnapshot();
      for (const auto& object : store_.list()) {
        for (const auto& h : handlers) {
          if (h.onUpdate) h.onUpdate(object, object);
        }
      }
      lock.lock();
    }
  }

  Transform transform_;
  bool namespaced_;
  Store<T> store_;
  std::mutex handlersMutex_;
  std::vector<Handlers> handlers_;
  std::chrono::milliseconds resyncPeriod_{0};
  std::mutex resyncMutex_;
  std::condition_variable resyncWake_;
  bool stopping_ = false;
  std::thread resyncThread_;
  Reflector reflector_;  // last: destroyed (and stopped) first
};

}  // namespace aviary::kube
