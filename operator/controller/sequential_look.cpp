#include "operator/controller/sequential_look.h"

#include "analysis/statistics/arm_counters.h"
#include "analysis/statistics/sequential_analysis.h"

#include <optional>
#include <utility>

namespace aviary::controller {
namespace {

using analysis::ArmCounts;

// One arm's increase between two looks of `bad` ("errors", "slow", or "" for requests only), or why there
// is none: a counter not read, without a baseline, or lower than before. A sum of counters goes down when
// a pod restarts or a series leaves the sum, and what it then shows is not an increase; skipping the batch
// (the new reading is the next baseline) keeps the test valid.
std::optional<ArmCounts> armBatch(const std::map<std::string, double>& before,
                                  const std::map<std::string, double>& now, const std::string& arm,
                                  const std::string& bad, std::string& why) {
  ArmCounts out;
  for (const auto& key : {std::string("requests"), bad}) {
    if (key.empty()) continue;
    const std::string name = arm + "." + key;
    auto b = before.find(name), n = now.find(name);
    if (n == now.end()) {
      why = name + " not read";
      return std::nullopt;
    }
    if (b == before.end()) {
      why = name + " has no baseline yet";
      return std::nullopt;
    }
    if (n->second < b->second) {
      why = name + " went down (a pod restarted or a series left the sum): this batch is skipped";
      return std::nullopt;
    }
    (key == "requests" ? out.requests : out.bad) = n->second - b->second;
  }
  return out;
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
  // Both arms' batches for `bad`, or nothing (the test's message then says why).
  // `unreadHint` follows the message when the `bad` counter was not read.
  auto batches = [&](const std::string& bad, std::optional<api::SequentialTestStatus>& test,
                     const std::string& what,
                     const std::string& unreadHint = "") -> std::optional<std::pair<ArmCounts, ArmCounts>> {
    std::string why;
    auto canary = armBatch(before, st.counters, "canary", bad, why);
    auto primary = canary ? armBatch(before, st.counters, "primary", bad, why) : std::nullopt;
    if (canary && primary) return std::pair{*canary, *primary};
    if (!test) test.emplace();
    test->message = what + ": " + why;
    if (!bad.empty() && why.ends_with("." + bad + " not read")) test->message += unreadHint;
    return std::nullopt;
  };
  auto badRate = [&](std::optional<api::SequentialTestStatus>& test, const std::string& bad,
                     const std::string& what, const std::string& unreadHint = "") {
    auto arms = batches(bad, test, what, unreadHint);
    if (!arms) return;
    auto state = badRateState(test.value_or(api::SequentialTestStatus{}));
    auto r = analysis::updateBadRate(state, arms->first, arms->second,
                                     {.alpha = spec.alpha, .tolerance = spec.tolerance, .what = what});
    test = testStatus(state, r);
    if (r.verdict == analysis::SequentialVerdict::Rejected && !out.rollback) out.rollback = r.message;
  };
  if (spec.errorRate) badRate(st.errorRate, "errors", "error rate");
  if (spec.latencyMs) {
    badRate(st.latency, "slow",
            "share of requests slower than " + analysis::latencyBoundText(*spec.latencyMs) + " ms",
            analysis::slowCounterHint(*spec.latencyMs));
  }
  auto splitArms = spec.trafficSplit ? batches("", st.trafficSplit, "traffic split") : std::nullopt;
  if (splitArms) {
    const auto& arms = *splitArms;
    api::SequentialTestStatus t = st.trafficSplit.value_or(api::SequentialTestStatus{});
    analysis::SplitState state{
        {t.canaryRequests, 0}, {t.primaryRequests, 0}, t.logLikelihoodRatios, t.logLikelihoodRatiosLess};
    auto r = analysis::updateSplit(state, arms.first.requests, arms.second.requests, weightBefore / 100.0,
                                   weight / 100.0, {});
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
