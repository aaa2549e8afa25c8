// Go-style durations as Flagger's spec writes them: "30s", "1m", "1m30s", "500ms", "1.5h".
#pragma once

#include <chrono>
#include <optional>
#include <string>

namespace aviary::api {

// nullopt when malformed or empty.
std::optional<std::chrono::milliseconds> parseDuration(const std::string& text);
// The shortest Go-style spelling: 90000 ms → "1m30s".
std::string formatDuration(std::chrono::milliseconds d);

}  // namespace aviary::api
