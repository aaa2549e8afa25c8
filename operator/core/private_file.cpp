#include "operator/core/private_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace aviary {

Status writePrivateFile(const std::string& path, const std::string& content) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) {
    int err = errno;
    std::string why = err == ELOOP ? "it is a symbolic link" : std::strerror(err);
    return makeError(ErrorCode::Config, "cannot write " + path + ": " + why);
  }
  Status result;
  if (::fchmod(fd, 0600) != 0)
    result = makeError(ErrorCode::Config, "cannot chmod " + path + ": " + std::strerror(errno));
  std::size_t written = 0;
  while (result.ok() && written < content.size()) {
    ssize_t n = ::write(fd, content.data() + written, content.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      result = makeError(ErrorCode::Config, "cannot write " + path + ": " + std::strerror(errno));
      break;
    }
    written += static_cast<std::size_t>(n);
  }
  if (::close(fd) != 0 && result.ok()) {
    result = makeError(ErrorCode::Config, "cannot write " + path + ": " + std::strerror(errno));
  }
  return result;
}

}  // namespace aviary
