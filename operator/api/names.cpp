#include "operator/api/names.h"

#include "operator/core/text_safety.h"

namespace aviary::api {
namespace {

bool lowerAlnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

// [a-z0-9]([-a-z0-9]*[a-z0-9])? with an optional first-character rule (RFC 1035: a letter).
bool isLabel(std::string_view s, bool letterFirst) {
  if (s.empty() || s.size() > kMaxLabelLength) return false;
  if (!lowerAlnum(s.front()) || !lowerAlnum(s.back())) return false;
  if (letterFirst && !(s.front() >= 'a' && s.front() <= 'z')) return false;
  for (char c : s) {
    if (!lowerAlnum(c) && c != '-') return false;
  }
  return true;
}

}  // namespace

std::optional<std::string> dns1123LabelProblem(std::string_view name) {
  if (name.size() > kMaxLabelLength) {
    return "must be no more than 63 characters (" + std::to_string(name.size()) + " given)";
  }
  if (isLabel(name, false)) return std::nullopt;
  return quoteForMessage(name) +
         " is not a lowercase RFC 1123 label: lower case alphanumeric characters or '-', starting and "
         "ending with an alphanumeric character";
}

std::optional<std::string> dns1123SubdomainProblem(std::string_view name) {
  if (name.size() > kMaxSubdomainLength) {
    return "must be no more than 253 characters (" + std::to_string(name.size()) + " given)";
  }
  bool ok = !name.empty();
  std::size_t start = 0;
  while (ok) {
    std::size_t dot = name.find('.', start);
    std::string_view part = name.substr(start, dot == std::string_view::npos ? name.npos : dot - start);
    // Kubernetes' subdomain regex allows labels longer than 63 inside a subdomain; only the total counts.
    ok = !part.empty() && lowerAlnum(part.front()) && lowerAlnum(part.back());
    for (char c : part) ok = ok && (lowerAlnum(c) || c == '-');
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  if (ok) return std::nullopt;
  return quoteForMessage(name) +
         " is not a lowercase RFC 1123 subdomain: lower case alphanumeric characters, '-' or '.', starting "
         "and ending with an alphanumeric character";
}

std::optional<std::string> dns1035LabelProblem(std::string_view name) {
  if (name.size() > kMaxLabelLength) {
    return "must be no more than 63 characters (" + std::to_string(name.size()) + " given)";
  }
  if (isLabel(name, true)) return std::nullopt;
  return quoteForMessage(name) +
         " is not an RFC 1035 label: lower case alphanumeric characters or '-', starting with a letter "
         "and ending with an alphanumeric character";
}

}  // namespace aviary::api
