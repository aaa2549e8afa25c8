// Kubernetes timestamp formats: Time (RFC 3339, seconds, Z) and MicroTime (6 fractional digits).
#pragma once

#include <chrono>
#include <optional>
#include <string>

namespace aviary {

std::string formatRfc3339(std::chrono::system_clock::time_point t);
std::string formatRfc3339Micro(std::chrono::system_clock::time_point t);
// Accepts both forms (and fractional seconds of any length); nullopt when malformed.
std::optional<std::chrono::system_clock::time_point> parseRfc3339(const std::string& text);

}  // namespace aviary
