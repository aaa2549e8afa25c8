#include "analysis/statistics/arm_counters.h"

#include <cstdio>
#include <mutex>

namespace aviary::analysis {

std::string latencyBoundText(double latencyMs) {
  char bound[32];
  std::snprintf(bound, sizeof bound, "%g", latencyMs);
  return bound;
}

std::string slowCounterHint(double latencyMs) {
  return " (is " + latencyBoundText(latencyMs) +
         " ms a bucket boundary of the provider's duration histogram?)";
}

namespace {

std::string replaceAll(std::string text, const std::string& from, const std::string& to) {
  for (auto at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size()))
    text.replace(at, from.size(), to);
  return text;
}

}  // namespace

Result<std::map<std::string, std::string>> counterQueries(
    const std::optional<CounterQueryTemplates>& templates, const std::string& provider,
    const ArmWorkloads& arms, std::optional<double> latencyMs) {
  if (!templates) {
    return Error{ErrorCode::NotFound,
                 "sequential analysis has no counter queries for provider \"" + provider + "\" yet"};
  }
  if (latencyMs && templates->slow.empty())
    return Error{ErrorCode::NotFound,
                 "provider \"" + provider + "\" has no latency histogram for sequential analysis"};
  std::map<std::string, std::string> out;
  for (const auto& [arm, workload] : {std::pair{"canary", arms.canary}, std::pair{"primary", arms.primary}}) {
    auto render = [&](const std::string& t) {
      std::string q = replaceAll(t, "{{ namespace }}", arms.ns);
      q = replaceAll(q, "{{ workload }}", workload);
      // The bucket's le label as the exporter wrote it: "500" or "500.0" (escaped for PromQL's string).
      if (latencyMs)
        q = replaceAll(q, "{{ le }}", latencyBoundText(*latencyMs * templates->lePerMs) + "(\\\\.0+)?");
      return q;
    };
    const std::string prefix = std::string(arm) + ".";
    out[prefix + "requests"] = render(templates->requests);
    out[prefix + "errors"] = render(templates->errors);
    if (latencyMs) out[prefix + "slow"] = render(templates->slow);
  }
  return out;
}

void readCountersAsync(const std::map<std::string, std::string>& queries,
                       std::shared_ptr<const MetricProvider> metrics,
                       std::function<void(Result<std::map<std::string, double>>)> done) {
  struct State {
    std::mutex mutex;
    std::map<std::string, double> values;
    std::optional<Error> error;
    std::size_t pending = 0;
    std::function<void(Result<std::map<std::string, double>>)> done;
  };
  auto state = std::make_shared<State>();
  state->pending = queries.size() + 1;  // +1: the sending loop
  state->done = std::move(done);
  auto finish = [state](const std::string* key, const Result<double>* value) {
    std::unique_lock lock(state->mutex);
    if (key && value) {
      if (*value) {
        state->values[*key] = **value;
      } else if (value->error().code == ErrorCode::NotFound) {
        // No series: nothing served yet; a bucket that does not exist stays unread (its test says so).
        if (!key->ends_with(".slow")) state->values[*key] = 0;
      } else if (!state->error) {
        state->error = value->error();
      }
    }
    if (--state->pending > 0) return;
    Result<std::map<std::string, double>> out = state->error
                                                    ? Result<std::map<std::string, double>>(*state->error)
                                                    : Result<std::map<std::string, double>>(state->values);
    lock.unlock();
    state->done(std::move(out));
  };
  for (const auto& query : queries) {  // not a structured binding: clang 14 cannot capture one
    metrics->queryValueAsync(
        query.second, [finish, key = query.first, metrics](Result<double> value) { finish(&key, &value); });
  }
  finish(nullptr, nullptr);
}

}  // namespace aviary::analysis
