// What `kubectl aviary get canary` and `list` print: pure functions of the objects read from the API
// server (the Canary, its two Deployments, its Events), so the live view and the tests render alike.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "operator/kube/kube_client.h"

namespace aviary::plugin {

struct CanaryScreen {
  kube::Json canary;                    // the Canary as the API server returns it
  const kube::Json* target = nullptr;   // spec.targetRef's Deployment, when it exists
  const kube::Json* primary = nullptr;  // <target>-primary, when it exists
  std::vector<kube::Json> events;       // Events whose involvedObject is the Canary, any order
  std::chrono::system_clock::time_point now;
  bool colour = false;         // ANSI colours (a terminal), else plain text
  std::size_t lastEvents = 6;  // how many of the newest Events to show
};

// One screen: phase and time in it; the weight toward maxWeight as a bar with the steps done and left
// and the time until the next step; each metric's last value against its threshold (passed or failed);
// the sequential tests' evidence when enabled; failed checks against the threshold; each side's image and
// ready pods; the last request (kubectl aviary) and the newest Events. Lines end with '\n'.
std::string renderCanary(const CanaryScreen& screen);

// `list`: NAMESPACE (with allNamespaces), NAME, PHASE, WEIGHT, FAILED, AGE; one line a Canary.
std::string renderList(const std::vector<kube::Json>& canaries, bool allNamespaces,
                       std::chrono::system_clock::time_point now);

// "45s", "3m07s", "2h05m", "4d03h": what kubectl prints for ages.
std::string humanDuration(std::chrono::seconds d);

}  // namespace aviary::plugin
