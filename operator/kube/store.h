// The informer's thread-safe cache: objects keyed "namespace/name" (or "name" when cluster-scoped),
// held as immutable shared pointers so readers never copy or lock for long, with a namespace index
// and custom indexes.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <vector>

namespace aviary::kube {

inline std::string objectKey(const std::string& ns, const std::string& name) {
  return ns.empty() ? name : ns + "/" + name;
}
inline std::string namespaceOfKey(const std::string& key) {
  auto slash = key.find('/');
  return slash == std::string::npos ? std::string{} : key.substr(0, slash);
}

template <class T>
class Store {
 public:
  using Ptr = std::shared_ptr<const T>;
  using IndexFunc = std::function<std::vector<std::string>(const T&)>;
  static constexpr const char* kNamespaceIndex = "namespace";

  // Registers an index; call before the first object is stored.
  void addIndex(const std::string& name, IndexFunc fn) {
    std::unique_lock lock(mutex_);
    indexFuncs_[name] = std::move(fn);
  }

  Ptr get(const std::string& key) const {
    std::shared_lock lock(mutex_);
    auto it = items_.find(key);
    return it == items_.end() ? nullptr : it->second;
  }
  std::vector<Ptr> list() const {
    std::shared_lock lock(mutex_);
    std::vector<Ptr> out;
    out.reserve(items_.size());
    for (const auto& [k, v] : items_) out.push_back(v);
    return out;
  }
  std::vector<std::string> keys() const {
    std::shared_lock lock(mutex_);
    std::vector<std::string> out;
    out.reserve(items_.size());
    for (const auto& [k, v] : items_) out.push_back(k);
    return out;
  }
  // Objects whose index `name` yields `value` (the namespace index needs no registration).
  std::vector<Ptr> byIndex(const std::string& name, const std::string& value) const {
    std::shared_lock lock(mutex_);
    std::vector<Ptr> out;
    auto idx = indexes_.find(name);
    if (idx == indexes_.end()) return out;
    auto bucket = idx->second.find(value);
    if (bucket == idx->second.end()) return out;
    for (const auto& key : bucket->second) out.push_back(items_.at(key));
    return out;
  }
  std::size_t size() const {
    std::shared_lock lock(mutex_);
    return items_.size();
  }

  // Inserts or replaces; returns the previous object (null if none).
  Ptr upsert(const std::string& key, Ptr object) {
    std::unique_lock lock(mutex_);
    Ptr old;
    if (auto it = items_.find(key); it != items_.end()) {
      old = it->second;
      unindex(key, *old);
    }
    index(key, *object);
    items_[key] = std::move(object);
    return old;
  }
  // Removes; returns the removed object (null if absent).
  Ptr erase(const std::string& key) {
    std::unique_lock lock(mutex_);
    auto it = items_.find(key);
    if (it == items_.end()) return nullptr;
    Ptr old = std::move(it->second);
    items_.erase(it);
    unindex(key, *old);
    return old;
  }

  struct Change {
    std::string key;
    Ptr before;  // null: added
    Ptr after;   // null: deleted
  };
  // Makes the contents exactly `items`; returns what changed, so a relist reports deletes it missed.
  std::vector<Change> replace(std::unordered_map<std::string, Ptr>&& items) {
    std::unique_lock lock(mutex_);
    std::vector<Change> changes;
    for (auto& [key, old] : items_) {
      if (!items.count(key)) changes.push_back({key, old, nullptr});
    }
    for (auto& [key, fresh] : items) {
      auto it = items_.find(key);
      changes.push_back({key, it == items_.end() ? nullptr : it->second, fresh});
    }
    items_ = std::move(items);
    indexes_.clear();
    for (const auto& [key, object] : items_) index(key, *object);
    return changes;
  }

 private:
  void index(const std::string& key, const T& object) {
    indexes_[kNamespaceIndex][namespaceOfKey(key)].insert(key);
    for (const auto& [name, fn] : indexFuncs_) {
      for (const auto& value : fn(object)) indexes_[name][value].insert(key);
    }
  }
  void unindex(const std::string& key, const T& object) {
    eraseFrom(kNamespaceIndex, namespaceOfKey(key), key);
    for (const auto& [name, fn] : indexFuncs_) {
      for (const auto& value : fn(object)) eraseFrom(name, value, key);
    }
  }
  void eraseFrom(const std::string& index, const std::string& value, const std::string& key) {
    auto idx = indexes_.find(index);
    if (idx == indexes_.end()) return;
    auto bucket = idx->second.find(value);
    if (bucket == idx->second.end()) return;
    bucket->second.erase(key);
    if (bucket->second.empty()) idx->second.erase(bucket);
  }

  mutable std::shared_mutex mutex_;
  std::unordered_map<std::string, Ptr> items_;
  std::map<std::string, IndexFunc> indexFuncs_;
  std::unordered_map<std::string, std::unordered_map<std::string, std::set<std::string>>> indexes_;
};

}  // namespace aviary::kube
