// An anytime-valid one-sided test of how events split between two arms: the mechanism under Aviary's
// sequential analysis (docs/analysis.md has the derivation).
//
// Events arrive in batches; in batch b each event falls on arm A with probability θ_b under the null (a
// probability the caller computes per batch: it may change from batch to batch, e.g. as traffic weights
// change). Against the alternatives "the odds of arm A are ψ times the null odds" for ψ on a fixed grid,
// the likelihood ratio of each ψ is a nonnegative martingale under the null, and a supermartingale when
// the true odds are on the other side of the null's. Their average with fixed weights is one too, so by
// Ville's inequality P(the evidence ever reaches 1/α) ≤ α, however often it is looked at (Ville 1939;
// the mixture construction of Robbins 1970; Johari, Pekelis & Walsh, "Always Valid Inference", 2017;
// Lindon & Malek, "Anytime-Valid Inference for Multinomial Count Data", NeurIPS 2022).
//
// Pure and deterministic; the state is a few numbers that fit in a Canary's status.
#pragma once

#include <cstddef>
#include <vector>

namespace aviary::analysis {

class OddsMixture {
 public:
  // `multipliers`: the alternatives' odds multipliers ψ, all > 1 (arm A favoured) or all < 1, equally
  // weighted.
  explicit OddsMixture(std::vector<double> multipliers);

  // The log likelihood ratio of each alternative, in the order of multipliers(); starts at zeros.
  using State = std::vector<double>;
  State initial() const { return State(multipliers_.size(), 0.0); }
  const std::vector<double>& multipliers() const { return multipliers_; }

  // Adds one batch: `onA` and `onB` events (counts; fractions allowed), with null probability
  // `nullProbability` of an event falling on A. A batch with no events, or whose null probability is 0 or
  // 1 (one arm had no exposure), carries no information and changes nothing. A state of another size
  // (a grid that changed between versions) is restarted.
  void update(State& state, double onA, double onB, double nullProbability) const;

  // The mixture's value: the average likelihood ratio (1 at the start; ≥ 1/α rejects the null at level α).
  // Always finite: past the largest double it is that double.
  double evidence(const State& state) const;

 private:
  std::vector<double> multipliers_;
};

}  // namespace aviary::analysis
