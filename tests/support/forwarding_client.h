// A KubeClient that passes every call to another: tests derive from it and override the calls they
// count, delay or interleave with something else.
#pragma once

#include "operator/kube/kube_client.h"

namespace aviary::testing {

class ForwardingClient : public kube::KubeClient {
 public:
  explicit ForwardingClient(kube::KubeClient& inner) : inner_(inner) {}
  Result<kube::Json> get(const kube::ResourceType& t, const std::string& ns, const std::string& name,
                         const std::string& sub = "") override {
    return inner_.get(t, ns, name, sub);
  }
  Result<kube::Json> list(const kube::ResourceType& t, const std::string& ns,
                          const kube::ListOptions& o = {}) override {
    return inner_.list(t, ns, o);
  }
  Result<kube::Json> create(const kube::ResourceType& t, const std::string& ns,
                            const kube::Json& object) override {
    return inner_.create(t, ns, object);
  }
  Result<kube::Json> update(const kube::ResourceType& t, const std::string& ns, const kube::Json& object,
                            const std::string& sub = "") override {
    return inner_.update(t, ns, object, sub);
  }
  Result<kube::Json> patch(const kube::ResourceType& t, const std::string& ns, const std::string& name,
                           kube::PatchType type, const kube::Json& patch, const std::string& sub = "",
                           const std::string& manager = "") override {
    return inner_.patch(t, ns, name, type, patch, sub, manager);
  }
  Result<kube::Json> remove(const kube::ResourceType& t, const std::string& ns, const std::string& name,
                            const kube::DeleteOptions& o = {}) override {
    return inner_.remove(t, ns, name, o);
  }
  Result<std::unique_ptr<kube::WatchStream>> watch(const kube::ResourceType& t, const std::string& ns,
                                                   const kube::WatchOptions& o) override {
    return inner_.watch(t, ns, o);
  }

 protected:
  kube::KubeClient& inner_;
};

}  // namespace aviary::testing
