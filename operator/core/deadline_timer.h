// One thread that fires deadlines for asynchronous work (an HTTP exchange that must end by a time however
// slowly its server answers). Built on a Boost.Asio io_context and steady_timers; Asio stays in the .cpp.
// Thread-safe: schedule and cancel from any thread. Callbacks run on the timer's thread and must be quick.
#pragma once

#include <chrono>
#include <functional>
#include <memory>

namespace aviary {

class DeadlineTimer {
 public:
  // A scheduled deadline; cancel() before it fires means it never fires (cancelling later is harmless).
  class Pending {
   public:
    virtual ~Pending() = default;
    virtual void cancel() = 0;
  };

  // The process's timer, started on first use; it lives until the process exits.
  static DeadlineTimer& shared();

  // Calls `expire` after `after` (steady clock) unless cancelled first.
  std::shared_ptr<Pending> schedule(std::chrono::milliseconds after, std::function<void()> expire);

  DeadlineTimer(const DeadlineTimer&) = delete;
  DeadlineTimer& operator=(const DeadlineTimer&) = delete;

 private:
  DeadlineTimer();
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace aviary
