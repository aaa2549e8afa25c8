#include "analysis/prometheus/no_values_diagnosis.h"

#include <algorithm>
#include <cmath>
#include <memory>
#include <mutex>
#include <optional>
#include <tuple>

#include "analysis/prometheus/promql_selectors.h"
#include "operator/core/text_safety.h"

namespace aviary::analysis {
namespace {

// The follow-up questions about one selector, answered into the slots of a shared table.
struct SelectorQuestions {
  VectorSelector selector;
  std::size_t metricExists = 0;            // count(metric): a slot, or npos for a bare selector
  std::vector<std::size_t> prefixMatches;  // k → count(metric{m1..mk}), k = 1..n
  std::vector<std::size_t> labelValues;    // k → count by (l_k)(metric{m1..m(k-1)})
  std::size_t samples = 0, increase = 0;   // max(count_over_time(sel[r])), sum(increase(sel[r]))
};

constexpr std::size_t kNone = static_cast<std::size_t>(-1);

std::size_t levenshtein(const std::string& a, const std::string& b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      std::size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

bool isEmpty(const Result<PromQueryResult>& r) {
  return r && r->samples.empty();
}
std::optional<double> firstValue(const Result<PromQueryResult>& r) {
  if (!r || r->samples.empty()) return std::nullopt;
  return r->samples.front().value;
}

std::string conjunction(const VectorSelector& s, std::size_t before) {
  std::string out;
  for (std::size_t i = 0; i < before; ++i) out += (i ? ", " : "") + s.matchers[i].promql();
  return out;
}

// What is wrong with one selector, or "" when its follow-ups found nothing.
std::string explain(const SelectorQuestions& q, const std::vector<Result<PromQueryResult>>& answers) {
  const VectorSelector& s = q.selector;
  const std::string name = s.metric.empty() ? s.promql() : s.metric;
  if (q.metricExists != kNone && isEmpty(answers[q.metricExists])) {
    return "Prometheus has no series named " + quoteForMessage(s.metric) +
           " (is the metric scraped? its name is spelled as the exporter does?)";
  }
  for (std::size_t k = 0; k < q.prefixMatches.size(); ++k) {
    if (!isEmpty(answers[q.prefixMatches[k]])) continue;
    const LabelMatcher& m = s.matchers[k];
    std::string message = "no series of " + escapeControl(name) + " matches " + escapeControl(m.promql());
    if (k > 0) message += " together with " + escapeControl(conjunction(s, k));
    const auto& values = answers[q.labelValues[k]];
    if (!values) return message;
    std::vector<std::string> found;
    for (const auto& sample : values->samples) {
      auto v = sample.labels.find(m.label);
      if (v != sample.labels.end() && !v->second.empty()) found.push_back(v->second);
    }
    if (found.empty()) return message + "; no such series has the label " + quoteForMessage(m.label);
    std::vector<std::string> quoted;
    for (const auto& v : nearestValues(found, m.text(), kMaxListedLabelValues))
      quoted.push_back(quoteForMessage(v));
    message += "; values of " + escapeControl(m.label) + " found: " + listForMessage(quoted);
    if (found.size() > kMaxListedLabelValues)
      message += " (" + std::to_string(found.size() - kMaxListedLabelValues) + " more)";
    return message;
  }
  if (!s.range) return "";
  auto samples = firstValue(answers[q.samples]);
  if (samples && *samples < 2) {
    return "the series of " + escapeControl(s.promql()) + " have fewer than 2 samples in [" +
           escapeControl(*s.range) + "]: the window must span at least two scrapes";
  }
  auto increase = firstValue(answers[q.increase]);
  if (increase && *increase == 0) {
    return "the series of " + escapeControl(s.promql()) + " did not increase in the last " +
           escapeControl(*s.range) + ": no requests reached them (does traffic reach the canary?)";
  }
  return "";
}

}  // namespace

std::vector<std::string> nearestValues(std::vector<std::string> values, const std::string& wanted,
                                       std::size_t limit) {
  // A value that contains the wanted one, or is part of it, comes first ("podinfo" → "podinfo-primary").
  std::vector<std::tuple<bool, std::size_t, std::string>> ranked;
  for (auto& v : values) {
    bool related =
        !wanted.empty() && (v.find(wanted) != std::string::npos || wanted.find(v) != std::string::npos);
    ranked.emplace_back(!related, levenshtein(v, wanted), std::move(v));
  }
  std::sort(ranked.begin(), ranked.end());
  ranked.erase(std::unique(ranked.begin(), ranked.end()), ranked.end());
  std::vector<std::string> out;
  for (std::size_t i = 0; i < ranked.size() && i < limit; ++i)
    out.push_back(std::move(std::get<2>(ranked[i])));
  return out;
}

void diagnoseNoValues(const std::string& promql, InstantQuery query, std::function<void(std::string)> done) {
  auto selectors = vectorSelectors(promql);
  if (selectors.size() > kMaxDiagnosedSelectors) selectors.resize(kMaxDiagnosedSelectors);

  std::vector<std::string> questions;
  auto ask = [&questions](std::string q) {
    questions.push_back(std::move(q));
    return questions.size() - 1;
  };
  const std::size_t again = ask(promql);
  std::vector<SelectorQuestions> plan;
  for (auto& s : selectors) {
    SelectorQuestions q;
    q.metricExists = s.metric.empty() ? kNone : ask("count(" + s.metric + ")");
    for (std::size_t k = 0; k < s.matchers.size(); ++k) {
      q.prefixMatches.push_back(ask("count(" + s.promql(k + 1) + ")"));
      // With no metric name, the first matcher alone must select something; there is nothing before it.
      q.labelValues.push_back(
          k == 0 && s.metric.empty()
              ? ask("count by (" + s.matchers[0].label + ") ({" + s.matchers[0].label + "=~\".+\"})")
              : ask("count by (" + s.matchers[k].label + ") (" + s.promql(k) + ")"));
    }
    if (s.range) {
      q.samples = ask("max(count_over_time(" + s.promql() + "[" + *s.range + "]))");
      q.increase = ask("sum(increase(" + s.promql() + "[" + *s.range + "]))");
    }
    q.selector = std::move(s);
    plan.push_back(std::move(q));
  }

  struct State {
    std::mutex mutex;
    std::vector<Result<PromQueryResult>> answers;
    std::size_t pending = 0;
    std::size_t again = 0;
    std::vector<SelectorQuestions> plan;
    std::function<void(std::string)> done;
  };
  auto state = std::make_shared<State>();
  state->answers.assign(questions.size(),
                        Result<PromQueryResult>(Error{ErrorCode::Unavailable, "not asked"}));
  state->pending = questions.size() + 1;  // +1: the sending loop, so no answer finishes before all are sent
  state->plan = std::move(plan);
  state->again = again;
  state->done = std::move(done);
  auto answered = [state](std::optional<std::size_t> slot, std::optional<Result<PromQueryResult>> answer) {
    std::unique_lock lock(state->mutex);
    if (slot) state->answers[*slot] = std::move(*answer);
    if (--state->pending > 0) return;
    std::string why;
    for (const auto& q : state->plan) {
      why = explain(q, state->answers);
      if (!why.empty()) break;
    }
    auto value = firstValue(state->answers[state->again]);
    if (why.empty() && value && std::isnan(*value))
      why =
          "its selectors have data but the query's arithmetic gives NaN (zero divided by zero: no requests "
          "in the window?)";
    lock.unlock();
    state->done(truncateText(why, kMaxExternalMessageBytes));
  };
  for (std::size_t i = 0; i < questions.size(); ++i) {
    query(questions[i], [answered, i](Result<PromQueryResult> r) { answered(i, std::move(r)); });
  }
  answered(std::nullopt, std::nullopt);
}

}  // namespace aviary::analysis
