#include "analysis/checks/metric_checks.h"

#include <cmath>
#include <cstdio>

namespace aviary::analysis {
namespace {

std::string number(double v) {
  char buf[32];
  if (v == std::floor(v) && std::abs(v) < 1e15) {
    std::snprintf(buf, sizeof buf, "%.0f", v);
  } else {
    std::snprintf(buf, sizeof buf, "%.2f", v);
  }
  return buf;
}

}  // namespace

std::string renderQuery(const std::string& text, const std::map<std::string, std::string>& vars) {
  std::string out;
  std::size_t i = 0;
  while (i < text.size()) {
    auto open = text.find("{{", i);
    if (open == std::string::npos) break;
    auto close = text.find("}}", open + 2);
    if (close == std::string::npos) break;
    std::string name = text.substr(open + 2, close - open - 2);
    auto first = name.find_first_not_of(' '), last = name.find_last_not_of(' ');
    name = first == std::string::npos ? "" : name.substr(first, last - first + 1);
    out += text.substr(i, open - i);
    auto v = vars.find(name);
    out += v != vars.end() ? v->second : text.substr(open, close + 2 - open);
    i = close + 2;
  }
  out += text.substr(i);
  return out;
}

api::MetricResult runCheck(const api::MetricCheck& check, const CheckContext& context,
                           const MetricProvider& metrics) {
  api::MetricResult r{check.name, std::nullopt, check.range, false, ""};
  std::string query = check.query;
  if (query.empty()) {
    if (check.templateRef) {
      r.message = check.name + ": MetricTemplate references are not supported yet";
      return r;
    }
    auto builtIn = builtInQuery(context.provider, check.name);
    if (!builtIn) {
      r.message = check.name + ": " + builtIn.error().message;
      return r;
    }
    query = *builtIn;
  }
  query = renderQuery(query, {{"namespace", context.ns},
                              {"target", context.target},
                              {"service", context.service},
                              {"interval", check.intervalText}});
  auto value = metrics.queryValue(query);
  if (!value) {
    r.message = check.name + ": " + value.error().message;
    return r;
  }
  r.value = *value;
  if (check.range.min && *value < *check.range.min) {
    r.message = check.name + " " + number(*value) + " < " + number(*check.range.min);
  } else if (check.range.max && *value > *check.range.max) {
    r.message = check.name + " " + number(*value) + " > " + number(*check.range.max);
  } else {
    r.passed = true;
    r.message = check.name + " " + number(*value) + " within range";
  }
  return r;
}

std::vector<api::MetricResult> runChecks(const std::vector<api::MetricCheck>& checks,
                                         const CheckContext& context, const MetricProvider& metrics) {
  std::vector<api::MetricResult> out;
  for (const auto& c : checks) out.push_back(runCheck(c, context, metrics));
  return out;
}

}  // namespace aviary::analysis
