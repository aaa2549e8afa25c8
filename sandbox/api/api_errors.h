// The API server's errors, with the codes, reasons and wording of the real one (KUBE-API.md §6).
#pragma once

#include <string>

#include "operator/core/error.h"
#include "operator/core/result.h"
#include "sandbox/api/resource_registry.h"

namespace aviary::sandbox {

Error apiError(ErrorCode code, int httpStatus, const std::string& reason, const std::string& message);
// A request body as JSON, or 400 BadRequest.
Result<Json> parseJsonBody(const std::string& body);
// 404: deployments.apps "x" not found
Error notFoundError(const ResourceKind& kind, const std::string& name);
// 409: Operation cannot be fulfilled on … the object has been modified; …
Error conflictError(const ResourceKind& kind, const std::string& name);
// 422: Kind.group "name" is invalid: detail
Error invalidError(const ResourceKind& kind, const std::string& name, const std::string& detail);

}  // namespace aviary::sandbox
