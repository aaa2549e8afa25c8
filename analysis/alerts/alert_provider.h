// An AlertProvider (alertproviders.aviary.io, Flagger's AlertProvider): where a Canary's alerts go, and
// how the provider's Secret completes it. Decoding and resolution are pure; the controller reads the
// Secret and hands its data in. Secret values never appear in errors.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "operator/api/canary.h"
#include "operator/core/result.h"

namespace aviary::analysis {

enum class AlertProviderType { Slack, MsTeams, Discord, Rocket, GChat, Webhook };

// "slack", "msteams", "discord", "rocket", "gchat", "webhook".
std::string_view alertProviderTypeName(AlertProviderType type);
std::optional<AlertProviderType> parseAlertProviderType(std::string_view name);

struct AlertProviderSpec {
  AlertProviderType type = AlertProviderType::Slack;
  std::string channel, username, address, proxy;
  std::optional<std::string> secretRefName;  // a Secret in the provider's namespace
};

struct AlertProviderDecodeResult {
  AlertProviderSpec spec;
  std::vector<api::FieldError> errors;  // non-empty: the AlertProvider is invalid
};

// Decodes an AlertProvider object as the API server returns it. Errors carry field paths
// ("spec.type: …"); decoding continues past errors. An address or a secretRef is required, as Flagger's
// schema says.
AlertProviderDecodeResult decodeAlertProvider(const nlohmann::json& object);

// A provider ready to post to: the spec with its Secret applied and Flagger's defaults filled in.
struct AlertTarget {
  AlertProviderType type = AlertProviderType::Slack;
  std::string name;     // "namespace/name" of the AlertProvider, for messages and logs
  std::string address;  // may be a secret (Slack and Teams URLs are credentials)
  std::string token;    // Slack: sent as a bearer token
  std::string proxy;
  std::string username = "aviary", channel = "general";
};

// The Secret's keys that override the spec (Flagger's): `address` (required when secretRef is set) and
// `token`.
inline constexpr const char* kSecretAddressKey = "address";
inline constexpr const char* kSecretTokenKey = "token";

// Applies `secretData` (the Secret's decoded data; nullptr when the spec has no secretRef) to `spec`.
// Errors: Config, when secretRef is set and the data is missing or has no `address`; the message names
// the provider, the Secret and the key, never a value.
Result<AlertTarget> resolveAlertTarget(const AlertProviderSpec& spec, const std::string& providerName,
                                       const std::map<std::string, std::string>* secretData);

}  // namespace aviary::analysis
