// Safe request targets for the Kubernetes REST API. Names and namespaces often come from a tenant's
// Canary (targetRef.name, autoscalerRef.name, service.name) or Deployment (the ConfigMaps it mounts); they
// must never change which request is sent. Each path segment is checked against Kubernetes' own rule for
// names in paths and percent-encoded (RFC 3986), and the transport refuses any target or header value that
// could end the request line or a header early (CR, LF, NUL, spaces: HTTP request smuggling).
//
// Source of the segment rule: k8s.io/apimachinery/pkg/api/validation/path (IsValidPathSegmentName):
// a name may not be "." or "..", and may not contain "/" or "%".
#pragma once

#include <string>
#include <string_view>

#include "operator/core/result.h"

namespace aviary::kube {

// The segment percent-encoded. Errors: Invalid when it is empty, "." or "..", or contains '/', '%' or a
// byte outside printable ASCII; `what` names the segment in the message ("name", "namespace").
Result<std::string> encodePathSegment(std::string_view segment, std::string_view what);

// Checks a whole request target ("/api/v1/...?a=b") before it is written on the wire: it starts with '/',
// holds only printable ASCII other than space, '#' and '"', and at most one '?'. Errors: Invalid.
Status checkRequestTarget(std::string_view target);

// Checks a header value: no CR, LF or NUL (or any other control byte but tab). Errors: Invalid.
Status checkHeaderValue(std::string_view header, std::string_view value);

}  // namespace aviary::kube
