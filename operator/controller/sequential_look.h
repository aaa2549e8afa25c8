// One look of the sequential tests (issue 13, docs/analysis.md): the counters read at a step become a
// batch, added to the tests kept in status.sequential. Pure: the planner applies the outcome.
#pragma once

#include <optional>
#include <string>

#include "operator/api/canary.h"
#include "operator/controller/planner.h"

namespace aviary::controller {

struct SequentialLook {
  api::SequentialStatus status;              // to write
  std::optional<std::string> rollback;       // a bad-request test rejected: its evidence and effect
  std::optional<std::string> splitMismatch;  // the canary does not get its weight's share of requests
};

// Adds the batch since the last look to the tests of revision `revision` (other revisions' state is
// dropped; the first look only records the counters). `weight`: the canary's weight while the batch was
// served. Unreadable counters add nothing and say why in the tests' messages.
SequentialLook sequentialLook(const api::SequentialSpec& spec,
                              const std::optional<api::SequentialStatus>& previous,
                              const std::string& revision, const CounterReadings& readings, int weight);

}  // namespace aviary::controller
