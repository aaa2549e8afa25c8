// The generic webhook body and the choice of builder per provider type.
#include "analysis/alerts/alert_payloads.h"

#include "analysis/webhooks/webhook_payload.h"

namespace aviary::analysis {

nlohmann::json genericWebhookPayload(const AlertMessage& message) {
  WebhookPayload base{
      .name = message.canary, .ns = message.ns, .phase = message.phase, .checksum = message.checksum};
  base.metadata["severity"] = alertSeverityName(message.severity);
  for (const auto& [name, value] : message.fields) base.metadata.emplace(name, value);
  CanaryEvent event{.message = message.message,
                    .type = message.severity == AlertSeverity::Info ? "Normal" : "Warning",
                    .time = message.time};
  return encodeWebhookPayload(eventWebhookPayload(std::move(base), event));
}

std::string escapeMarkup(const std::string& text, bool quotes) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    if (c == '&')
      out += "&amp;";
    else if (c == '<')
      out += "&lt;";
    else if (c == '>')
      out += "&gt;";
    else if (c == '"' && quotes)
      out += "&quot;";
    else
      out += c;
  }
  return out;
}

AlertPost buildAlertPost(const AlertTarget& target, const AlertMessage& message) {
  switch (target.type) {
    case AlertProviderType::Slack:
      return {target.address, slackPayload(target, message)};
    case AlertProviderType::Discord:
      return {discordUrl(target.address), discordPayload(target, message)};
    case AlertProviderType::Rocket:
      return {target.address, rocketPayload(target, message)};
    case AlertProviderType::MsTeams:
      return {target.address, teamsPayload(message)};
    case AlertProviderType::GChat:
      return {target.address, gchatPayload(message)};
    case AlertProviderType::Webhook:
      break;
  }
  return {target.address, genericWebhookPayload(message)};
}

}  // namespace aviary::analysis
