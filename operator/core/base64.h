// Base64 (RFC 4648) for kubeconfig *-data fields and Secrets.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace aviary {

std::string base64Encode(std::string_view bytes);
// nullopt on characters outside the alphabet or a bad length; whitespace is skipped.
std::optional<std::string> base64Decode(std::string_view text);

}  // namespace aviary
