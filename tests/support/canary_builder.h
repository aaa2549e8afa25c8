// A Canary object as the planner receives it, for tests and simulations that drive the planner directly:
// Deployment `name` in `ns`, port 9898, interval 1 m, stepWeight 10 up to maxWeight, and the built-in
// request-success-rate check (≥ 99 %). Callers change what their case is about.
#pragma once

#include <chrono>

#include "operator/api/canary.h"

namespace aviary::testing {

inline api::Canary canaryForPlanner(const std::string& ns = "test", const std::string& name = "podinfo",
                                    int maxWeight = 30, int threshold = 2) {
  api::Canary c;
  c.ns = ns;
  c.name = name;
  c.generation = 1;
  c.spec.targetRef = {"apps/v1", "Deployment", name, ""};
  c.spec.service.port = 9898;
  c.spec.analysis.interval = std::chrono::seconds(60);
  c.spec.analysis.intervalText = "1m";
  c.spec.analysis.threshold = threshold;
  c.spec.analysis.maxWeight = maxWeight;
  c.spec.analysis.stepWeight = 10;
  c.spec.analysis.metrics.push_back(
      {"request-success-rate", std::chrono::seconds(60), "1m", {99, std::nullopt}, "", {}, {}});
  return c;
}

}  // namespace aviary::testing
