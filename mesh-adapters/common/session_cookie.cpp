#include "mesh-adapters/common/session_cookie.h"

#include <string_view>

namespace aviary::mesh {
namespace {

std::string escapeRegex(const std::string& text) {
  static constexpr std::string_view kSpecial = ".^$|()[]{}*+?\\";
  std::string out;
  for (char c : text) {
    if (kSpecial.find(c) != std::string_view::npos) out += '\\';
    out += c;
  }
  return out;
}

}  // namespace

std::string setCookieValue(const api::SessionAffinitySpec& spec, const std::string& cookie,
                           long long maxAgeSeconds) {
  std::string out = cookie + "; Max-Age=" + std::to_string(maxAgeSeconds);
  if (!spec.domain.empty()) out += "; Domain=" + spec.domain;
  if (!spec.path.empty()) out += "; Path=" + spec.path;
  if (spec.secure) out += "; Secure";
  if (spec.httpOnly) out += "; HttpOnly";
  if (!spec.sameSite.empty()) out += "; SameSite=" + spec.sameSite;
  if (spec.partitioned) out += "; Partitioned";
  return out;
}

std::string cookieHeaderPattern(const std::string& cookie) {
  return "(.*;\\s*)?" + escapeRegex(cookie) + "(\\s*;.*)?";
}

std::string cookieSetBy(const std::string& setCookie) {
  std::string pair = setCookie.substr(0, setCookie.find(';'));
  return pair.find('=') == std::string::npos ? std::string() : pair;
}

bool expiresCookie(const std::string& setCookie) {
  const auto at = setCookie.find("Max-Age=");
  if (at == std::string::npos) return false;
  try {
    return std::stoll(setCookie.substr(at + 8)) <= 0;
  } catch (const std::exception&) {
    return false;
  }
}

}  // namespace aviary::mesh
