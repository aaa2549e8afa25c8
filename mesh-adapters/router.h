// The seam between the controller and a mesh: one small interface, one implementation per provider
// (mesh-adapters/<provider>/), and a registry by provider name. A new mesh is a new folder and one
// registry line.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "operator/api/canary.h"
#include "operator/core/result.h"
#include "operator/kube/kube_client.h"

namespace aviary::mesh {

struct Weights {
  int primary = 100, canary = 0;
  bool operator==(const Weights&) const = default;
};

class Router {
 public:
  virtual ~Router() = default;
  // Creates the provider's routing objects for the canary's apex Service, or brings existing ones (also
  // ones the user wrote) to route `weights`, keeping fields the router does not manage. Writes only what
  // differs: calling it again with the same weights makes no API write. Thread-safe for distinct canaries.
  virtual Status reconcile(const api::Canary& canary, Weights weights) = 0;
  // The weights the routing objects carry now. NotFound before the first reconcile.
  virtual Result<Weights> weights(const api::Canary& canary) = 0;
  // Deletes the routing objects the router created (the canary is gone and revertOnDeletion is set).
  virtual Status finalize(const api::Canary& canary) = 0;
};

using RouterFactory = std::function<std::unique_ptr<Router>(kube::KubeClient&)>;

class RouterRegistry {
 public:
  void add(const std::string& provider, RouterFactory factory) { factories_[provider] = std::move(factory); }
  // An unknown provider is an error naming the known ones, never a silent fallback.
  Result<std::unique_ptr<Router>> create(const std::string& provider, kube::KubeClient& client) const;
  std::vector<std::string> providers() const;

 private:
  std::map<std::string, RouterFactory> factories_;
};

// Every router built so far.
RouterRegistry builtInRouters();

}  // namespace aviary::mesh
