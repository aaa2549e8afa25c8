// A program started in the background (Prometheus for the sandbox, the aviary binary in end-to-end
// tests), its output appended to a file, dying with its parent (PR_SET_PDEATHSIG: the thread that
// started it), stopped with SIGTERM (SIGKILL after a bound) or SIGKILL, and always reaped.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace aviary {

class ChildProcess {
 public:
  // argv[0] is a path (no PATH search). Check running() right after to see whether it started.
  ChildProcess(std::vector<std::string> argv, std::string logPath);
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  // False once it exited (it is then reaped).
  bool running();
  // SIGTERM, then SIGKILL if it is still running after `grace`.
  void terminate(std::chrono::milliseconds grace = std::chrono::seconds(10));
  void kill();
  pid_t pid() const { return pid_; }
  std::string log() const;
  // The exit code once it exited by itself (after running() returned false); nullopt while it runs or
  // when a signal ended it.
  std::optional<int> exitCode() const;

 private:
  pid_t pid_ = -1;
  std::optional<int> waitStatus_;
  std::string logPath_;
};

}  // namespace aviary
