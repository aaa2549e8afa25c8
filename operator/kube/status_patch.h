// The status write as a JSON patch (RFC 6902; Kubernetes API reference, "Patch operations") instead of a
// PUT of the whole object: the object is neither copied nor sent whole for a status that changed a few
// fields, and the API server parses a body the size of the change.
#pragma once

#include <string>

#include "operator/kube/kube_client.h"

namespace aviary::kube {

// A JSON patch that turns `object`'s status (the object as last read: it must carry
// metadata.resourceVersion) into `status`, for the "status" subresource. It begins with a `test` of
// metadata.resourceVersion, so the write applies only to the version it was computed from: a Canary
// changed meanwhile fails the patch (422 Invalid, "testing value /metadata/resourceVersion failed"; the
// sandbox answers the same) where an update would have answered 409 Conflict, and nothing is written.
// An object without a status gets it added whole; otherwise the operations are the difference
// (nlohmann::json::diff), which is empty when nothing changed (the patch is then the test alone).
Json statusPatch(const Json& object, const Json& status);

}  // namespace aviary::kube
