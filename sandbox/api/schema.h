// Structural OpenAPI v3 schemas of CustomResourceDefinitions (KUBE-API.md §10): validates an object,
// applies defaults and prunes unknown fields (unless x-kubernetes-preserve-unknown-fields), reporting
// errors with the field paths and wording the real API server uses.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace aviary::sandbox {

using Json = nlohmann::json;

struct SchemaReport {
  std::vector<std::string> errors;  // "spec.stepWeight: Invalid value: \"x\": spec.stepWeight in body must be
                                    // of type integer: \"string\""
  std::vector<std::string> pruned;  // "spec.foo" — unknown fields that were removed
};

// Defaults and prunes `object` in place and validates it. apiVersion, kind and metadata are left alone.
SchemaReport applySchema(Json& object, const Json& schema);

}  // namespace aviary::sandbox
