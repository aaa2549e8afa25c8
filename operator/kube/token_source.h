// Where the bearer token comes from: fixed (kubeconfig `token`) or a file that may rotate
// (kubeconfig `tokenFile`, the in-cluster service-account token).
#pragma once

#include <memory>
#include <mutex>
#include <string>

#include "operator/core/result.h"

namespace aviary::kube {

class TokenSource {
 public:
  virtual ~TokenSource() = default;
  // The current token. Thread-safe.
  virtual Result<std::string> token() = 0;
};

class StaticTokenSource final : public TokenSource {
 public:
  explicit StaticTokenSource(std::string token) : token_(std::move(token)) {}
  Result<std::string> token() override { return token_; }

 private:
  std::string token_;
};

// Re-reads the file whenever its modification time or size changes, so a rotated projected
// service-account token is picked up on the next request without a restart.
class FileTokenSource final : public TokenSource {
 public:
  explicit FileTokenSource(std::string path) : path_(std::move(path)) {}
  Result<std::string> token() override;

 private:
  std::string path_;
  std::mutex mutex_;
  std::string cached_;
  long long cachedMtimeNs_ = -1;
  long long cachedSize_ = -1;
};

}  // namespace aviary::kube
