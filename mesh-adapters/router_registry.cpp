#include "mesh-adapters/istio/istio_router.h"
#include "mesh-adapters/router.h"

namespace aviary::mesh {

Result<std::unique_ptr<Router>> RouterRegistry::create(const std::string& provider,
                                                       kube::KubeClient& client) const {
  auto it = factories_.find(provider);
  if (it == factories_.end()) {
    std::string known;
    for (const auto& p : providers()) known += (known.empty() ? "" : ", ") + p;
    return Error{ErrorCode::Invalid, "unknown provider \"" + provider + "\" (known: " + known + ")"};
  }
  return it->second(client);
}

std::vector<std::string> RouterRegistry::providers() const {
  std::vector<std::string> out;
  for (const auto& [name, _] : factories_) out.push_back(name);
  return out;
}

RouterRegistry builtInRouters() {
  RouterRegistry r;
  r.add("istio", [](kube::KubeClient& client) { return std::make_unique<istio::IstioRouter>(client); });
  return r;
}

}  // namespace aviary::mesh
