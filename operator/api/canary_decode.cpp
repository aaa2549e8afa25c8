// Canary JSON → C++ with Flagger's defaults; every type error is collected with its field path.
#include <algorithm>
#include <cctype>

#include "operator/api/canary.h"
#include "operator/api/field_reader.h"
#include "operator/core/json_field.h"

namespace aviary::api {
namespace {

using Reader = FieldReader;

ObjectRef decodeRef(Reader r) {
  ObjectRef ref;
  r.string("apiVersion", ref.apiVersion);
  r.string("kind", ref.kind);
  r.string("name", ref.name);
  r.string("namespace", ref.ns);
  if (ref.name.empty()) r.errors().push_back({r.path() + ".name", "is required"});
  return ref;
}

AutoscalerRef decodeAutoscalerRef(Reader r) {
  AutoscalerRef ref;
  static_cast<ObjectRef&>(ref) = decodeRef(r);
  Reader replicas = r.child("primaryScalerReplicas");
  auto optional = [&](const char* key, std::optional<int>& out, int min) {
    if (!replicas.has(key)) return;
    int value = 0;
    const std::size_t errorsBefore = replicas.errors().size();
    replicas.integer(key, value, min, 1'000'000);
    if (replicas.errors().size() == errorsBefore) out = value;
  };
  optional("minReplicas", ref.primaryMinReplicas, 0);
  optional("maxReplicas", ref.primaryMaxReplicas, 1);
  if (ref.primaryMinReplicas && ref.primaryMaxReplicas && *ref.primaryMinReplicas > *ref.primaryMaxReplicas) {
    replicas.fail("minReplicas", "must not exceed maxReplicas " + std::to_string(*ref.primaryMaxReplicas));
  }
  return ref;
}

CustomMetadata decodeMetadata(Reader r) {
  CustomMetadata m;
  r.stringMap("labels", m.labels);
  r.stringMap("annotations", m.annotations);
  return m;
}

void decodeService(Reader r, ServiceSpec& s, std::vector<std::string>& unsupported) {
  r.string("name", s.name);
  if (!r.has("port")) r.errors().push_back({r.at("port"), "is required"});
  r.integer("port", s.port, 1, 65535);
  r.string("portName", s.portName);
  if (r.has("targetPort")) {
    const Json& tp = r.raw("targetPort");
    if (tp.is_number_integer() || tp.is_string()) {
      s.targetPort = tp;
    } else {
      r.fail("targetPort", "must be a port number or name");
    }
  }
  if (s.targetPort.is_null()) s.targetPort = s.port;
  r.string("appProtocol", s.appProtocol);
  r.boolean("portDiscovery", s.portDiscovery);
  r.boolean("headless", s.headless);
  r.boolean("delegation", s.delegation);
  r.string("timeout", s.timeout);
  r.stringList("gateways", s.gateways, kMaxHostsOrGateways);
  r.stringList("hosts", s.hosts, kMaxHostsOrGateways);
  r.passthrough("trafficPolicy", s.trafficPolicy);
  r.passthrough("match", s.match);
  r.passthrough("rewrite", s.rewrite);
  r.passthrough("retries", s.retries);
  r.passthrough("headers", s.headers);
  r.passthrough("corsPolicy", s.corsPolicy);
  s.apex = decodeMetadata(r.child("apex"));
  s.primary = decodeMetadata(r.child("primary"));
  s.canary = decodeMetadata(r.child("canary"));
  Reader unmanaged = r.child("unmanagedMetadata");
  unmanaged.stringList("labels", s.unmanagedMetadata.labels, kMaxMapEntries);
  unmanaged.stringList("annotations", s.unmanagedMetadata.annotations, kMaxMapEntries);
  if (r.has("gatewayRefs")) {
    const Json& refs = r.raw("gatewayRefs");
    if (!refs.is_array()) {
      r.fail("gatewayRefs", "must be a list of parent references");
    } else if (refs.size() > kMaxHostsOrGateways) {
      r.tooMany("gatewayRefs", kMaxHostsOrGateways);
    } else {
      s.gatewayRefs = refs;
    }
  }
  r.string("meshName", s.meshName);
  r.stringList("backends", s.backends, kMaxHostsOrGateways);
  // Service fields Aviary does not write yet: reported, never dropped without a word.
  for (const char* later : {"trafficDistribution", "backendTimeout", "mirror"}) {
    if (r.has(later)) unsupported.push_back(r.at(later));
  }
}

void decodeAnalysis(Reader r, AnalysisSpec& a) {
  r.duration("interval", a.interval, a.intervalText);
  r.integer("threshold", a.threshold, 1, 1'000'000);
  r.integer("maxWeight", a.maxWeight, 0, 100);
  a.maxWeightSet = r.has("maxWeight");
  r.integer("stepWeight", a.stepWeight, 0, 100);
  r.integer("stepWeightPromotion", a.stepWeightPromotion, 0, 100);
  r.integer("iterations", a.iterations, 0, 1'000'000);
  r.integer("postPromotionIterations", a.postPromotionIterations, 0, 1'000'000);
  r.boolean("mirror", a.mirror);
  r.integer("mirrorWeight", a.mirrorWeight, 0, 100);
  r.integer("primaryReadyThreshold", a.primaryReadyThreshold, 0, 100);
  r.integer("canaryReadyThreshold", a.canaryReadyThreshold, 0, 100);
  r.passthrough("match", a.match);
  if (r.has("stepWeights")) {
    const Json& list = r.raw("stepWeights");
    if (!list.is_array()) {
      r.fail("stepWeights", "must be a list of integers");
    } else if (list.size() > kMaxStepWeights) {
      r.tooMany("stepWeights", kMaxStepWeights);
    } else {
      for (std::size_t i = 0; i < list.size(); ++i) {
        if (!list[i].is_number_integer() || list[i].get<long long>() < 0 || list[i].get<long long>() > 100) {
          r.errors().push_back(
              {r.at("stepWeights") + "[" + std::to_string(i) + "]", "must be an integer from 0 to 100"});
        } else {
          a.stepWeights.push_back(list[i].get<int>());
        }
      }
    }
  }
  r.each("metrics", kMaxMetrics, [&](Reader m) {
    MetricCheck check;
    m.string("name", check.name);
    if (check.name.empty()) r.errors().push_back({m.path() + ".name", "is required"});
    m.duration("interval", check.interval, check.intervalText);
    Reader range = m.child("thresholdRange");
    range.number("min", check.range.min);
    range.number("max", check.range.max);
    // Flagger's deprecated `threshold` is a maximum for custom queries and a minimum for success rates.
    std::optional<double> legacy;
    m.number("threshold", legacy);
    if (legacy && !check.range.min && !check.range.max) {
      (check.name == "request-success-rate" ? check.range.min : check.range.max) = legacy;
    }
    m.string("query", check.query);
    if (m.has("templateRef")) check.templateRef = decodeRef(m.child("templateRef"));
    m.stringMap("templateVariables", check.templateVariables);
    a.metrics.push_back(std::move(check));
  });
  r.each("webhooks", kMaxWebhooks, [&](Reader w) {
    Webhook hook;
    w.string("type", hook.type);
    if (hook.type.empty()) hook.type = "rollout";
    w.string("name", hook.name);
    w.string("url", hook.url);
    std::string timeoutText;
    w.duration("timeout", hook.timeout, timeoutText);
    w.integer("retries", hook.retries, 0, 1'000'000);
    w.boolean("disableTLS", hook.disableTLS);
    w.boolean("muteAlert", hook.muteAlert);
    w.stringMap("metadata", hook.metadata);
    a.webhooks.push_back(std::move(hook));
  });
  r.each("alerts", kMaxAlerts, [&](Reader al) {
    Alert alert;
    al.string("name", alert.name);
    al.string("severity", alert.severity);
    if (alert.severity.empty()) alert.severity = "info";
    alert.providerRef = decodeRef(al.child("providerRef"));
    a.alerts.push_back(std::move(alert));
  });
  if (r.has("sequential")) {
    Reader q = r.child("sequential");
    SequentialSpec sequential;
    q.boolean("errorRate", sequential.errorRate);
    q.number("latency", sequential.latencyMs);
    if (sequential.latencyMs && !(*sequential.latencyMs > 0))
      q.fail("latency", "must be a positive bound in ms");
    std::optional<double> alpha, tolerance;
    q.number("alpha", alpha);
    if (alpha && !(*alpha > 0 && *alpha <= 0.5)) q.fail("alpha", "must be above 0 and at most 0.5");
    if (alpha) sequential.alpha = *alpha;
    q.number("tolerance", tolerance);
    if (tolerance && !(*tolerance >= 0 && *tolerance <= 10)) q.fail("tolerance", "must be from 0 to 10");
    if (tolerance) sequential.tolerance = *tolerance;
    q.boolean("trafficSplit", sequential.trafficSplit);
    if (!sequential.errorRate && !sequential.latencyMs && !sequential.trafficSplit)
      r.fail("sequential", "enables nothing: set errorRate, latency or trafficSplit");
    a.sequential = sequential;
  }
  if (r.has("sessionAffinity")) {
    Reader sa = r.child("sessionAffinity");
    SessionAffinitySpec affinity;
    sa.string("cookieName", affinity.cookieName);
    sa.string("primaryCookieName", affinity.primaryCookieName);
    sa.integer("maxAge", affinity.maxAgeSeconds, 0, 400 * 86400);  // RFC 6265bis caps Max-Age at 400 days
    if (affinity.maxAgeSeconds == 0) affinity.maxAgeSeconds = 86400;
    sa.string("domain", affinity.domain);
    sa.string("path", affinity.path);
    sa.string("sameSite", affinity.sameSite);
    sa.boolean("httpOnly", affinity.httpOnly);
    sa.boolean("secure", affinity.secure);
    sa.boolean("partitioned", affinity.partitioned);
    a.sessionAffinity = affinity;
  }
}

}  // namespace

DecodeResult decodeCanary(const Json& object) {
  DecodeResult out;
  Canary& c = out.canary;
  const Json& meta = objectField(object, "metadata");
  c.ns = fieldOr(meta, "namespace", "");
  c.name = fieldOr(meta, "name", "");
  c.uid = fieldOr(meta, "uid", "");
  c.resourceVersion = fieldOr(meta, "resourceVersion", "");
  c.generation = fieldOr(meta, "generation", 0LL);
  c.deleting = meta.contains("deletionTimestamp") && !meta["deletionTimestamp"].is_null();
  for (const auto& f : arrayField(meta, "finalizers")) {
    if (f.is_string()) c.finalizers.push_back(f.get<std::string>());
  }
  c.status = decodeStatus(objectField(object, "status"));

  if (!object.contains("spec") || !object["spec"].is_object()) {
    out.errors.push_back({"spec", "is required"});
    return out;
  }
  Reader spec(object["spec"], "spec", out.errors);
  CanarySpec& s = c.spec;
  spec.string("provider", s.provider);
  spec.string("metricsServer", s.metricsServer);
  if (!spec.has("targetRef")) {
    out.errors.push_back({"spec.targetRef", "is required"});
  } else {
    s.targetRef = decodeRef(spec.child("targetRef"));
  }
  if (spec.has("autoscalerRef")) s.autoscalerRef = decodeAutoscalerRef(spec.child("autoscalerRef"));
  if (!spec.has("service")) {
    out.errors.push_back({"spec.service", "is required"});
  } else {
    decodeService(spec.child("service"), s.service, s.unsupported);
  }
  // Flagger's deprecated spec.canaryAnalysis is read when spec.analysis is absent (its GetAnalysis()).
  decodeAnalysis(
      spec.child(spec.has("analysis") || !spec.has("canaryAnalysis") ? "analysis" : "canaryAnalysis"),
      s.analysis);
  spec.integer("progressDeadlineSeconds", s.progressDeadlineSeconds, 1,
               static_cast<int>(std::chrono::seconds(kMaxDuration).count()));
  spec.boolean("skipAnalysis", s.skipAnalysis);
  spec.boolean("suspend", s.suspend);
  spec.boolean("revertOnDeletion", s.revertOnDeletion);
  for (const char* later : {"ingressRef", "routeRef", "upstreamRef"}) {
    if (spec.has(later)) s.unsupported.push_back(spec.at(later));
  }
  if (s.autoscalerRef && s.autoscalerRef->kind != "HorizontalPodAutoscaler") {
    s.unsupported.push_back("spec.autoscalerRef (kind " + s.autoscalerRef->kind + ")");
  }
  // Fields with a meaning that arrives in a later release: accepted, and reported instead of ignored.
  const AnalysisSpec& a = s.analysis;
  auto later = [&](bool set, const char* path) {
    if (set) s.unsupported.push_back(path);
  };
  later(s.service.portDiscovery, "spec.service.portDiscovery");
  std::string appProtocol = s.service.appProtocol;
  std::transform(appProtocol.begin(), appProtocol.end(), appProtocol.begin(),
                 [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
  // Flagger routes appProtocol tcp with L4 (tcp) routes instead of http ones; Aviary's routes are http.
  later(appProtocol == "tcp", "spec.service.appProtocol tcp (TCP routes)");
  later(a.stepWeightPromotion > 0, "spec.analysis.stepWeightPromotion");
  later(a.primaryReadyThreshold != 100 || a.canaryReadyThreshold != 100, "spec.analysis.*ReadyThreshold");
  return out;
}

}  // namespace aviary::api
