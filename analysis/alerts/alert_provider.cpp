// AlertProvider JSON → AlertProviderSpec with field-path errors, and the Secret applied to it.
#include "analysis/alerts/alert_provider.h"

#include <array>
#include <utility>

#include "operator/core/text_safety.h"

namespace aviary::analysis {
namespace {

using Json = nlohmann::json;

constexpr std::array<std::pair<AlertProviderType, std::string_view>, 6> kTypeNames = {{
    {AlertProviderType::Slack, "slack"},
    {AlertProviderType::MsTeams, "msteams"},
    {AlertProviderType::Discord, "discord"},
    {AlertProviderType::Rocket, "rocket"},
    {AlertProviderType::GChat, "gchat"},
    {AlertProviderType::Webhook, "webhook"},
}};

constexpr std::size_t kMaxFieldBytes = 2048;

std::string trimmed(const std::string& text) {
  auto first = text.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) return "";
  return text.substr(first, text.find_last_not_of(" \t\r\n") - first + 1);
}

}  // namespace

std::string_view alertProviderTypeName(AlertProviderType type) {
  for (const auto& [t, name] : kTypeNames)
    if (t == type) return name;
  return "unknown";
}

std::optional<AlertProviderType> parseAlertProviderType(std::string_view name) {
  for (const auto& [t, n] : kTypeNames)
    if (n == name) return t;
  return std::nullopt;
}

AlertProviderDecodeResult decodeAlertProvider(const Json& object) {
  AlertProviderDecodeResult result;
  auto& errors = result.errors;
  auto& spec = result.spec;
  if (!object.is_object() || !object.contains("spec") || !object["spec"].is_object()) {
    errors.push_back({"spec", "must be an object"});
    return result;
  }
  const Json& s = object["spec"];
  auto text = [&](const char* key, std::string& out) {
    if (!s.contains(key) || s[key].is_null()) return;
    if (!s[key].is_string()) return errors.push_back({std::string("spec.") + key, "must be a string"});
    out = s[key].get<std::string>();
    if (out.size() > kMaxFieldBytes)
      errors.push_back(
          {std::string("spec.") + key, "must be at most " + std::to_string(kMaxFieldBytes) + " bytes"});
  };
  std::string type;
  text("type", type);
  if (auto parsed = parseAlertProviderType(type)) {
    spec.type = *parsed;
  } else if (type.empty()) {
    errors.push_back({"spec.type", "is required (slack, msteams, discord, rocket, gchat or webhook)"});
  } else {
    errors.push_back({"spec.type", quoteForMessage(type) +
                                       " is not one of slack, msteams, discord, rocket, gchat, webhook"});
  }
  text("channel", spec.channel);
  text("username", spec.username);
  text("address", spec.address);
  text("proxy", spec.proxy);
  if (s.contains("secretRef") && !s["secretRef"].is_null()) {
    const Json& ref = s["secretRef"];
    if (!ref.is_object()) {
      errors.push_back({"spec.secretRef", "must be an object"});
    } else if (!ref.contains("name") || !ref["name"].is_string() || ref["name"].get<std::string>().empty()) {
      errors.push_back({"spec.secretRef.name", "is required and must be a string"});
    } else {
      spec.secretRefName = ref["name"].get<std::string>();
    }
  }
  if (spec.address.empty() && !spec.secretRefName && errors.empty())
    errors.push_back({"spec", "needs an address or a secretRef"});
  return result;
}

Result<AlertTarget> resolveAlertTarget(const AlertProviderSpec& spec, const std::string& providerName,
                                       const std::map<std::string, std::string>* secretData) {
  AlertTarget target;
  target.type = spec.type;
  target.name = providerName;
  target.address = spec.address;
  target.proxy = spec.proxy;
  if (!spec.username.empty()) target.username = spec.username;
  if (!spec.channel.empty()) target.channel = spec.channel;
  if (spec.secretRefName) {
    const std::string where = "alert provider " + quoteForMessage(providerName) + ": secret " +
                              quoteForMessage(*spec.secretRefName);
    if (!secretData) return Error{ErrorCode::Config, where + " was not read"};
    auto address = secretData->find(kSecretAddressKey);
    if (address == secretData->end()) return Error{ErrorCode::Config, where + " has no key \"address\""};
    // `echo url | kubectl create secret` leaves a line break that would make the URL invalid.
    target.address = trimmed(address->second);
    if (auto token = secretData->find(kSecretTokenKey); token != secretData->end())
      target.token = trimmed(token->second);
  }
  if (target.address.empty())
    return Error{ErrorCode::Config, "alert provider " + quoteForMessage(providerName) + " has no address"};
  return target;
}

}  // namespace aviary::analysis
