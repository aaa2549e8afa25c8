#include "analysis/alerts/alert_severity.h"

namespace aviary::analysis {

std::optional<AlertSeverity> parseAlertSeverity(std::string_view name) {
  // Flagger's CRD documents "default info" but its controller matched an empty severity to nothing.
  if (name.empty() || name == "info") return AlertSeverity::Info;
  if (name == "warn") return AlertSeverity::Warn;
  if (name == "error") return AlertSeverity::Error;
  return std::nullopt;
}

std::string_view alertSeverityName(AlertSeverity severity) {
  switch (severity) {
    case AlertSeverity::Info:
      return "info";
    case AlertSeverity::Warn:
      return "warn";
    case AlertSeverity::Error:
      return "error";
  }
  return "info";
}

}  // namespace aviary::analysis
