// Discovery documents (KUBE-API.md §1): /version, /api, /apis, /api/v1, /apis/<group>/<version>.
#pragma once

#include <optional>
#include <string>

#include "sandbox/api/resource_registry.h"

namespace aviary::sandbox {

Json versionInfo();
Json coreApiVersions(const std::string& serverAddress);
Json apiGroupList(const ResourceRegistry& registry);
// nullopt when no served kind has that group/version.
std::optional<Json> apiResourceList(const ResourceRegistry& registry, const std::string& group,
                                    const std::string& version);

}  // namespace aviary::sandbox
