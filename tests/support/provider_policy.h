// The capabilities of the built-in providers named, as validation is given them by the operator
// (mesh-adapters' registry, so the tests validate against what the routers really can do).
#pragma once

#include <map>
#include <string>
#include <vector>

#include "mesh-adapters/router.h"

namespace aviary::testing {

inline std::map<std::string, api::RouterCapabilities> providersNamed(const std::vector<std::string>& names) {
  const auto all = mesh::builtInRouters().capabilities();
  std::map<std::string, api::RouterCapabilities> out;
  for (const auto& n : names) out[n] = all.at(n);
  return out;
}

}  // namespace aviary::testing

namespace aviary::testing {

// The built-in checks' queries of a built-in provider, by metric name.
inline std::map<std::string, std::string> builtInQueriesOf(const std::string& provider) {
  const auto registry = mesh::builtInRouters();
  const auto* d = registry.find(provider);
  return d ? d->builtInQueries : std::map<std::string, std::string>{};
}

}  // namespace aviary::testing
