// Runs a real Prometheus server (Debian's `prometheus` binary) on a free loopback port for the demo and the
// tests: writes a configuration that scrapes the given targets every second, keeps its storage in a
// temporary directory, waits until it is ready and has scraped every target once, and stops it (SIGTERM, then
// SIGKILL after a bound).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "operator/core/child_process.h"
#include "operator/core/result.h"

namespace aviary::sandbox {

struct PrometheusOptions {
  std::string binary = "prometheus";       // looked up in PATH
  std::vector<std::string> scrapeTargets;  // "127.0.0.1:PORT", scraped at /metrics over plain HTTP
  std::chrono::milliseconds scrapeInterval{1000};
  std::chrono::seconds readyTimeout{60};
};

class PrometheusServer {
 public:
  explicit PrometheusServer(PrometheusOptions options) : options_(std::move(options)) {}
  ~PrometheusServer();
  PrometheusServer(const PrometheusServer&) = delete;
  PrometheusServer& operator=(const PrometheusServer&) = delete;

  // Errors: NotFound ("run make deps") when the binary is missing; Unavailable when it exits or is not
  // ready in time (its log is quoted).
  Status start();
  // Idempotent.
  void stop();
  // Stops without waiting for a clean shutdown (tests of an unreachable Prometheus).
  void kill();

  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  uint16_t port() const { return port_; }
  pid_t pid() const { return process_ ? process_->pid() : -1; }
  const std::string& directory() const { return dir_; }

 private:
  Status launchOnce();
  std::string logTail() const;

  PrometheusOptions options_;
  std::string dir_;
  uint16_t port_ = 0;
  std::unique_ptr<ChildProcess> process_;
};

// Searches PATH; empty when not found.
std::string findExecutable(const std::string& name);

}  // namespace aviary::sandbox
