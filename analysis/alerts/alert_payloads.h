// The JSON each alert service documents for an incoming webhook, one builder per service, and the one
// function that picks the builder for a provider. Pure: no I/O. The shapes are Flagger's, so a channel
// sees the same message from Aviary as it did from Flagger.
#pragma once

#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "analysis/alerts/alert_provider.h"
#include "analysis/alerts/alert_severity.h"

namespace aviary::analysis {

struct AlertMessage {
  std::string canary, ns;  // the Canary's name and namespace
  std::string message;
  std::vector<std::pair<std::string, std::string>> fields;  // ("Target", "Deployment/podinfo.test"), …
  AlertSeverity severity = AlertSeverity::Info;
  std::string phase, checksum;                 // for the generic webhook only
  std::chrono::system_clock::time_point time;  // for the generic webhook only
};

struct AlertPost {
  std::string url;
  nlohmann::json body;
};

// Slack incoming webhook: one attachment coloured by severity (good, warning, danger), Slack's
// control characters (&, <, >) escaped so that a Canary's text cannot mention @channel.
nlohmann::json slackPayload(const AlertTarget& target, const AlertMessage& message);
// Discord's Slack-compatible endpoint: Slack's shape, posted to <address>/slack.
nlohmann::json discordPayload(const AlertTarget& target, const AlertMessage& message);
std::string discordUrl(const std::string& address);
// Rocket.Chat incoming webhook: Slack's shape with hex colours.
nlohmann::json rocketPayload(const AlertTarget& target, const AlertMessage& message);
// Microsoft Teams: an Office 365 connector MessageCard with the fields as facts.
nlohmann::json teamsPayload(const AlertMessage& message);
// Google Chat: a card (legacy `cards` format) with the message and one section per field, HTML-escaped.
nlohmann::json gchatPayload(const AlertMessage& message);
// Any HTTP receiver: Flagger's webhook payload, with eventMessage, eventType (Normal for info, else
// Warning), timestamp, severity and the fields in metadata.
nlohmann::json genericWebhookPayload(const AlertMessage& message);

// `text` with &, < and > (and " when `quotes`) as HTML entities: what Slack's mrkdwn and Google Chat's
// card HTML need so that a Canary's text stays text.
std::string escapeMarkup(const std::string& text, bool quotes);

// The URL and body for `target`'s service.
AlertPost buildAlertPost(const AlertTarget& target, const AlertMessage& message);

}  // namespace aviary::analysis
