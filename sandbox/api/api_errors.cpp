#include "sandbox/api/api_errors.h"

namespace aviary::sandbox {

Error apiError(ErrorCode code, int httpStatus, const std::string& reason, const std::string& message) {
  Error e = makeError(code, message);
  e.httpStatus = httpStatus;
  e.reason = reason;
  return e;
}

Result<Json> parseJsonBody(const std::string& body) {
  Json j = Json::parse(body, nullptr, false);
  if (j.is_discarded()) {
    return apiError(ErrorCode::BadRequest, 400, "BadRequest", "the body of the request is not valid JSON");
  }
  return j;
}

Error notFoundError(const ResourceKind& kind, const std::string& name) {
  return apiError(ErrorCode::NotFound, 404, "NotFound", kind.qualified() + " \"" + name + "\" not found");
}

Error conflictError(const ResourceKind& kind, const std::string& name) {
  return apiError(
      ErrorCode::Conflict, 409, "Conflict",
      "Operation cannot be fulfilled on " + kind.qualified() + " \"" + name +
          "\": the object has been modified; please apply your changes to the latest version and try again");
}

Error invalidError(const ResourceKind& kind, const std::string& name, const std::string& detail) {
  return apiError(
      ErrorCode::Invalid, 422, "Invalid",
      kind.kind + (kind.group.empty() ? "" : "." + kind.group) + " \"" + name + "\" is invalid: " + detail);
}

}  // namespace aviary::sandbox
