// Canary status ⇄ JSON, phases and conditions.
#include "operator/api/canary.h"
#include "operator/core/json_field.h"

namespace aviary::api {
namespace {

constexpr const char* kPhaseNames[] = {
    "",          "Initializing", "Initialized", "Waiting", "Progressing", "WaitingPromotion",
    "Promoting", "Finalising",   "Succeeded",   "Failed",  "Terminating", "Terminated"};

}  // namespace

const char* phaseName(Phase p) {
  return kPhaseNames[static_cast<int>(p)];
}

Phase phaseFromName(const std::string& name) {
  for (int i = 0; i < static_cast<int>(std::size(kPhaseNames)); ++i) {
    if (name == kPhaseNames[i]) return static_cast<Phase>(i);
  }
  return Phase::None;
}

const Condition* CanaryStatus::condition(const std::string& type) const {
  for (const auto& c : conditions) {
    if (c.type == type) return &c;
  }
  return nullptr;
}

void CanaryStatus::setCondition(Condition c, const std::string& now) {
  c.lastUpdateTime = now;
  for (auto& existing : conditions) {
    if (existing.type != c.type) continue;
    c.lastTransitionTime = existing.status == c.status ? existing.lastTransitionTime : now;
    if (existing.status == c.status && existing.reason == c.reason && existing.message == c.message &&
        existing.observedGeneration == c.observedGeneration) {
      return;  // unchanged: keep lastUpdateTime too, so an idempotent reconcile writes nothing
    }
    existing = std::move(c);
    return;
  }
  c.lastTransitionTime = now;
  conditions.push_back(std::move(c));
}

Json encodeStatus(const CanaryStatus& s) {
  Json out = {{"phase", phaseName(s.phase)},
              {"canaryWeight", s.canaryWeight},
              {"failedChecks", s.failedChecks},
              {"iterations", s.iterations},
              {"observedGeneration", s.observedGeneration}};
  if (s.achievedWeight) out["achievedWeight"] = *s.achievedWeight;
  if (!s.lastAppliedSpec.empty()) out["lastAppliedSpec"] = s.lastAppliedSpec;
  if (!s.lastPromotedSpec.empty()) out["lastPromotedSpec"] = s.lastPromotedSpec;
  if (!s.lastTransitionTime.empty()) out["lastTransitionTime"] = s.lastTransitionTime;
  if (!s.trackedConfigs.empty()) out["trackedConfigs"] = s.trackedConfigs;
  if (!s.sessionAffinityCookie.empty()) out["sessionAffinityCookie"] = s.sessionAffinityCookie;
  if (!s.previousSessionAffinityCookie.empty())
    out["previousSessionAffinityCookie"] = s.previousSessionAffinityCookie;
  if (!s.primarySessionAffinityCookie.empty())
    out["primarySessionAffinityCookie"] = s.primarySessionAffinityCookie;
  auto request = [](const OperatorRequest& r) {
    Json j = {
        {"action", r.action}, {"id", r.id}, {"requestedBy", r.requestedBy}, {"requestedAt", r.requestedAt}};
    if (!r.handledAt.empty()) j["handledAt"] = r.handledAt;
    if (!r.outcome.empty()) j["outcome"] = r.outcome;
    if (!r.message.empty()) j["message"] = r.message;
    return j;
  };
  if (s.request) out["request"] = request(*s.request);
  if (s.lastRequest) out["lastRequest"] = request(*s.lastRequest);
  if (s.paused) out["paused"] = true;
  if (!s.analysisTime.empty() || !s.analysisMessage.empty() || !s.analysisMetrics.empty()) {
    Json metrics = Json::array();
    for (const auto& m : s.analysisMetrics) {
      Json j = {{"name", m.name}, {"passed", m.passed}, {"message", m.message}};
      if (m.value) j["value"] = *m.value;
      if (m.range.min) j["min"] = *m.range.min;
      if (m.range.max) j["max"] = *m.range.max;
      metrics.push_back(j);
    }
    out["analysis"] = {{"time", s.analysisTime}, {"message", s.analysisMessage}, {"metrics", metrics}};
  }
  if (s.sequential) {
    Json q = {{"revision", s.sequential->revision},
              {"counters", s.sequential->counters},
              {"weight", s.sequential->weight}};
    auto test = [](const SequentialTestStatus& t) {
      Json j = {{"canary", {{"requests", t.canaryRequests}, {"bad", t.canaryBad}}},
                {"primary", {{"requests", t.primaryRequests}, {"bad", t.primaryBad}}},
                {"logLikelihoodRatios", t.logLikelihoodRatios},
                {"evidence", t.evidence},
                {"message", t.message}};
      if (!t.logLikelihoodRatiosLess.empty()) j["logLikelihoodRatiosLess"] = t.logLikelihoodRatiosLess;
      return j;
    };
    if (s.sequential->errorRate) q["errorRate"] = test(*s.sequential->errorRate);
    if (s.sequential->latency) q["latency"] = test(*s.sequential->latency);
    if (s.sequential->trafficSplit) q["trafficSplit"] = test(*s.sequential->trafficSplit);
    out["sequential"] = std::move(q);
  }
  Json conditions = Json::array();
  for (const auto& c : s.conditions) {
    Json j = {{"type", c.type}, {"status", c.status}, {"reason", c.reason}, {"message", c.message}};
    if (c.observedGeneration) j["observedGeneration"] = c.observedGeneration;
    if (!c.lastUpdateTime.empty()) j["lastUpdateTime"] = c.lastUpdateTime;
    if (!c.lastTransitionTime.empty()) j["lastTransitionTime"] = c.lastTransitionTime;
    conditions.push_back(j);
  }
  out["conditions"] = conditions;
  return out;
}

CanaryStatus decodeStatus(const Json& j) {
  CanaryStatus s;
  if (!j.is_object()) return s;
  auto str = [&](const char* k) { return j.contains(k) && j[k].is_string() ? j[k].get<std::string>() : ""; };
  auto num = [&](const char* k) { return j.contains(k) && j[k].is_number_integer() ? j[k].get<int>() : 0; };
  s.phase = phaseFromName(str("phase"));
  s.canaryWeight = num("canaryWeight");
  if (j.contains("achievedWeight") && j["achievedWeight"].is_number_integer())
    s.achievedWeight = j["achievedWeight"].get<int>();
  s.failedChecks = num("failedChecks");
  s.iterations = num("iterations");
  s.lastAppliedSpec = str("lastAppliedSpec");
  s.lastPromotedSpec = str("lastPromotedSpec");
  s.lastTransitionTime = str("lastTransitionTime");
  s.sessionAffinityCookie = str("sessionAffinityCookie");
  s.previousSessionAffinityCookie = str("previousSessionAffinityCookie");
  s.primarySessionAffinityCookie = str("primarySessionAffinityCookie");
  auto request = [](const Json& r) -> std::optional<OperatorRequest> {
    if (!r.is_object()) return std::nullopt;
    OperatorRequest out;
    out.action = fieldOr(r, "action", "");
    out.id = fieldOr(r, "id", "");
    out.requestedBy = fieldOr(r, "requestedBy", "");
    out.requestedAt = fieldOr(r, "requestedAt", "");
    out.handledAt = fieldOr(r, "handledAt", "");
    out.outcome = fieldOr(r, "outcome", "");
    out.message = fieldOr(r, "message", "");
    return out;
  };
  if (j.contains("request")) s.request = request(j["request"]);
  if (j.contains("lastRequest")) s.lastRequest = request(j["lastRequest"]);
  s.paused = j.contains("paused") && j["paused"].is_boolean() && j["paused"].get<bool>();
  s.observedGeneration = j.contains("observedGeneration") && j["observedGeneration"].is_number_integer()
                             ? j["observedGeneration"].get<long long>()
                             : 0;
  if (j.contains("trackedConfigs") && j["trackedConfigs"].is_object()) {
    for (const auto& [k, v] : j["trackedConfigs"].items()) {
      if (v.is_string()) s.trackedConfigs[k] = v.get<std::string>();
    }
  }
  if (j.contains("analysis") && j["analysis"].is_object()) {
    const Json& a = j["analysis"];
    s.analysisTime = fieldOr(a, "time", "");
    s.analysisMessage = fieldOr(a, "message", "");
    for (const auto& m : arrayField(a, "metrics")) {
      MetricResult r;
      r.name = fieldOr(m, "name", "");
      if (m.contains("value") && m["value"].is_number()) r.value = m["value"].get<double>();
      if (m.contains("min") && m["min"].is_number()) r.range.min = m["min"].get<double>();
      if (m.contains("max") && m["max"].is_number()) r.range.max = m["max"].get<double>();
      r.passed = fieldOr(m, "passed", false);
      r.message = fieldOr(m, "message", "");
      s.analysisMetrics.push_back(std::move(r));
    }
  }
  if (j.contains("sequential") && j["sequential"].is_object()) {
    const Json& q = j["sequential"];
    SequentialStatus sequential;
    sequential.revision =
        q.contains("revision") && q["revision"].is_string() ? q["revision"].get<std::string>() : "";
    sequential.weight = q.contains("weight") && q["weight"].is_number_integer() ? q["weight"].get<int>() : 0;
    const Json counters =
        q.contains("counters") && q["counters"].is_object() ? q["counters"] : Json::object();
    for (const auto& [k, v] : counters.items()) {
      if (v.is_number()) sequential.counters[k] = v.get<double>();
    }
    auto numbers = [](const Json& list) {
      std::vector<double> out;
      if (!list.is_array()) return out;
      for (const auto& v : list) out.push_back(v.is_number() ? v.get<double>() : 0.0);
      return out;
    };
    auto test = [&](const char* key, std::optional<SequentialTestStatus>& out) {
      if (!q.contains(key) || !q[key].is_object()) return;
      const Json& t = q[key];
      SequentialTestStatus r;
      // Status is written by anyone with access: a field of the wrong type reads as its default, never
      // throws.
      auto number = [&](const Json::json_pointer& at, double fallback) {
        return t.contains(at) && t.at(at).is_number() ? t.at(at).get<double>() : fallback;
      };
      r.canaryRequests = number("/canary/requests"_json_pointer, 0);
      r.canaryBad = number("/canary/bad"_json_pointer, 0);
      r.primaryRequests = number("/primary/requests"_json_pointer, 0);
      r.primaryBad = number("/primary/bad"_json_pointer, 0);
      r.logLikelihoodRatios = numbers(arrayField(t, "logLikelihoodRatios"));
      r.logLikelihoodRatiosLess = numbers(arrayField(t, "logLikelihoodRatiosLess"));
      r.evidence = number("/evidence"_json_pointer, 1);
      r.message = t.contains("message") && t["message"].is_string() ? t["message"].get<std::string>() : "";
      out = std::move(r);
    };
    test("errorRate", sequential.errorRate);
    test("latency", sequential.latency);
    test("trafficSplit", sequential.trafficSplit);
    s.sequential = std::move(sequential);
  }
  for (const auto& c : arrayField(j, "conditions")) {
    if (!c.is_object()) continue;
    Condition cond;
    cond.type = fieldOr(c, "type", "");
    cond.status = fieldOr(c, "status", "Unknown");
    cond.reason = fieldOr(c, "reason", "");
    cond.message = fieldOr(c, "message", "");
    cond.observedGeneration = fieldOr(c, "observedGeneration", 0LL);
    cond.lastUpdateTime = fieldOr(c, "lastUpdateTime", "");
    cond.lastTransitionTime = fieldOr(c, "lastTransitionTime", "");
    s.conditions.push_back(std::move(cond));
  }
  return s;
}

}  // namespace aviary::api
