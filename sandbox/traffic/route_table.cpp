#include "sandbox/traffic/route_table.h"

#include <algorithm>

namespace aviary::sandbox::traffic {

StringMatch StringMatch::regexOf(const std::string& pattern) {
  StringMatch m{Kind::Regex, pattern, nullptr, false};
  try {
    m.regex = std::make_shared<const std::regex>(pattern, std::regex::ECMAScript);
  } catch (const std::regex_error&) {
    m.regex = nullptr;
  }
  return m;
}

bool StringMatch::matches(const std::string* v) const {
  bool result = false;
  if (!v) {
    result = false;
  } else {
    switch (kind) {
      case Kind::Exact:
        result = *v == value;
        break;
      case Kind::Prefix:
        result = v->rfind(value, 0) == 0;
        break;
      case Kind::Suffix:
        result = v->size() >= value.size() && v->compare(v->size() - value.size(), value.size(), value) == 0;
        break;
      case Kind::Regex:
        result = regex && std::regex_match(*v, *regex);
        break;
      case Kind::Present:
        result = true;
        break;
    }
  }
  return invert ? !result : result;
}

bool RequestMatch::matches(const RequestAttributes& request) const {
  if (path && !path->matches(&request.path)) return false;
  if (method && *method != request.method) return false;
  for (const auto& h : headers) {
    auto it = request.headers.find(h.name);
    if (!h.match.matches(it == request.headers.end() ? nullptr : &it->second)) return false;
  }
  return true;
}

bool Route::accepts(const RequestAttributes& request) const {
  return matches.empty() || std::any_of(matches.begin(), matches.end(),
                                        [&](const RequestMatch& m) { return m.matches(request); });
}

std::optional<std::pair<std::string, std::string>> resolveServiceHost(const std::string& host,
                                                                      const std::string& contextNs) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  while (true) {
    auto dot = host.find('.', start);
    parts.push_back(host.substr(start, dot - start));
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  if (parts.empty() || parts[0].empty()) return std::nullopt;
  if (parts.size() == 1) return std::make_pair(contextNs, parts[0]);
  if (parts.size() == 2) return std::make_pair(parts[1], parts[0]);
  if (parts[2] != "svc") return std::nullopt;
  if (parts.size() == 3 || (parts.size() == 5 && parts[3] == "cluster" && parts[4] == "local")) {
    return std::make_pair(parts[1], parts[0]);
  }
  return std::nullopt;
}

}  // namespace aviary::sandbox::traffic
