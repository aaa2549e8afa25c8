#include "operator/kube/status_error.h"

#include "operator/core/json_field.h"
#include "operator/core/text_safety.h"

#include <nlohmann/json.hpp>

namespace aviary::kube {

ErrorCode errorCodeFor(int httpStatus, const std::string& reason) {
  if (reason == "NotFound") return ErrorCode::NotFound;
  if (reason == "AlreadyExists") return ErrorCode::AlreadyExists;
  if (reason == "Conflict") return ErrorCode::Conflict;
  if (reason == "Gone" || reason == "Expired") return ErrorCode::Gone;
  if (reason == "Invalid") return ErrorCode::Invalid;
  if (reason == "BadRequest") return ErrorCode::BadRequest;
  if (reason == "Unauthorized") return ErrorCode::Unauthorized;
  if (reason == "Forbidden") return ErrorCode::Forbidden;
  if (reason == "MethodNotAllowed") return ErrorCode::MethodNotAllowed;
  if (reason == "UnsupportedMediaType") return ErrorCode::UnsupportedMediaType;
  if (reason == "TooManyRequests") return ErrorCode::TooManyRequests;
  if (reason == "Timeout") return ErrorCode::Timeout;
  if (reason == "ServiceUnavailable") return ErrorCode::Unavailable;
  if (reason == "InternalError") return ErrorCode::ServerError;
  switch (httpStatus) {
    case 400:
      return ErrorCode::BadRequest;
    case 401:
      return ErrorCode::Unauthorized;
    case 403:
      return ErrorCode::Forbidden;
    case 404:
      return ErrorCode::NotFound;
    case 405:
      return ErrorCode::MethodNotAllowed;
    case 409:
      return ErrorCode::Conflict;
    case 410:
      return ErrorCode::Gone;
    case 415:
      return ErrorCode::UnsupportedMediaType;
    case 422:
      return ErrorCode::Invalid;
    case 429:
      return ErrorCode::TooManyRequests;
    case 503:
      return ErrorCode::Unavailable;
    case 504:
      return ErrorCode::Timeout;
    default:
      return httpStatus >= 500 ? ErrorCode::ServerError : ErrorCode::BadRequest;
  }
}

Error errorFromResponse(int httpStatus, const std::string& body, const std::string& retryAfter) {
  Error error;
  error.httpStatus = httpStatus;
  auto status = nlohmann::json::parse(body, nullptr, false);
  if (status.is_object() && fieldOr(status, "kind", "") == "Status") {
    error.reason = fieldOr(status, "reason", "");
    error.message = truncateText(fieldOr(status, "message", ""), kMaxExternalMessageBytes);
  } else {
    // Not a Status (a proxy's HTML page, plain text): keep the start of it for the message.
    error.message = truncateText(body, kMaxExternalMessageBytes);
  }
  if (error.message.empty()) error.message = "HTTP " + std::to_string(httpStatus);
  error.code = errorCodeFor(httpStatus, error.reason);
  if (!retryAfter.empty()) {
    try {
      error.retryAfter = std::chrono::seconds(std::stoll(retryAfter));
    } catch (const std::exception&) {
      // An HTTP-date Retry-After is legal but API servers send seconds; ignore what we cannot read.
    }
  }
  return error;
}

}  // namespace aviary::kube
