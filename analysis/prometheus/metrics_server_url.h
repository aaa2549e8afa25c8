// Checks a Canary's spec.metricsServer before the operator sends a query there: an http(s) URL without
// credentials, query or fragment, whose host the operator's egress allow-list admits (egress_policy.h).
#pragma once

#include <optional>
#include <string>

#include "operator/core/egress_policy.h"

namespace aviary::analysis {

// The host of an http:// or https:// URL (IPv6 without brackets); nullopt when `url` is not one.
std::optional<std::string> urlHost(const std::string& url);

// nullopt when the operator may query `url`; else why not (for the InvalidSpec message).
std::optional<std::string> metricsServerProblem(const std::string& url, const EgressAllowList& allowed);

}  // namespace aviary::analysis
