#include "operator/core/error.h"

namespace aviary {

std::string_view errorCodeName(ErrorCode code) {
  switch (code) {
    case ErrorCode::NotFound:
      return "NotFound";
    case ErrorCode::AlreadyExists:
      return "AlreadyExists";
    case ErrorCode::Conflict:
      return "Conflict";
    case ErrorCode::Gone:
      return "Gone";
    case ErrorCode::Invalid:
      return "Invalid";
    case ErrorCode::BadRequest:
      return "BadRequest";
    case ErrorCode::Unauthorized:
      return "Unauthorized";
    case ErrorCode::Forbidden:
      return "Forbidden";
    case ErrorCode::MethodNotAllowed:
      return "MethodNotAllowed";
    case ErrorCode::UnsupportedMediaType:
      return "UnsupportedMediaType";
    case ErrorCode::TooManyRequests:
      return "TooManyRequests";
    case ErrorCode::ServerError:
      return "ServerError";
    case ErrorCode::Timeout:
      return "Timeout";
    case ErrorCode::Unavailable:
      return "Unavailable";
    case ErrorCode::Cancelled:
      return "Cancelled";
    case ErrorCode::Decode:
      return "Decode";
    case ErrorCode::Config:
      return "Config";
    case ErrorCode::Internal:
      return "Internal";
  }
  return "Unknown";
}

std::string Error::describe() const {
  std::string out(errorCodeName(code));
  if (httpStatus != 0) out += " (HTTP " + std::to_string(httpStatus) + ")";
  if (!message.empty()) out += ": " + message;
  return out;
}

bool Error::isTransient() const {
  switch (code) {
    case ErrorCode::TooManyRequests:
    case ErrorCode::ServerError:
    case ErrorCode::Timeout:
    case ErrorCode::Unavailable:
      return true;
    default:
      return false;
  }
}

Error makeError(ErrorCode code, std::string message) {
  Error e;
  e.code = code;
  e.message = std::move(message);
  return e;
}

}  // namespace aviary
