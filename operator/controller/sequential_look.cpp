#include "operator/controller/sequential_look.h"

#include "analysis/statistics/sequential_analysis.h"

namespace aviary::controller {
namespace {

using analysis::ArmCounts;

ArmCounts reading(const std::map<std::string, double>& counters, const std::string& arm,
                  const std::string& bad) {
  auto get = [&](const std::string& key) {
    auto it = counters.find(arm + "." + key);
    return it == counters.end() ? 0.0 : it->second;
  };
  return {get("requests"), bad.empty() ? 0.0 : get(bad)};
}

analysis::BadRateState badRateState(const api::SequentialTestStatus& t) {
  return {{t.canaryRequests, t.canaryBad}, {t.primaryRequests, t.primaryBad}, t.logLikelihoodRatios};
}

api::SequentialTestStatus testStatus(const analysis::BadRateState& s, const analysis::SequentialResult& r) {
  return {s.canary.requests,     s.canary.bad, s.primary.requests, s.primary.bad,
          s.logLikelihoodRatios, {},           r.evidence,         r.message};
}

}  // namespace

SequentialLook sequentialLook(const api::SequentialSpec& spec,
                              const std::optional<api::SequentialStatus>& previous,
                              const std::string& revision, const CounterReadings& readings, int weight) {
  SequentialLook out;
  out.status = previous && previous->revision == revision ? *previous : api::SequentialStatus{revision};
  api::SequentialStatus& st = out.status;
  if (!readings.error.empty()) {
    for (auto* t : {&st.errorRate, &st.latency, &st.trafficSplit}) {
      if (!*t) t->emplace();
      (*t)->message = "counters not read: " + readings.error;
    }
    return out;
  }
  const bool firstLook = st.counters.empty();
  const auto before = st.counters;
  const int weightBefore = st.weight;
  st.counters = readings.counters;
  st.weight = weight;
  if (firstLook) {
    // The baseline: the batches start here.
    const std::string waiting = "waiting for evidence (counting from now)";
    if (spec.errorRate) st.errorRate = api::SequentialTestStatus{.message = "error rate: " + waiting};
    if (spec.latencyMs) st.latency = api::SequentialTestStatus{.message = "slow requests: " + waiting};
    if (spec.trafficSplit)
      st.trafficSplit = api::SequentialTestStatus{.message = "traffic split: " + waiting};
    return out;
  }
  auto batch = [&](const std::string& arm, const std::string& bad) {
    return analysis::counterDelta(reading(before, arm, bad), reading(st.counters, arm, bad));
  };
  auto badRate = [&](std::optional<api::SequentialTestStatus>& test, const std::string& bad,
                     const std::string& what) {
    auto state = badRateState(test.value_or(api::SequentialTestStatus{}));
    auto r = analysis::updateBadRate(state, batch("canary", bad), batch("primary", bad),
                                     {.alpha = spec.alpha, .tolerance = spec.tolerance, .what = what});
    test = testStatus(state, r);
    if (r.verdict == analysis::SequentialVerdict::Rejected && !out.rollback) out.rollback = r.message;
  };
  if (spec.errorRate) badRate(st.errorRate, "errors", "error rate");
  if (spec.latencyMs) {
    char bound[32];
    std::snprintf(bound, sizeof bound, "%g", *spec.latencyMs);
    badRate(st.latency, "slow", std::string("share of requests slower than ") + bound + " ms");
  }
  if (spec.trafficSplit) {
    api::SequentialTestStatus t = st.trafficSplit.value_or(api::SequentialTestStatus{});
    analysis::SplitState state{
        {t.canaryRequests, 0}, {t.primaryRequests, 0}, t.logLikelihoodRatios, t.logLikelihoodRatiosLess};
    auto r = analysis::updateSplit(state, batch("canary", "").requests, batch("primary", "").requests,
                                   weightBefore / 100.0, weight / 100.0, {});
    if (r.verdict == analysis::SequentialVerdict::Rejected) {
      out.splitMismatch = r.message;
      st.trafficSplit = api::SequentialTestStatus{.evidence = 1, .message = r.message};  // tested afresh
    } else {
      st.trafficSplit = api::SequentialTestStatus{
          state.canary.requests, 0, state.primary.requests, 0, state.more, state.less, r.evidence, r.message};
    }
  }
  return out;
}

}  // namespace aviary::controller
