#include "analysis/checks/metric_checks.h"

#include <cmath>
#include <cstdio>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <variant>

#include "operator/core/text_safety.h"

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

// The threshold a value is judged against: "min 99", "max 500" or "range [1, 5]".
std::string thresholdText(const api::ThresholdRange& range) {
  if (range.min && range.max) return "range [" + number(*range.min) + ", " + number(*range.max) + "]";
  if (range.min) return "min " + number(*range.min);
  if (range.max) return "max " + number(*range.max);
  return "no threshold";
}

// The verdict on the value a check's query returned (an error fails the check). Every message names the
// value (or why there is none) and the threshold it was judged against.
api::MetricResult judge(const api::MetricCheck& check, const Result<double>& value) {
  api::MetricResult r{check.name, std::nullopt, check.range, false, ""};
  if (!value) {
    r.message = check.name + ": " + value.error().message + " (" + thresholdText(check.range) + ")";
    return r;
  }
  r.value = *value;
  if (check.range.min && *value < *check.range.min) {
    r.message = check.name + " " + number(*value) + " < " + number(*check.range.min);
  } else if (check.range.max && *value > *check.range.max) {
    r.message = check.name + " " + number(*value) + " > " + number(*check.range.max);
  } else {
    r.passed = true;
    r.message = check.name + " " + number(*value) + " within " + thresholdText(check.range);
  }
  return r;
}

// The rendered query of a prepared check, or its failed result.
std::variant<std::string, api::MetricResult> render(const PreparedCheck& p, const CheckContext& context) {
  if (p.failed) return *p.failed;
  auto rendered = renderTemplateQuery(p.query, queryVariables(p.check, context));
  if (!rendered) return *failedCheck(p.check, p.origin + rendered.error().message).failed;
  return *rendered;
}

// The blocking calls wait for the asynchronous path, so both judge and explain alike.
api::MetricResult evaluate(PreparedCheck p, const CheckContext& context) {
  std::promise<std::vector<api::MetricResult>> answer;
  auto results = answer.get_future();
  runChecksAsync({std::move(p)}, context,
                 [&answer](std::vector<api::MetricResult> r) { answer.set_value(std::move(r)); });
  return results.get().front();
}

}  // namespace

Result<std::string> builtInQuery(const CheckContext& context, const std::string& metric) {
  auto it = context.builtInQueries.find(metric);
  if (it == context.builtInQueries.end()) {
    return Error{ErrorCode::NotFound, "provider \"" + context.provider + "\" has no built-in metric \"" +
                                          metric + "\"; use a templateRef"};
  }
  return it->second;
}

QueryVariables queryVariables(const api::MetricCheck& check, const CheckContext& context) {
  return QueryVariables{context.name,    context.ns,         context.target,
                        context.service, check.intervalText, check.templateVariables};
}

PreparedCheck prepareCheck(const api::MetricCheck& check, const CheckContext& context,
                           std::shared_ptr<const MetricProvider> metrics) {
  PreparedCheck p{check, check.query, "", std::move(metrics), std::nullopt};
  if (!check.query.empty()) return p;
  if (check.templateRef) return failedCheck(check, "its MetricTemplate was not resolved");
  auto builtIn = builtInQuery(context, check.name);
  if (!builtIn) return failedCheck(check, builtIn.error().message);
  p.query = *builtIn;
  return p;
}

PreparedCheck failedCheck(const api::MetricCheck& check, const std::string& why) {
  PreparedCheck p{check, "", "", nullptr, std::nullopt};
  p.failed = api::MetricResult{check.name, std::nullopt, check.range, false, check.name + ": " + why};
  return p;
}

PreparedCheck prepareTemplateCheck(const api::MetricCheck& check, const MetricTemplate& metricTemplate,
                                   std::shared_ptr<const MetricProvider> metrics) {
  return PreparedCheck{check, metricTemplate.query,
                       "metric template " + quoteForMessage(metricTemplate.key()) + ": ", std::move(metrics),
                       std::nullopt};
}

namespace {
// A provider that is not owned (the blocking calls' `metrics` outlives them).
std::shared_ptr<const MetricProvider> borrowed(const MetricProvider& metrics) {
  return std::shared_ptr<const MetricProvider>(&metrics, [](const MetricProvider*) {});
}
}  // namespace

api::MetricResult runCheck(const api::MetricCheck& check, const CheckContext& context,
                           const MetricProvider& metrics) {
  return evaluate(prepareCheck(check, context, borrowed(metrics)), context);
}

api::MetricResult runTemplateCheck(const api::MetricCheck& check, const MetricTemplate& metricTemplate,
                                   const CheckContext& context, const MetricProvider& metrics) {
  return evaluate(prepareTemplateCheck(check, metricTemplate, borrowed(metrics)), context);
}

std::vector<api::MetricResult> runChecks(const std::vector<api::MetricCheck>& checks,
                                         const CheckContext& context, const MetricProvider& metrics) {
  std::vector<api::MetricResult> out;
  for (const auto& c : checks) out.push_back(runCheck(c, context, metrics));
  return out;
}

void runChecksAsync(std::vector<PreparedCheck> checks, const CheckContext& context,
                    std::function<void(std::vector<api::MetricResult>)> done) {
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
    auto query = render(checks[i], context);
    if (auto* failed = std::get_if<api::MetricResult>(&query)) {
      finishOne(i, *failed);
      continue;
    }
    const auto metrics = checks[i].metrics;  // kept alive by the callback until the answer
    metrics->queryValueAsync(std::get<std::string>(query),
                             [finishOne, i, metrics, check = checks[i].check,
                              q = std::get<std::string>(query)](Result<double> value) {
                               if (value || value.error().code != ErrorCode::NotFound)
                                 return finishOne(i, judge(check, value));
                               // No values: ask the provider why, so the message says what to fix.
                               metrics->explainNoValuesAsync(
                                   q, [finishOne, i, check, metrics, error = value.error()](std::string why) {
                                     Error explained = error;
                                     if (!why.empty()) explained.message += ": " + why;
                                     finishOne(i, judge(check, explained));
                                   });
                             });
  }
  finishOne(0, std::nullopt);
}

}  // namespace aviary::analysis
