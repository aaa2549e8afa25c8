// Turns an API server's non-2xx answer (a metav1.Status body, or anything else) into a typed Error.
#pragma once

#include <string>

#include "operator/core/error.h"

namespace aviary::kube {

// `retryAfter` is the raw Retry-After header (seconds), or "".
Error errorFromResponse(int httpStatus, const std::string& body, const std::string& retryAfter);
// The code for a Status reason, falling back on the HTTP status when the reason is empty or unknown.
ErrorCode errorCodeFor(int httpStatus, const std::string& reason);

}  // namespace aviary::kube
