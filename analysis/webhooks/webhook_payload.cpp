#include "analysis/webhooks/webhook_payload.h"

namespace aviary::analysis {

nlohmann::json encodeWebhookPayload(const WebhookPayload& payload) {
  nlohmann::json body = {{"name", payload.name},
                         {"namespace", payload.ns},
                         {"phase", payload.phase},
                         {"checksum", payload.checksum}};
  if (!payload.metadata.empty()) body["metadata"] = payload.metadata;
  return body;
}

WebhookPayload eventWebhookPayload(WebhookPayload base, const CanaryEvent& event) {
  auto millis = std::chrono::duration_cast<std::chrono::milliseconds>(event.time.time_since_epoch()).count();
  std::map<std::string, std::string> metadata = {
      {"eventMessage", event.message}, {"eventType", event.type}, {"timestamp", std::to_string(millis)}};
  metadata.merge(base.metadata);  // keeps the event's keys where both have one
  base.metadata = std::move(metadata);
  return base;
}

}  // namespace aviary::analysis
