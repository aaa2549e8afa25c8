#include "analysis/statistics/odds_mixture.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace aviary::analysis {

OddsMixture::OddsMixture(std::vector<double> multipliers) : multipliers_(std::move(multipliers)) {}

void OddsMixture::update(State& state, double onA, double onB, double nullProbability) const {
  if (state.size() != multipliers_.size()) state = initial();
  if (!(nullProbability > 0 && nullProbability < 1) || onA < 0 || onB < 0 || onA + onB <= 0) return;
  const double nullOdds = nullProbability / (1 - nullProbability);
  for (std::size_t k = 0; k < multipliers_.size(); ++k) {
    // θ1 has odds ψ·odds(θ0): log(θ1/θ0) and log((1-θ1)/(1-θ0)) in a form that stays exact for tiny θ0.
    const double odds = multipliers_[k] * nullOdds;
    const double logOneMinusNew = -std::log1p(odds);       // log(1-θ1) = -log(1+odds1)
    const double logOneMinusNull = -std::log1p(nullOdds);  // log(1-θ0)
    const double logNew = std::log(odds) + logOneMinusNew;
    const double logNull = std::log(nullOdds) + logOneMinusNull;
    state[k] += onA * (logNew - logNull) + onB * (logOneMinusNew - logOneMinusNull);
  }
}

double OddsMixture::evidence(const State& state) const {
  if (state.size() != multipliers_.size() || state.empty()) return 1;
  const double top = *std::max_element(state.begin(), state.end());
  if (std::isnan(top)) return 1;
  // Finite always: the value goes into the Canary's status, and JSON has no infinity.
  constexpr double kMax = std::numeric_limits<double>::max();
  if (std::isinf(top)) return top > 0 ? kMax : 0;
  double sum = 0;
  for (double l : state) sum += std::exp(l - top);
  const double logEvidence = top + std::log(sum / static_cast<double>(state.size()));
  return logEvidence >= std::log(kMax) ? kMax : std::exp(logEvidence);
}

}  // namespace aviary::analysis
