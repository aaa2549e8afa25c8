#include "operator/core/stop_signal.h"

#include <chrono>
#include <csignal>
#include <thread>

namespace aviary {
namespace {
volatile std::sig_atomic_t gStop = 0;
void onSignal(int) {
  gStop = 1;
}
}  // namespace

void waitForStopSignal() {
  std::signal(SIGINT, onSignal);
  std::signal(SIGTERM, onSignal);
  while (!gStop) std::this_thread::sleep_for(std::chrono::milliseconds(100));
}

}  // namespace aviary
