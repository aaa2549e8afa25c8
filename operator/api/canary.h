// The Canary resource (aviary.io/v1beta1) as C++ types: Flagger's spec field for field, with defaults
// applied, plus the status Aviary writes. Decoding reports field paths; semantic validation goes beyond
// what the CRD's schema can express. No I/O here.
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "operator/api/router_capabilities.h"
#include "operator/api/traffic_scope.h"

namespace aviary::api {

using Json = nlohmann::json;

inline constexpr char kGroup[] = "aviary.io";
inline constexpr char kVersion[] = "v1beta1";

// Bounds on what a Canary may ask for, in the CRD and in decoding (a tenant must not be able to make the
// operator overflow time arithmetic or hold unbounded lists): every duration (analysis and metric
// intervals, webhook timeouts, progressDeadlineSeconds) at most 24 h, lists at most these many entries.
inline constexpr std::chrono::hours kMaxDuration{24};
inline constexpr std::size_t kMaxMetrics = 32, kMaxWebhooks = 32, kMaxAlerts = 16, kMaxStepWeights = 100,
                             kMaxHostsOrGateways = 32, kMaxMapEntries = 64;

struct ObjectRef {
  std::string apiVersion, kind, name, ns;  // ns: templateRef/providerRef only (empty = the canary's)
};

// spec.autoscalerRef: the target's autoscaler, which Aviary copies for the primary ("<name>-primary").
struct AutoscalerRef : ObjectRef {
  // primaryScalerReplicas: the copy's minReplicas/maxReplicas instead of the target's (each optional).
  std::optional<int> primaryMinReplicas, primaryMaxReplicas;
};

struct ThresholdRange {
  std::optional<double> min, max;
};

struct MetricCheck {
  std::string name;
  std::chrono::milliseconds interval{60'000};  // the query window ({{ interval }})
  std::string intervalText = "1m";
  ThresholdRange range;
  std::string query;  // deprecated inline PromQL (Flagger's metrics[].query)
  std::optional<ObjectRef> templateRef;
  std::map<std::string, std::string> templateVariables;
  bool builtIn() const { return !templateRef && query.empty(); }
};

// Flagger's webhook types (the CRD's enum; "" decodes as rollout).
inline constexpr const char* kWebhookTypes[] = {
    "confirm-rollout",   "pre-rollout",  "rollout", "confirm-traffic-increase",
    "confirm-promotion", "post-rollout", "event",   "rollback"};

struct Webhook {
  std::string type = "rollout", name, url;
  std::chrono::milliseconds timeout{10'000};  // per attempt
  int retries = 0;                            // further attempts on connection failures, 429, 5xx
  bool disableTLS = false;                    // skip certificate verification
  bool muteAlert = false;                     // a failure of this hook sends no alert
  std::map<std::string, std::string> metadata;
};

struct Alert {
  std::string name, severity = "info";  // empty severity means info (Flagger's defect fixed)
  ObjectRef providerRef;
};

struct CustomMetadata {
  std::map<std::string, std::string> labels, annotations;
};

// Label and annotation keys whose stored value Aviary never changes or removes on the Services it writes,
// even when spec.service.{apex,primary,canary} name them; a key that is absent is still set from those
// (Flagger's spec.service.unmanagedMetadata).
struct UnmanagedMetadata {
  std::vector<std::string> labels, annotations;
};

struct ServiceSpec {
  std::string name;  // default: targetRef.name
  int port = 0;
  std::string portName = "http";
  Json targetPort;          // int or string; default: port
  std::string appProtocol;  // the ports' appProtocol on all three Services; empty: none
  bool portDiscovery = false;
  bool headless = false;    // the Services Aviary creates get clusterIP: None
  bool delegation = false;  // an Istio delegate VirtualService: no hosts, no gateways
  std::string timeout;
  std::vector<std::string> gateways, hosts;
  Json trafficPolicy, match, rewrite, retries, headers, corsPolicy;  // Istio shapes, passed through
  Json gatewayRefs = Json::array();   // Gateway API ParentReferences of the HTTPRoute (empty: GAMMA)
  std::string meshName;               // App Mesh: the mesh of the VirtualNodes and VirtualServices
  std::vector<std::string> backends;  // App Mesh: the VirtualServices the pods call (names or ARNs)
  CustomMetadata apex, primary, canary;
  UnmanagedMetadata unmanagedMetadata;
};

// Aviary's own (issue 13, docs/analysis.md): anytime-valid comparisons of the canary with the primary,
// off unless spec.analysis.sequential is set, so Flagger's semantics are unchanged by default.
struct SequentialSpec {
  bool errorRate = false;           // compare the arms' 5xx rates
  std::optional<double> latencyMs;  // compare the arms' shares of requests slower than this bucket bound (ms)
  double alpha = 0.01;              // bound on the probability of a false rollback, over the whole analysis
  double tolerance = 0;             // relative: the canary may be worse by this factor (0.1 = 10%) unjudged
  // Verify the canary's share of requests against its weight. Off by default: it assumes every request to
  // the canary's workload comes through the weighted route (a load tester calling <name>-canary directly,
  // as Flagger's tutorial does, breaks that).
  bool trafficSplit = false;
};

// spec.analysis.sessionAffinity (Flagger's field): a user whose request reached the canary during the
// analysis keeps reaching it. The router sets a cookie on the canary's responses and sends requests that
// carry it to the canary; the cookie's attributes follow RFC 6265 §4.1.2.
struct SessionAffinitySpec {
  std::string cookieName;         // required; an RFC 6265 token
  std::string primaryCookieName;  // optional: users who reached the primary stay on it for one interval
  int maxAgeSeconds = 86400;      // the canary cookie's Max-Age (0 in the spec: this default, as Flagger)
  std::string domain, path, sameSite;
  bool httpOnly = false, secure = false, partitioned = false;
};

struct AnalysisSpec {
  std::chrono::milliseconds interval{60'000};
  std::string intervalText = "1m";
  int threshold = 1;
  int maxWeight = 100;
  bool maxWeightSet = false;  // given in the spec (it is ignored, with a warning, when stepWeights is set)
  int stepWeight = 0;
  std::vector<int> stepWeights;
  int stepWeightPromotion = 0;  // 0: route back to the primary in one step
  int iterations = 0;
  // Aviary's own: blue/green and A/B checks after the switch to the canary, before the primary is
  // promoted; a failure switches back at once.
  int postPromotionIterations = 0;
  bool mirror = false;
  int mirrorWeight = 0;
  int primaryReadyThreshold = 100, canaryReadyThreshold = 100;
  Json match;  // A/B header/cookie conditions
  std::vector<MetricCheck> metrics;
  std::vector<Webhook> webhooks;
  std::vector<Alert> alerts;
  std::optional<SequentialSpec> sequential;
  std::optional<SessionAffinitySpec> sessionAffinity;
};

struct CanarySpec {
  std::string provider;       // empty: the operator's default
  std::string metricsServer;  // empty: the operator's default
  ObjectRef targetRef;
  std::optional<AutoscalerRef> autoscalerRef;
  ServiceSpec service;
  AnalysisSpec analysis;
  int progressDeadlineSeconds = 600;
  bool skipAnalysis = false;
  bool suspend = false;
  bool revertOnDeletion = false;
  // Accepted but not built yet: what the Ready condition reports (e.g. "spec.analysis.webhooks").
  std::vector<std::string> unsupported;
};

enum class Phase {
  None,
  Initializing,
  Initialized,
  Waiting,
  Progressing,
  WaitingPromotion,
  Promoting,
  Finalising,
  Succeeded,
  Failed,
  Terminating,
  Terminated,
};
const char* phaseName(Phase p);
Phase phaseFromName(const std::string& name);

struct Condition {
  std::string type, status = "Unknown", reason, message;
  long long observedGeneration = 0;
  std::string lastUpdateTime, lastTransitionTime;
};

struct MetricResult {
  std::string name;
  std::optional<double> value;  // nullopt: no data (a failed check)
  ThresholdRange range;
  bool passed = false;
  std::string message;
};

// One sequential test's running state (status.sequential), so a restarted operator resumes it.
struct SequentialTestStatus {
  double canaryRequests = 0, canaryBad = 0, primaryRequests = 0, primaryBad = 0;  // since the analysis began
  std::vector<double> logLikelihoodRatios, logLikelihoodRatiosLess;  // per alternative (split: both sides)
  double evidence = 1;
  std::string message;
  bool operator==(const SequentialTestStatus&) const = default;
};

struct SequentialStatus {
  std::string revision;  // the lastAppliedSpec the tests belong to (a new revision starts them afresh)
  // The cumulative counters at the last look, by "canary.requests", "primary.errors", "canary.slow", …
  std::map<std::string, double> counters;
  int weight = 0;  // the canary's weight when they were read (the next batch starts at it)
  std::optional<SequentialTestStatus> errorRate, latency, trafficSplit;
  bool operator==(const SequentialStatus&) const = default;
};

// An operator's request from `kubectl aviary` (Aviary's own; status.request): written to the status
// subresource so that no GitOps tool reverts it, acted on once by the operator, then moved to
// status.lastRequest with what came of it.
struct OperatorRequest {
  std::string action;       // promote | abort | retry | pause | resume
  std::string id;           // unique per request: the same id is acted on once
  std::string requestedBy;  // the user the API server named to the client (SelfSubjectReview), or "unknown"
  std::string requestedAt;  // RFC 3339
  // Once handled (status.lastRequest):
  std::string handledAt;  // RFC 3339
  std::string outcome;    // Done | Ignored
  std::string message;    // what was done, or why nothing was
  bool operator==(const OperatorRequest&) const = default;
};
inline constexpr const char* kRequestActions[] = {"promote", "abort", "retry", "pause", "resume"};

struct CanaryStatus {
  Phase phase = Phase::None;
  int canaryWeight = 0;
  // The share the routes really give the canary when it differs from canaryWeight (a replica ratio:
  // 1 canary pod beside 2 primary ones is 33 for a weight of 25), percent; nullopt when they are equal.
  std::optional<int> achievedWeight;
  int failedChecks = 0;
  int iterations = 0;
  std::string lastAppliedSpec, lastPromotedSpec;
  std::string lastTransitionTime;  // RFC 3339
  long long observedGeneration = 0;
  std::map<std::string, std::string> trackedConfigs;  // "configmap/name" → checksum
  std::string analysisTime, analysisMessage;
  std::vector<MetricResult> analysisMetrics;
  std::optional<SequentialStatus> sequential;
  std::vector<Condition> conditions;
  // spec.analysis.sessionAffinity's cookies, "name=value" (Flagger's status fields): the canary's while it
  // gets traffic; the last run's, which requests still carrying it are told to drop; the primary's.
  std::string sessionAffinityCookie, previousSessionAffinityCookie, primarySessionAffinityCookie;
  std::optional<OperatorRequest> request, lastRequest;
  bool paused = false;  // by `kubectl aviary pause`: no step is taken until resume (Aviary's own)

