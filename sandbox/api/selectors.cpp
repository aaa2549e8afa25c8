#include "sandbox/api/selectors.h"

#include <algorithm>

namespace aviary::sandbox {
namespace {

std::string trim(std::string s) {
  auto notSpace = [](unsigned char c) { return !std::isspace(c); };
  s.erase(s.begin(), std::find_if(s.begin(), s.end(), notSpace));
  s.erase(std::find_if(s.rbegin(), s.rend(), notSpace).base(), s.end());
  return s;
}

// Splits on commas that are not inside parentheses.
std::vector<std::string> splitTerms(const std::string& text) {
  std::vector<std::string> out;
  std::string current;
  int depth = 0;
  for (char c : text) {
    if (c == '(') ++depth;
    if (c == ')') --depth;
    if (c == ',' && depth == 0) {
      out.push_back(trim(current));
      current.clear();
    } else {
      current += c;
    }
  }
  if (!trim(current).empty() || !out.empty()) out.push_back(trim(current));
  return out;
}

Error badSelector(const std::string& text, const std::string& why) {
  Error e = makeError(ErrorCode::BadRequest,
                      "unable to parse requirement: " + why + " (selector \"" + text + "\")");
  e.httpStatus = 400;
  return e;
}

const Json* lookup(const Json& object, const std::string& dottedPath) {
  const Json* node = &object;
  std::size_t start = 0;
  while (start <= dottedPath.size()) {
    std::size_t dot = dottedPath.find('.', start);
    std::string part = dottedPath.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    if (!node->is_object()) return nullptr;
    auto it = node->find(part);
    if (it == node->end()) return nullptr;
    node = &*it;
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  return node;
}

}  // namespace

Result<LabelSelector> LabelSelector::parse(const std::string& text) {
  LabelSelector selector;
  if (trim(text).empty()) return selector;
  for (const std::string& raw : splitTerms(text)) {
    if (raw.empty()) return badSelector(text, "empty requirement");
    Term term;
    std::size_t space = raw.find(' ');
    if (space != std::string::npos) {
      std::string key = trim(raw.substr(0, space));
      std::string rest = trim(raw.substr(space + 1));
      std::string op;
      if (rest.rfind("notin", 0) == 0) {
        term.op = Term::Op::NotIn;
        op = "notin";
      } else if (rest.rfind("in", 0) == 0) {
        term.op = Term::Op::In;
        op = "in";
      } else {
        return badSelector(text, "unknown operator in \"" + raw + "\"");
      }
      std::string list = trim(rest.substr(op.size()));
      if (list.size() < 2 || list.front() != '(' || list.back() != ')') {
        return badSelector(text, "expected (values) in \"" + raw + "\"");
      }
      term.key = key;
      std::string inner = list.substr(1, list.size() - 2);
      std::size_t start = 0;
      while (start <= inner.size()) {
        std::size_t comma = inner.find(',', start);
        term.values.push_back(
            trim(inner.substr(start, comma == std::string::npos ? std::string::npos : comma - start)));
        if (comma == std::string::npos) break;
        start = comma + 1;
      }
    } else if (auto ne = raw.find("!="); ne != std::string::npos) {
      term = {Term::Op::NotEquals, trim(raw.substr(0, ne)), {trim(raw.substr(ne + 2))}};
    } else if (auto eq2 = raw.find("=="); eq2 != std::string::npos) {
      term = {Term::Op::Equals, trim(raw.substr(0, eq2)), {trim(raw.substr(eq2 + 2))}};
    } else if (auto eq = raw.find('='); eq != std::string::npos) {
      term = {Term::Op::Equals, trim(raw.substr(0, eq)), {trim(raw.substr(eq + 1))}};
    } else if (raw[0] == '!') {
      term = {Term::Op::NotExists, trim(raw.substr(1)), {}};
    } else {
      term = {Term::Op::Exists, raw, {}};
    }
    if (term.key.empty()) return badSelector(text, "empty key in \"" + raw + "\"");
    selector.terms_.push_back(std::move(term));
  }
  return selector;
}

bool LabelSelector::matches(const Json& labels) const {
  for (const Term& t : terms_) {
    const Json* value = nullptr;
    if (labels.is_object()) {
      auto it = labels.find(t.key);
      if (it != labels.end() && it->is_string()) value = &*it;
    }
    auto in = [&] {
      return value &&
             std::find(t.values.begin(), t.values.end(), value->get<std::string>()) != t.values.end();
    };
    switch (t.op) {
      case Term::Op::Equals:
      case Term::Op::In:
        if (!in()) return false;
        break;
      case Term::Op::NotEquals:
      case Term::Op::NotIn:  // also matches objects without the key
        if (in()) return false;
        break;
      case Term::Op::Exists:
        if (!value) return false;
        break;
      case Term::Op::NotExists:
        if (value) return false;
        break;
    }
  }
  return true;
}

Result<FieldSelector> FieldSelector::parse(const std::string& text,
                                           const std::vector<std::string>& supported) {
  FieldSelector selector;
  if (trim(text).empty()) return selector;
  for (const std::string& raw : splitTerms(text)) {
    Term term;
    std::size_t pos;
    std::size_t opLen;
    if ((pos = raw.find("!=")) != std::string::npos) {
      term.negate = true;
      opLen = 2;
    } else if ((pos = raw.find("==")) != std::string::npos) {
      opLen = 2;
    } else if ((pos = raw.find('=')) != std::string::npos) {
      opLen = 1;
    } else {
      return badSelector(text, "invalid field selector \"" + raw + "\"");
    }
    term.field = trim(raw.substr(0, pos));
    term.value = trim(raw.substr(pos + opLen));
    bool known = term.field == "metadata.name" || term.field == "metadata.namespace" ||
                 std::find(supported.begin(), supported.end(), term.field) != supported.end();
    if (!known) {
      Error e = makeError(ErrorCode::BadRequest, "field label not supported: " + term.field);
      e.httpStatus = 400;
      return e;
    }
    selector.terms_.push_back(std::move(term));
  }
  return selector;
}

bool FieldSelector::matches(const Json& object) const {
  for (const Term& t : terms_) {
    const Json* node = lookup(object, t.field);
    std::string actual;
    if (node && node->is_string())
      actual = node->get<std::string>();
    else if (node && !node->is_null())
      actual = node->dump();
    if ((actual == t.value) == t.negate) return false;
  }
  return true;
}

}  // namespace aviary::sandbox
