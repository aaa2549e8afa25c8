#include "analysis/statistics/sequential_analysis.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace aviary::analysis {
namespace {

std::string formatted(const char* format, double value) {
  char buf[64];
  std::snprintf(buf, sizeof buf, format, value);
  return buf;
}

// "340", "1.2e+05", "∞": evidence as a person reads it.
std::string evidenceText(double e) {
  if (std::isinf(e)) return "∞";
  if (e >= 1e6) return formatted("%.1e", e);
  return formatted(e >= 10 ? "%.0f" : "%.2f", e);
}

std::string percent(double fraction) {
  return formatted(fraction >= 0.1 || fraction == 0 ? "%.1f%%" : "%.2f%%", fraction * 100);
}

}  // namespace

const OddsMixture& badRateMixture() {
  static const OddsMixture mixture({1.1, 1.25, 1.5, 2, 3, 5, 10, 30, 100});
  return mixture;
}

const OddsMixture& splitMoreMixture() {
  static const OddsMixture mixture({1.2, 1.5, 2, 4, 10, 100});
  return mixture;
}

const OddsMixture& splitLessMixture() {
  static const OddsMixture mixture({1 / 1.2, 1 / 1.5, 0.5, 0.25, 0.1, 0.01});
  return mixture;
}

SequentialResult judgeBadRate(const BadRateState& state, const BadRateTestOptions& options) {
  SequentialResult r;
  r.threshold = 1 / options.alpha;
  r.evidence = badRateMixture().evidence(state.logLikelihoodRatios);
  const double canaryRate = state.canary.requests > 0 ? state.canary.bad / state.canary.requests : 0;
  const double primaryRate = state.primary.requests > 0 ? state.primary.bad / state.primary.requests : 0;
  std::string effect;
  if (primaryRate > 0) {
    effect = "canary " + options.what + " " + formatted("%.2f", canaryRate / primaryRate) + "× primary (" +
             percent(canaryRate) + " vs " + percent(primaryRate) + ")";
  } else {
    effect = "canary " + options.what + " " + percent(canaryRate) + ", primary 0";
  }
  if (r.evidence >= r.threshold) {
    r.verdict = SequentialVerdict::Rejected;
    r.message = effect + ", evidence " + evidenceText(r.evidence) + " ≥ " + evidenceText(r.threshold);
  } else if (std::all_of(state.logLikelihoodRatios.begin(), state.logLikelihoodRatios.end(),
                         [](double l) { return l == 0; })) {
    // No bad request yet in a batch where both arms served: nothing has been learnt.
    r.verdict = SequentialVerdict::WaitingForEvidence;
    r.message = options.what + ": waiting for evidence (" + formatted("%.0f", state.canary.requests) +
                " canary requests, " + formatted("%.0f", state.canary.bad + state.primary.bad) +
                " bad requests so far)";
  } else {
    r.verdict = SequentialVerdict::NoEvidence;
    r.message = effect + ", evidence " + evidenceText(r.evidence) + " < " + evidenceText(r.threshold);
  }
  return r;
}

SequentialResult updateBadRate(BadRateState& state, const ArmCounts& canary, const ArmCounts& primary,
                               const BadRateTestOptions& options) {
  // Under the null the canary's rate is at most ρ0 = 1 + tolerance times the primary's; a bad request of
  // this batch then falls on the canary with probability ρ0·n_c / (ρ0·n_c + n_p).
  const double rho0 = 1 + std::max(0.0, options.tolerance);
  const double weighted = rho0 * canary.requests;
  if (weighted > 0 && primary.requests > 0) {
    badRateMixture().update(state.logLikelihoodRatios, canary.bad, primary.bad,
                            weighted / (weighted + primary.requests));
  }
  state.canary.requests += canary.requests;
  state.canary.bad += canary.bad;
  state.primary.requests += primary.requests;
  state.primary.bad += primary.bad;
  return judgeBadRate(state, options);
}

SequentialResult updateSplit(SplitState& state, double canaryRequests, double primaryRequests,
                             double expectedLow, double expectedHigh, const SplitTestOptions& options) {
  const double tolerance = std::max(0.0, options.tolerance);
  if (expectedLow > expectedHigh) std::swap(expectedLow, expectedHigh);
  // Each side's null is the edge of the tolerated band; an edge outside (0, 1) has nothing beyond it.
  splitMoreMixture().update(state.more, canaryRequests, primaryRequests, expectedHigh + tolerance);
  splitLessMixture().update(state.less, canaryRequests, primaryRequests, expectedLow - tolerance);
  state.canary.requests += canaryRequests;
  state.primary.requests += primaryRequests;
  SequentialResult r;
  r.threshold = 1 / options.alpha;
  r.evidence = (splitMoreMixture().evidence(state.more) + splitLessMixture().evidence(state.less)) / 2;
  const double total = canaryRequests + primaryRequests;
  const std::string observed = total > 0 ? percent(canaryRequests / total) : "no requests";
  const std::string expected =
      expectedLow == expectedHigh ? percent(expectedLow) : percent(expectedLow) + "–" + percent(expectedHigh);
  const std::string text = "the mesh sends " + observed + " to the canary, " + expected + " expected";
  if (r.evidence >= r.threshold) {
    r.verdict = SequentialVerdict::Rejected;
    r.message = text + " (evidence " + evidenceText(r.evidence) + " ≥ " + evidenceText(r.threshold) + ")";
  } else {
    r.verdict = state.canary.requests + state.primary.requests > 0 ? SequentialVerdict::NoEvidence
                                                                   : SequentialVerdict::WaitingForEvidence;
    r.message = text + " (evidence " + evidenceText(r.evidence) + " < " + evidenceText(r.threshold) + ")";
  }
  return r;
}

}  // namespace aviary::analysis
