// The Slack attachment shape and the services that accept it: Slack, Discord (its /slack endpoint) and
// Rocket.Chat. They differ in colours, escaping and URL only.
#include "analysis/alerts/alert_payloads.h"

namespace aviary::analysis {
namespace {

using Json = nlohmann::json;

struct Colours {
  const char *info, *warn, *error;
};

Json slackShape(const AlertTarget& target, const AlertMessage& message, Colours colours, bool escape) {
  // Slack reads &, < and > as control characters (<!channel>, <@U123>, links); its documentation asks
  // senders to escape exactly these three.
  auto text = [&](const std::string& s) { return escape ? escapeMarkup(s, false) : s; };
  Json fields = Json::array();
  for (const auto& [name, value] : message.fields)
    fields.push_back({{"title", text(name)}, {"value", text(value)}, {"short", false}});
  const char* colour = message.severity == AlertSeverity::Error  ? colours.error
                       : message.severity == AlertSeverity::Warn ? colours.warn
                                                                 : colours.info;
  Json attachment = {{"color", colour},
                     {"author_name", text(message.canary + "." + message.ns)},
                     {"text", text(message.message)},
                     {"mrkdwn_in", Json::array({"text"})},
                     {"fields", std::move(fields)}};
  return {{"channel", target.channel},
          {"username", target.username},
          {"icon_url", ""},
          {"icon_emoji", ":rocket:"},
          {"attachments", Json::array({std::move(attachment)})}};
}

}  // namespace

Json slackPayload(const AlertTarget& target, const AlertMessage& message) {
  return slackShape(target, message, {"good", "warning", "danger"}, true);
}

Json discordPayload(const AlertTarget& target, const AlertMessage& message) {
  return slackShape(target, message, {"good", "warning", "danger"}, false);
}

std::string discordUrl(const std::string& address) {
  auto query = address.find_first_of("?#");
  std::string path = address.substr(0, query);
  std::string rest = query == std::string::npos ? "" : address.substr(query);
  while (!path.empty() && path.back() == '/') path.pop_back();
  if (!path.ends_with("/slack")) path += "/slack";
  return path + rest;
}

Json rocketPayload(const AlertTarget& target, const AlertMessage& message) {
  return slackShape(target, message, {"#0076D7", "#FFA500", "#FF0000"}, false);
}

}  // namespace aviary::analysis
