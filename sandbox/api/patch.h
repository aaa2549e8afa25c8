// The three patch formats an API server accepts (KUBE-API.md §3): JSON merge patch (RFC 7386), JSON
// patch (RFC 6902) and Kubernetes strategic merge patch for built-in types.
#pragma once

#include <nlohmann/json.hpp>

#include "operator/core/result.h"

namespace aviary::sandbox {

using Json = nlohmann::json;

Json applyMergePatch(const Json& original, const Json& patch);
// A failed `test`, a bad path or a malformed operation → Invalid (422).
Result<Json> applyJsonPatch(const Json& original, const Json& patch);
// Lists merge by key (containers/env/volumes… by name, container ports by containerPort, volumeMounts
// by mountPath, conditions by type, finalizers as a set); directives $patch, $setElementOrder/…,
// $retainKeys and $deleteFromPrimitiveList/… are honoured and never stored.
Result<Json> applyStrategicMergePatch(const Json& original, const Json& patch);

}  // namespace aviary::sandbox
