// Which webhook URLs a Canary may name (docs/security.md): the URL comes from a tenant who can edit
// Canaries in one namespace, so by default it may only reach Services of that namespace
// ("name.ns", "name.ns.svc", "name.ns.svc.<cluster domain>") — Flagger's load tester next to the app
// works unchanged. Anything else must be allowed by the operator's --webhook-allow entries. A bare name
// ("loadtester") is refused: it would resolve in the operator's own namespace, not the tenant's.
#pragma once

#include <optional>
#include <string>

#include "operator/core/egress_policy.h"

namespace aviary::analysis {

// nullopt when the operator may call `url` for a Canary in namespace `ns`; else why not (naming the host
// only, never the rest of the URL).
std::optional<std::string> webhookUrlProblem(const std::string& url, const std::string& ns,
                                             const EgressAllowList& allowed);

}  // namespace aviary::analysis
