// The typed error every fallible operation in Aviary returns: a code clients branch on,
// plus the HTTP status and the Kubernetes Status reason/message when the error came from an API server.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

namespace aviary {

enum class ErrorCode {
  NotFound,
  AlreadyExists,
  Conflict,
  Gone,  // 410: resourceVersion too old; informers relist
  Invalid,
  BadRequest,
  Unauthorized,
  Forbidden,
  MethodNotAllowed,
  UnsupportedMediaType,
  TooManyRequests,
  ServerError,
  Timeout,
  Unavailable,  // connection refused/reset, 503, DNS
  Cancelled,
  Decode,  // a body we could not parse
  Config,  // bad kubeconfig, flags, files
  Internal,
};

std::string_view errorCodeName(ErrorCode code);

struct Error {
  ErrorCode code = ErrorCode::Internal;
  std::string message;
  int httpStatus = 0;                  // 0 when the error did not come from an HTTP answer
  std::string reason;                  // Kubernetes Status.reason, e.g. "AlreadyExists"
  std::chrono::seconds retryAfter{0};  // from a Retry-After header, 0 when absent

  // "NotFound: deployments.apps \"x\" not found" — for logs and status messages.
  std::string describe() const;
  // Worth retrying the same request later (network, 5xx, 429, timeouts).
  bool isTransient() const;
};

Error makeError(ErrorCode code, std::string message);

}  // namespace aviary
