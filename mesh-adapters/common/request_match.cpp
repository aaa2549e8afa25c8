#include "mesh-adapters/common/request_match.h"

namespace aviary::mesh {
namespace {

using kube::Json;

Result<StringCondition> stringCondition(const Json& m, const std::string& where) {
  static const std::pair<const char*, StringCondition::Kind> kinds[] = {
      {"exact", StringCondition::Kind::Exact},
      {"prefix", StringCondition::Kind::Prefix},
      {"suffix", StringCondition::Kind::Suffix},
      {"regex", StringCondition::Kind::Regex}};
  if (m.is_object()) {
    for (const auto& [key, kind] : kinds) {
      if (m.contains(key) && m[key].is_string()) return StringCondition{kind, m[key].get<std::string>()};
    }
  }
  return Error{ErrorCode::Invalid, where + ": needs exact, prefix, suffix or regex"};
}

std::string escapeRegex(const std::string& text) {
  std::string out;
  for (char ch : text) {
    if (std::string_view("\\^$.|?*+()[]{}").find(ch) != std::string_view::npos) out += '\\';
    out += ch;
  }
  return out;
}

}  // namespace

Result<std::vector<RequestCondition>> parseRequestMatches(const Json& match) {
  std::vector<RequestCondition> out;
  if (match.is_null()) return out;
  if (!match.is_array()) return Error{ErrorCode::Invalid, "match must be a list of conditions"};
  for (std::size_t i = 0; i < match.size(); ++i) {
    const Json& m = match[i];
    const std::string where = "match[" + std::to_string(i) + "]";
    if (!m.is_object()) return Error{ErrorCode::Invalid, where + " must be an object"};
    RequestCondition c;
    for (const auto& [key, value] : m.items()) {
      if (key == "headers") {
        if (!value.is_object()) return Error{ErrorCode::Invalid, where + ".headers must be a map"};
        for (const auto& [name, condition] : value.items()) {
          auto sc = stringCondition(condition, where + ".headers." + name);
          if (!sc) return sc.error();
          c.headers.emplace_back(name, *sc);
        }
      } else if (key == "uri") {
        auto sc = stringCondition(value, where + ".uri");
        if (!sc) return sc.error();
        c.uri = *sc;
      } else if (key == "method") {
        auto sc = stringCondition(value, where + ".method");
        if (!sc || sc->kind != StringCondition::Kind::Exact)
          return Error{ErrorCode::Invalid, where + ".method: only exact is supported"};
        c.method = sc->value;
      } else if (key != "name") {
        return Error{ErrorCode::Invalid, where + "." + key + " is not supported by this provider"};
      }
    }
    out.push_back(std::move(c));
  }
  return out;
}

std::string asRegex(const StringCondition& c) {
  switch (c.kind) {
    case StringCondition::Kind::Exact:
      return "^" + escapeRegex(c.value) + "$";
    case StringCondition::Kind::Prefix:
      return "^" + escapeRegex(c.value) + ".*";
    case StringCondition::Kind::Suffix:
      return ".*" + escapeRegex(c.value) + "$";
    case StringCondition::Kind::Regex:
      return c.value;
  }
  return c.value;
}

}  // namespace aviary::mesh