  const Condition* condition(const std::string& type) const;
  // Sets a condition, keeping lastTransitionTime unless its status changes.
  void setCondition(Condition c, const std::string& now);
};

struct Canary {
  std::string ns, name, uid, resourceVersion;
  long long generation = 0;
  bool deleting = false;
  std::vector<std::string> finalizers;
  CanarySpec spec;
  CanaryStatus status;

  std::string apexName() const { return spec.service.name.empty() ? spec.targetRef.name : spec.service.name; }
  std::string primaryName() const { return spec.targetRef.name + "-primary"; }
  std::string primaryServiceName() const { return apexName() + "-primary"; }
  std::string canaryServiceName() const { return apexName() + "-canary"; }
  std::string key() const { return ns + "/" + name; }
};

struct FieldError {
  std::string path, message;
  std::string describe() const { return path + ": " + message; }
};

struct DecodeResult {
  Canary canary;
  std::vector<FieldError> errors;  // non-empty: the spec is invalid
};

// Decodes a Canary object (as the API server returns it), applying Flagger's defaults. Every problem is
// reported with its field path; decoding continues past errors so a user sees them all at once.
DecodeResult decodeCanary(const Json& object);
// What the operator's administrator allows Canaries to ask for (flags of the aviary binary).
struct ValidationPolicy {
  std::map<std::string, RouterCapabilities> providers;  // by name: the providers the operator has
  TrafficScopePolicy trafficScope;                      // hosts and gateways outside the Canary's namespace
  bool inlineQueries = true;  // metrics[].query (PromQL against the shared Prometheus)
};

// Checks what a schema cannot (or what an older CRD left in place did not): names that Kubernetes accepts
// in the referenced kind and that stay valid with Aviary's suffixes ("-primary", "-canary"), step weights
// increasing (maxWeight does not bound them, as in Flagger), a known provider able to carry out the
// strategy asked for (weights, iterations, match, mirror), intervals, hosts and gateways
// inside namespace `ns` unless allowed, inline queries only when allowed.
std::vector<FieldError> validateCanary(const CanarySpec& spec, const std::string& ns,
                                       const ValidationPolicy& policy);

Json encodeStatus(const CanaryStatus& status);
CanaryStatus decodeStatus(const Json& status);

// sha256 (hex) of the canonical JSON of `value` (keys sorted, no spaces): stable across operator
// versions and key orders, so a restart or an upgrade never mistakes an old revision for a new one.
std::string canonicalHash(const Json& value);
// HMAC-SHA256 (RFC 2104, hex) of the canonical JSON of `value` under `key`: a checksum that can be shown
// (status, pod annotations) without letting a reader test guesses of a low-entropy value offline.
std::string canonicalHmac(const std::string& key, const Json& value);

}  // namespace aviary::api
