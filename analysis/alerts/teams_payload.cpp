// Microsoft Teams: an Office 365 connector MessageCard, as Flagger sends it.
#include "analysis/alerts/alert_payloads.h"

namespace aviary::analysis {

nlohmann::json teamsPayload(const AlertMessage& message) {
  nlohmann::json facts = nlohmann::json::array();
  for (const auto& [name, value] : message.fields) facts.push_back({{"name", name}, {"value", value}});
  const std::string subject = message.canary + "." + message.ns;
  const char* colour = message.severity == AlertSeverity::Error  ? "FF0000"
                       : message.severity == AlertSeverity::Warn ? "FFA500"
                                                                 : "0076D7";
  return {{"@type", "MessageCard"},
          {"@context", "http://schema.org/extensions"},
          {"themeColor", colour},
          {"summary", subject},
          {"sections", nlohmann::json::array({{{"activityTitle", message.message},
                                               {"activitySubtitle", subject},
                                               {"facts", std::move(facts)}}})}};
}

}  // namespace aviary::analysis
