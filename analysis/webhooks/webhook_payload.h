// The JSON body of a Flagger webhook call (CanaryWebhookPayload): what every Flagger-compatible receiver
// (the load tester, approval gates, event sinks) reads. Pure: no I/O.
#pragma once

#include <chrono>
#include <map>
#include <string>

#include <nlohmann/json.hpp>

namespace aviary::analysis {

struct WebhookPayload {
  std::string name, ns;  // the Canary's
  std::string phase;     // Flagger's phase name: "Progressing", "Promoting", …
  std::string checksum;  // identifies the Canary's configuration (the controller computes it)
  std::map<std::string, std::string> metadata;
};

// {"name", "namespace", "phase", "checksum", "metadata"}; metadata left out when empty, as Flagger's
// omitempty does.
nlohmann::json encodeWebhookPayload(const WebhookPayload& payload);

struct CanaryEvent {
  std::string message;
  std::string type;  // the Kubernetes Event type: "Normal" or "Warning"
  std::chrono::system_clock::time_point time;
};

// An event webhook's payload (Flagger's CallEventWebhook): `base` with metadata eventMessage, eventType
// and timestamp (Unix milliseconds, as a string); the webhook's own metadata fills the other keys but
// never replaces those three.
WebhookPayload eventWebhookPayload(WebhookPayload base, const CanaryEvent& event);

}  // namespace aviary::analysis
