// Polls a condition until it holds or a timeout passes: for tests of asynchronous machinery
// (informers, watches) where the outcome, not its timing, is what is checked.
#pragma once

#include <chrono>
#include <thread>

namespace aviary::testing {

template <class Pred>
bool eventually(Pred pred, std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return pred();
}

}  // namespace aviary::testing
