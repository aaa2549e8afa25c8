// Google Chat: a card in the `cards` format Flagger sends, with the message and one section per field.
// Card text is a small HTML subset, so a Canary's text is escaped.
#include "analysis/alerts/alert_payloads.h"

namespace aviary::analysis {
namespace {

std::string htmlEscape(const std::string& text) {
  return escapeMarkup(text, true);
}

nlohmann::json paragraph(const std::string& html) {
  return {{"widgets", nlohmann::json::array({{{"textParagraph", {{"text", html}}}}})}};
}

std::string emphasised(const std::string& text) {
  return "<font color=#848484><strong>" + htmlEscape(text) + "</strong></font>";
}

}  // namespace

nlohmann::json gchatPayload(const AlertMessage& message) {
  nlohmann::json sections = nlohmann::json::array({paragraph(emphasised(message.message))});
  for (const auto& [name, value] : message.fields)
    sections.push_back(paragraph(htmlEscape(name) + "<br>" + emphasised(value)));
  nlohmann::json header = {{"title", "Aviary"}, {"subtitle", message.canary + "." + message.ns}};
  return {
      {"cards", nlohmann::json::array({{{"header", std::move(header)}, {"sections", std::move(sections)}}})}};
}

}  // namespace aviary::analysis
