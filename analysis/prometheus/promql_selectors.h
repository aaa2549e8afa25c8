// The vector selectors of a PromQL expression (`metric{label="value"}[5m]`), for the follow-up queries
// that explain an empty answer (no_values_diagnosis.h). Written here because no C++ PromQL parser is
// packaged and Prometheus 2.42 (Debian 12) has no /api/v1/parse_query. It is a lexer, not a parser: it
// reads an expression Prometheus already accepted (an empty answer comes after a successful parse) and
// follows the lexical rules of the PromQL reference (https://prometheus.io/docs/prometheus/latest/
// querying/basics/): strings in "…", '…' or `…`, # comments, function calls, and the label lists of
// by/without/on/ignoring/group_left/group_right, which are not selectors.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace aviary::analysis {

struct LabelMatcher {
  std::string label;
  std::string op;     // =, !=, =~ or !~
  std::string value;  // the string literal as written, quotes included (pasted back into queries as is)
  // The literal's text without quotes or escapes (for messages and similarity).
  std::string text() const;
  std::string promql() const { return label + op + value; }
};

struct VectorSelector {
  std::string metric;                  // empty for a bare {…} selector
  std::vector<LabelMatcher> matchers;  // in the order written
  std::optional<std::string> range;    // "5m" for metric[5m] (a subquery's range is not kept)
  // metric{matchers} with the first `count` matchers (all of them by default).
  std::string promql(std::size_t count = static_cast<std::size_t>(-1)) const;
};

// The selectors of `promql`, in the order they appear, each once. An expression that is not valid PromQL
// gives what could be read before the error.
std::vector<VectorSelector> vectorSelectors(const std::string& promql);

}  // namespace aviary::analysis
