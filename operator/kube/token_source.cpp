#include "operator/kube/token_source.h"

#include <sys/stat.h>

#include <fstream>
#include <sstream>

namespace aviary::kube {

Result<std::string> FileTokenSource::token() {
  struct stat st {};
  if (::stat(path_.c_str(), &st) != 0) {
    return makeError(ErrorCode::Config, "cannot read token file " + path_);
  }
  long long mtimeNs = static_cast<long long>(st.st_mtim.tv_sec) * 1'000'000'000LL + st.st_mtim.tv_nsec;
  std::lock_guard lock(mutex_);
  if (mtimeNs == cachedMtimeNs_ && st.st_size == cachedSize_) return cached_;
  std::ifstream in(path_);
  if (!in) return makeError(ErrorCode::Config, "cannot read token file " + path_);
  std::stringstream buffer;
  buffer << in.rdbuf();
  std::string text = buffer.str();
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) text.pop_back();
  if (text.empty()) return makeError(ErrorCode::Config, "token file " + path_ + " is empty");
  cached_ = std::move(text);
  cachedMtimeNs_ = mtimeNs;
  cachedSize_ = st.st_size;
  return cached_;
}

}  // namespace aviary::kube
