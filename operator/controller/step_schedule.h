// When each Canary's next analysis step is due, as the reconciler scheduled it, so that a step decided later
// can say how late it was (aviary_canary_step_lateness_seconds). The status cannot tell: its
// lastTransitionTime has a second's resolution, and the step's checks are asked for and answered between
// the step's due time and its decision.
#pragma once

#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <string>

namespace aviary::controller {

class StepSchedule {
 public:
  using Clock = std::chrono::steady_clock;

  // A plan decided a step of Canary `key` at `now` (Plan::stepDecided) and is looked at again after
  // `next` (Plan::requeueAfter; nullopt: only on an event, no due time). Returns how long after its due
  // time this step was decided (0 when on time or early); nullopt for a release's first step, which also
  // waited for the canary's rollout, and when no due time is known (the first step after a restart).
  // Thread-safe.
  std::optional<Clock::duration> decided(const std::string& key, bool firstStep, Clock::time_point now,
                                         std::optional<std::chrono::milliseconds> next);
  // The Canary is gone.
  void forget(const std::string& key);

 private:
  std::mutex mutex_;
  std::map<std::string, Clock::time_point> due_;  // Canary key → its next step's due time
};

}  // namespace aviary::controller
