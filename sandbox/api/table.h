// Server-side printing for `kubectl get` (KUBE-API.md §5): Table responses with the kind's columns,
// ages computed by the server and a PartialObjectMetadata per row.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "sandbox/api/resource_registry.h"

namespace aviary::sandbox {

// Kubernetes' HumanDuration: 45s, 3m20s, 95m, 5h12m, 30h, 3d4h, 200d, 2y30d…
std::string humanDuration(std::chrono::seconds d);

Json tableColumns(const ResourceKind& kind);
Json tableRow(const ResourceKind& kind, const Json& object, std::chrono::system_clock::time_point now);
// A Table with the given rows (each from tableRow).
Json table(const ResourceKind& kind, const std::vector<Json>& objects, const std::string& resourceVersion,
           bool withColumns, std::chrono::system_clock::time_point now);
// True when the Accept header asks for a Table.
bool wantsTable(const std::string& accept);

}  // namespace aviary::sandbox
