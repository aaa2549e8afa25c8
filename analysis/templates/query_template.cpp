#include "analysis/templates/query_template.h"

#include <optional>
#include <string_view>
#include <vector>

#include "operator/core/text_safety.h"

namespace aviary::analysis {
namespace {

constexpr std::string_view kVariablesPrefix = "variables.";

std::string_view trim(std::string_view text) {
  constexpr std::string_view kSpace = " \t\r\n";
  auto first = text.find_first_not_of(kSpace);
  if (first == std::string_view::npos) return {};
  return text.substr(first, text.find_last_not_of(kSpace) - first + 1);
}

const std::string* lookup(std::string_view name, const QueryVariables& vars) {
  if (name == "name") return &vars.name;
  if (name == "namespace") return &vars.ns;
  if (name == "target") return &vars.target;
  if (name == "service") return &vars.service;
  if (name == "interval") return &vars.interval;
  if (name.starts_with(kVariablesPrefix)) {
    auto it = vars.variables.find(std::string(name.substr(kVariablesPrefix.size())));
    if (it != vars.variables.end()) return &it->second;
  }
  return nullptr;
}

Error unknown(std::string_view name, const QueryVariables& vars) {
  std::string quoted = quoteForMessage("{{ " + std::string(name) + " }}");
  if (name.starts_with(kVariablesPrefix)) {
    std::vector<std::string> keys;
    for (const auto& [key, value] : vars.variables) keys.push_back(quoteForMessage(key));
    return Error{ErrorCode::Invalid, "query names " + quoted +
                                         " but the metric's templateVariables have no such key (keys: " +
                                         listForMessage(keys) + ")"};
  }
  std::string hint;
  if (name == "ingress" || name == "route") {
    hint = " ({{ " + std::string(name) + " }} needs spec." + std::string(name) +
           "Ref, which Aviary does not support yet)";
  }
  return Error{ErrorCode::Invalid, "query names unknown template variable " + quoted + hint +
                                       "; Aviary knows {{ name }}, {{ namespace }}, {{ target }}, "
                                       "{{ service }}, {{ interval }} and {{ variables.KEY }}, and no other "
                                       "Go template syntax"};
}

}  // namespace

Result<std::string> renderTemplateQuery(const std::string& query, const QueryVariables& vars) {
  std::string out;
  out.reserve(query.size());
  std::size_t at = 0;
  while (true) {
    auto open = query.find("{{", at);
    if (open == std::string::npos) break;
    auto close = query.find("}}", open + 2);
    if (close == std::string::npos) {
      return Error{ErrorCode::Invalid,
                   "query has a \"{{\" without \"}}\" at character " + std::to_string(open + 1)};
    }
    std::string_view name = trim(std::string_view(query).substr(open + 2, close - open - 2));
    const std::string* value = lookup(name, vars);
    if (!value) return unknown(name, vars);
    out.append(query, at, open - at);
    out += *value;
    at = close + 2;
  }
  out.append(query, at, std::string::npos);
  return out;
}

}  // namespace aviary::analysis
