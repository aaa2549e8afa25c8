// Which alerts a Canary's `alerts[]` entry receives: its severity is a threshold. info (or empty) gets
// everything, warn gets warn and error, error gets only error. Pure.
#pragma once

#include <optional>
#include <string_view>

namespace aviary::analysis {

enum class AlertSeverity { Info, Warn, Error };

// "" and "info" → Info, "warn" → Warn, "error" → Error; anything else nullopt.
std::optional<AlertSeverity> parseAlertSeverity(std::string_view name);
std::string_view alertSeverityName(AlertSeverity severity);

// True when an entry with threshold `subscribed` should receive an alert of `severity`.
inline bool alertWanted(AlertSeverity subscribed, AlertSeverity severity) {
  return static_cast<int>(severity) >= static_cast<int>(subscribed);
}

}  // namespace aviary::analysis
