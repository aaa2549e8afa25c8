#include "analysis/checks/metric_checks.h"

#include <cmath>
#include <cstdio>
#include <memory>
#include <mutex>
#include <optional>
#include <variant>

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

namespace {

// The query a check runs, or the failed result when it cannot run.
std::variant<std::string, api::MetricResult> prepare(const api::MetricCheck& check,
                                                     const CheckContext& context) {
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
  return renderQuery(query, {{"namespace", context.ns},
                             {"target", context.target},
                             {"service", context.service},
                             {"interval", check.intervalText}});
}

// The verdict on the value a check's query returned (an error fails the check).
api::MetricResult judge(const api::MetricCheck& check, const Result<double>& value) {
  api::MetricResult r{check.name, std::nullopt, check.range, false, ""};
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

}  // namespace

api::MetricResult runCheck(const api::MetricCheck& check, const CheckContext& context,
                           const MetricProvider& metrics) {
  auto prepared = prepare(check, context);
  if (auto* failed = std::get_if<api::MetricResult>(&prepared)) return *failed;
  return judge(check, metrics.queryValue(std::get<std::string>(prepared)));
}

void runChecksAsync(const std::vector<api::MetricCheck>& checks, const CheckContext& context,
                    const MetricProvider& metrics, std::function<void(std::vector<api::MetricResult>)> done) {
  // Every query is in flight at once; the last answer, whichever it is, delivers the results in order.
  struct Gathering {
    std::mutex mutex;
    std::vector<api::MetricResult> results;
    std::size_t pending = 0;
    std::function<void(std::vector<api::MetricResult>)> done;
  };
  auto g = std::make_shared<Gathering>();
  g->results.resize(checks.size());
  g->pending = checks.size() + 1;  // +1: the loop below, so no answer can finish before every start
  g->done = std::move(done);
  auto finishOne = [g](std::size_t i, std::optional<api::MetricResult> r) {
    std::unique_lock lock(g->mutex);
    if (r) g->results[i] = std::move(*r);
    if (--g->pending > 0) return;
    auto results = std::move(g->results);
    lock.unlock();
    g->done(std::move(results));
  };
  for (std::size_t i = 0; i < checks.size(); ++i) {
    auto prepared = prepare(checks[i], context);
    if (auto* failed = std::get_if<api::MetricResult>(&prepared)) {
      finishOne(i, *failed);
      continue;
    }
    metrics.queryValueAsync(
        std::get<std::string>(prepared),
        [finishOne, i, check = checks[i]](Result<double> value) { finishOne(i, judge(check, value)); });
  }
  finishOne(0, std::nullopt);
}

std::vector<api::MetricResult> runChecks(const std::vector<api::MetricCheck>& checks,
                                         const CheckContext& context, const MetricProvider& metrics) {
  std::vector<api::MetricResult> out;
  for (const auto& c : checks) out.push_back(runCheck(c, context, metrics));
  return out;
}

}  // namespace aviary::analysis
