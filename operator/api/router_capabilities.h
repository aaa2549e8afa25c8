// What a provider's router can do with traffic, as validation and the planner need to know it. Declared in
// operator/api (validation lives here) and filled by each provider's descriptor (mesh-adapters/router.h),
// so nothing outside mesh-adapters/ decides by a provider's name.
#pragma once

namespace aviary::api {

struct RouterCapabilities {
  // Splits the apex's requests by weight: progressive canaries (stepWeight, stepWeights).
  bool weighted = false;
  // The weights are a replica ratio: the apex selects both versions' pods and the canary's replica count
  // approximates its share (no mesh). The router owns the canary's replicas; promotion keeps the primary's.
  bool replicaRatio = false;
  // Switches all traffic at once by the apex Service's selector: blue/green (analysis.iterations) only.
  // Weights are 0 or 100.
  bool selectorSwitch = false;
  bool mirroring = false;        // analysis.mirror: copies of requests to the canary
  bool headerMatch = false;      // analysis.match: A/B testing by header, cookie or URI
  bool sessionAffinity = false;  // analysis.sessionAffinity
  // Mesh objects must exist before the pods start (App Mesh's sidecar injector reads its VirtualNode).
  bool meshObjectsBeforePods = false;
};

}  // namespace aviary::api
