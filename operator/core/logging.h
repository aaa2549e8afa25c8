// Process-wide logging setup: spdlog, as human text or as JSON lines for log collectors.
#pragma once

#include <string>

#include "operator/core/result.h"

namespace aviary {

enum class LogFormat { Text, Json };

// level: trace|debug|info|warn|error|off; format: text|json. Invalid names are a Config error.
Status initLogging(const std::string& level, const std::string& format);
Status initLogging(const std::string& level, LogFormat format);

}  // namespace aviary
