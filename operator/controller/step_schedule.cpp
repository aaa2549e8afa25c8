#include "operator/controller/step_schedule.h"

#include <algorithm>

namespace aviary::controller {

std::optional<StepSchedule::Clock::duration> StepSchedule::decided(
    const std::string& key, bool firstStep, Clock::time_point now,
    std::optional<std::chrono::milliseconds> next) {
  std::lock_guard lock(mutex_);
  std::optional<Clock::duration> late;
  auto due = due_.find(key);
  if (!firstStep && due != due_.end()) late = std::max(Clock::duration::zero(), now - due->second);
  if (next) {
    due_[key] = now + *next;
  } else if (due != due_.end()) {
    due_.erase(due);
  }
  return late;
}

void StepSchedule::forget(const std::string& key) {
  std::lock_guard lock(mutex_);
  due_.erase(key);
}

}  // namespace aviary::controller
