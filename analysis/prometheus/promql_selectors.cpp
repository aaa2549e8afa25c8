#include "analysis/prometheus/promql_selectors.h"

#include <algorithm>
#include <cctype>
#include <set>

namespace aviary::analysis {
namespace {

bool identStart(char c) {
  return std::isalpha(static_cast<unsigned char>(c)) || c == '_' || c == ':';
}
bool identChar(char c) {
  return identStart(c) || std::isdigit(static_cast<unsigned char>(c));
}

// Keywords followed by a parenthesised list of label names, which must not be read as selectors.
const std::set<std::string> kLabelListKeywords = {"by",       "without",    "on",
                                                  "ignoring", "group_left", "group_right"};
// Words that are operators, modifiers or literals, never metric names; aggregations are listed because
// "sum by (le) (…)" puts a label list between the name and its parenthesis.
const std::set<std::string> kReserved = {
    "and",     "or",   "unless",   "bool",   "offset",      "atan2",       "inf",    "nan",
    "sum",     "min",  "max",      "avg",    "group",       "stddev",      "stdvar", "count",
    "bottomk", "topk", "quantile", "limitk", "limit_ratio", "count_values"};

class Lexer {
 public:
  explicit Lexer(const std::string& s) : s_(s) {}

  std::vector<VectorSelector> run() {
    std::vector<VectorSelector> out;
    std::set<std::string> seen;
    while (skipSpace(), pos_ < s_.size()) {
      char c = s_[pos_];
      std::optional<VectorSelector> selector;
      if (c == '"' || c == '\'' || c == '`') {
        if (!skipString()) break;
      } else if (identStart(c)) {
        std::string word = ident();
        skipSpace();
        bool call = pos_ < s_.size() && s_[pos_] == '(';
        if (kLabelListKeywords.count(word)) {
          if (call && !skipParens()) break;
        } else if (!call && !kReserved.count(word)) {
          selector = VectorSelector{word, {}, std::nullopt};
          if (pos_ < s_.size() && s_[pos_] == '{' && !matchers(*selector)) break;
        }
      } else if (c == '{') {
        selector = VectorSelector{};
        if (!matchers(*selector)) break;
      } else if (c == '[') {
        skipBrackets();  // a subquery's range (a selector's own is read with the selector)
      } else if (std::isdigit(static_cast<unsigned char>(c)) || c == '.') {
        while (pos_ < s_.size() && (identChar(s_[pos_]) || s_[pos_] == '.')) ++pos_;  // 1.5, 5m, 1e3, 0x1f
      } else {
        ++pos_;
      }
      if (selector) {
        skipSpace();
        if (pos_ < s_.size() && s_[pos_] == '[') selector->range = rangeText();
        if (seen.insert(selector->promql() + "[" + selector->range.value_or("") + "]").second)
          out.push_back(std::move(*selector));
      }
    }
    return out;
  }

 private:
  void skipSpace() {
    while (pos_ < s_.size()) {
      if (std::isspace(static_cast<unsigned char>(s_[pos_]))) {
        ++pos_;
      } else if (s_[pos_] == '#') {
        while (pos_ < s_.size() && s_[pos_] != '\n') ++pos_;
      } else {
        return;
      }
    }
  }
  std::string ident() {
    std::size_t start = pos_;
    while (pos_ < s_.size() && identChar(s_[pos_])) ++pos_;
    return s_.substr(start, pos_ - start);
  }
  // Past a string literal; false when it does not end.
  bool skipString() {
    char quote = s_[pos_++];
    while (pos_ < s_.size() && s_[pos_] != quote) {
      if (s_[pos_] == '\\' && quote != '`') ++pos_;
      ++pos_;
    }
    if (pos_ >= s_.size()) return false;
    ++pos_;
    return true;
  }
  bool skipParens() {
    int depth = 0;
    while (pos_ < s_.size()) {
      char c = s_[pos_];
      if (c == '"' || c == '\'' || c == '`') {
        if (!skipString()) return false;
        continue;
      }
      ++pos_;
      if (c == '(') ++depth;
      if (c == ')' && --depth == 0) return true;
    }
    return false;
  }
  void skipBrackets() {
    while (pos_ < s_.size() && s_[pos_] != ']') ++pos_;
    if (pos_ < s_.size()) ++pos_;
  }
  // The text inside [...] after a selector: its range (a subquery's "5m:1m" is kept whole).
  std::string rangeText() {
    std::size_t start = ++pos_;
    skipBrackets();
    std::string text = s_.substr(start, pos_ - start - (pos_ <= s_.size() && s_[pos_ - 1] == ']' ? 1 : 0));
    text.erase(std::remove_if(text.begin(), text.end(), [](char c) { return std::isspace(c); }), text.end());
    return text;
  }
  // Reads {label op "value", …} into `selector`; false on what is not a matcher list.
  bool matchers(VectorSelector& selector) {
    ++pos_;  // {
    while (skipSpace(), pos_ < s_.size() && s_[pos_] != '}') {
      if (s_[pos_] == ',') {
        ++pos_;
        continue;
      }
      LabelMatcher m;
      if (s_[pos_] == '"' || s_[pos_] == '\'' || s_[pos_] == '`') return false;  // quoted names: 3.x only
      m.label = ident();
      if (m.label.empty()) return false;
      skipSpace();
      for (const char* op : {"=~", "!~", "!=", "="}) {
        if (s_.compare(pos_, std::char_traits<char>::length(op), op) == 0) {
          m.op = op;
          pos_ += m.op.size();
          break;
        }
      }
      if (m.op.empty()) return false;
      skipSpace();
      std::size_t start = pos_;
      if (pos_ >= s_.size() || !(s_[pos_] == '"' || s_[pos_] == '\'' || s_[pos_] == '`') || !skipString())
        return false;
      m.value = s_.substr(start, pos_ - start);
      if (m.label == "__name__" && m.op == "=" && selector.metric.empty()) {
        selector.metric = m.text();
      } else {
        selector.matchers.push_back(std::move(m));
      }
    }
    if (pos_ >= s_.size()) return false;
    ++pos_;  // }
    return true;
  }

  const std::string& s_;
  std::size_t pos_ = 0;
};

}  // namespace

std::string LabelMatcher::text() const {
  if (value.size() < 2) return value;
  std::string out;
  const char quote = value.front();
  for (std::size_t i = 1; i + 1 < value.size(); ++i) {
    if (value[i] == '\\' && quote != '`' && i + 2 < value.size()) ++i;
    out += value[i];
  }
  return out;
}

std::string VectorSelector::promql(std::size_t count) const {
  std::string out = metric;
  out += "{";
  for (std::size_t i = 0; i < matchers.size() && i < count; ++i) {
    if (i > 0) out += ",";
    out += matchers[i].promql();
  }
  out += "}";
  return out;
}

std::vector<VectorSelector> vectorSelectors(const std::string& promql) {
  return Lexer(promql).run();
}

}  // namespace aviary::analysis
