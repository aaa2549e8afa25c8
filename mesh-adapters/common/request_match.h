// spec.analysis.match and spec.service.match are Istio HTTPMatchRequest lists (Flagger's shape):
//   [{headers: {x-canary: {exact: insider}}, uri: {prefix: /api}, method: {exact: GET}}, …]
// Each condition is read once into this neutral form, which the Gateway API and App Mesh routers render in
// their own shapes. Istio's own router passes the conditions through unchanged.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "operator/core/result.h"
#include "operator/kube/kube_client.h"

namespace aviary::mesh {

struct StringCondition {
  enum class Kind { Exact, Prefix, Suffix, Regex } kind = Kind::Exact;
  std::string value;
};

struct RequestCondition {
  std::vector<std::pair<std::string, StringCondition>> headers;  // header name (as given) → condition
  std::optional<StringCondition> uri;
  std::optional<std::string> method;  // exact only
};

// Invalid naming the first unsupported part (a queryParams, scheme or authority match; a condition that is
// not exact/prefix/suffix/regex).
Result<std::vector<RequestCondition>> parseRequestMatches(const kube::Json& match);

// The condition as an anchored regular expression (RE2 syntax): Gateway API header matches have no prefix
// or suffix type.
std::string asRegex(const StringCondition& c);

}  // namespace aviary::mesh
