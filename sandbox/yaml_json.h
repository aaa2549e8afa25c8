// YAML manifests to JSON objects, as `kubectl apply -f` reads them (multi-document, files or folders).
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "operator/core/result.h"

namespace aviary::sandbox {

// Every non-empty document of a YAML text; plain scalars are typed (null, bool, int, float, string).
Result<std::vector<nlohmann::json>> yamlDocumentsToJson(const std::string& text,
                                                        const std::string& sourceName);
// A file, or every *.yaml / *.yml / *.json file of a folder (sorted by name).
Result<std::vector<nlohmann::json>> loadManifests(const std::string& fileOrDir);

}  // namespace aviary::sandbox
