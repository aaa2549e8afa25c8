// The primary's HorizontalPodAutoscaler "<hpa>-primary": a copy of spec.autoscalerRef's HPA aimed at the
// primary Deployment. Pure JSON transform; no I/O.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "operator/api/canary.h"

namespace aviary::controller {

// The spec keys of "<hpa>-primary" that follow the target's HPA; other keys stay as others set them.
inline const std::vector<std::string> kPrimaryAutoscalerKeys = {"scaleTargetRef", "minReplicas",
                                                                "maxReplicas", "metrics", "behavior"};

// The desired "<hpa>-primary" (autoscaling/v2) for `canary`, copied from `hpa`, the target's HPA as stored:
// its metrics, behavior and replica bounds, scaling `canary.primaryName()`, with managed-by and owner
// metadata. spec.autoscalerRef.primaryScalerReplicas, when set, replaces minReplicas and/or maxReplicas
// (Flagger's override for a primary that needs other bounds than the canary).
nlohmann::json primaryAutoscaler(const api::Canary& canary, const nlohmann::json& hpa);

}  // namespace aviary::controller
