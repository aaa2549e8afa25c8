// A KubeClient over a map in memory, for micro-benchmarks of code above the client (a router converging
// its objects through the write-through cache) with no HTTP or API server in the measurement. Objects are
// kept as given, with a resourceVersion counter; an update with a stale resourceVersion conflicts. Not a
// sandbox: no schema, no admission, no watch, no patch, and
// every list answers NotFound (a type not served). Single-threaded use.
#pragma once

#include <map>
#include <string>

#include "operator/kube/kube_client.h"

namespace aviary::testing {

class MemoryKubeClient : public kube::KubeClient {
 public:
  Result<kube::Json> get(const kube::ResourceType& t, const std::string& ns, const std::string& name,
                         const std::string& = "") override {
    auto it = objects_.find(key(t, ns, name));
    if (it == objects_.end()) return Error{ErrorCode::NotFound, name + " not found"};
    return it->second;
  }
  Result<kube::Json> list(const kube::ResourceType&, const std::string&,
                          const kube::ListOptions& = {}) override {
    // As an API server that does not serve the type (EndpointSlices: nothing to wait for).
    return Error{ErrorCode::NotFound, "MemoryKubeClient lists nothing"};
  }
  Result<kube::Json> create(const kube::ResourceType& t, const std::string& ns,
                            const kube::Json& object) override {
    const std::string k = key(t, ns, object["metadata"].value("name", ""));
    if (objects_.count(k)) return Error{ErrorCode::AlreadyExists, k + " exists"};
    return store(k, object);
  }
  Result<kube::Json> update(const kube::ResourceType& t, const std::string& ns, const kube::Json& object,
                            const std::string& = "") override {
    const std::string k = key(t, ns, object["metadata"].value("name", ""));
    auto it = objects_.find(k);
    if (it == objects_.end()) return Error{ErrorCode::NotFound, k + " not found"};
    if (kube::resourceVersionOf(object) != kube::resourceVersionOf(it->second))
      return Error{ErrorCode::Conflict, k + " changed"};
    return store(k, object);
  }
  Result<kube::Json> patch(const kube::ResourceType&, const std::string&, const std::string&, kube::PatchType,
                           const kube::Json&, const std::string& = "", const std::string& = "") override {
    return Error{ErrorCode::Internal, "MemoryKubeClient does not patch"};
  }
  Result<kube::Json> remove(const kube::ResourceType& t, const std::string& ns, const std::string& name,
                            const kube::DeleteOptions& = {}) override {
    return objects_.erase(key(t, ns, name)) ? Result<kube::Json>(kube::Json::object())
                                            : Result<kube::Json>(Error{ErrorCode::NotFound, name});
  }
  Result<std::unique_ptr<kube::WatchStream>> watch(const kube::ResourceType&, const std::string&,
                                                   const kube::WatchOptions&) override {
    return Error{ErrorCode::Internal, "MemoryKubeClient does not watch"};
  }

 private:
  static std::string key(const kube::ResourceType& t, const std::string& ns, const std::string& name) {
    return t.group + "/" + t.plural + "/" + ns + "/" + name;
  }
  kube::Json store(const std::string& k, kube::Json object) {
    object["metadata"]["resourceVersion"] = std::to_string(++version_);
    objects_[k] = object;
    return object;
  }
  std::map<std::string, kube::Json> objects_;
  long long version_ = 0;
};

}  // namespace aviary::testing
