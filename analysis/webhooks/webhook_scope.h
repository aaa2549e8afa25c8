// Which webhook URLs a Canary may name (docs/security.md): the URL comes from a tenant who can edit
// Canaries in one namespace, so by default it may only reach Services of that namespace
// ("name.ns", "name.ns.svc", "name.ns.svc.cluster.local") — Flagger's load tester next to the app
// works unchanged; the short forms are called by their full cluster-local name (clusterLocalUrl). Anything
// else must be allowed by the operator's --webhook-allow entries. A bare name
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

// `url` with a host of the short Service forms ("name.ns", "name.ns.svc") spelled out as
// "name.ns.svc.cluster.local" (the cluster domain Kubernetes defaults to), so a namespace named like a
// public top-level domain cannot send the call to the internet; any other URL unchanged.
std::string clusterLocalUrl(const std::string& url, const std::string& ns);

}  // namespace aviary::analysis
