// A program started in the background for an end-to-end test (the aviary binary), with its output in a
// file, stopped with SIGTERM (or SIGKILL) and always reaped.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace aviary::testing {

class ChildProcess {
 public:
  ChildProcess(std::vector<std::string> argv, std::string logPath);
  ~ChildProcess();
  bool running();
  void terminate();  // SIGTERM, waits up to 10 s, then SIGKILL
  void kill();       // SIGKILL
  std::string log() const;

 private:
  pid_t pid_ = -1;
  std::string logPath_;
};

}  // namespace aviary::testing
