// Go-style durations as Kubernetes manifests and Flagger's spec write them: "30s", "1m", "1m30s", "500ms",
// "1.5h".
#pragma once

#include <chrono>
#include <optional>
#include <string>

namespace aviary {

// nullopt when malformed, empty, or longer than 10^15 ms (so that no caller's time arithmetic overflows).
std::optional<std::chrono::milliseconds> parseDuration(const std::string& text);
// The shortest Go-style spelling: 90000 ms → "1m30s".
std::string formatDuration(std::chrono::milliseconds d);

}  // namespace aviary
