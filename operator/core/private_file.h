// Writing files that hold credentials (kubeconfigs with a bearer token or a client key).
#pragma once

#include <string>

#include "operator/core/result.h"

namespace aviary {

// Writes `content` to `path` readable by its owner only (0600), refusing to follow a symbolic link at
// `path` (an attacker's link could otherwise make us overwrite or expose another file). An existing
// regular file is truncated and its mode set to 0600. Errors: Config, with the path and errno's text.
Status writePrivateFile(const std::string& path, const std::string& content);

}  // namespace aviary
