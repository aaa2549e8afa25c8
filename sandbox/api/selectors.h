// Label and field selectors as the API server parses them (KUBE-API.md §6).
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "operator/core/result.h"

namespace aviary::sandbox {

using Json = nlohmann::json;

// k=v, k==v, k!=v, k in (a,b), k notin (a,b), k, !k; comma = AND.
class LabelSelector {
 public:
  static Result<LabelSelector> parse(const std::string& text);
  bool matches(const Json& labels) const;  // labels: object of strings (or null)
  bool empty() const { return terms_.empty(); }

 private:
  struct Term {
    enum class Op { Equals, NotEquals, In, NotIn, Exists, NotExists } op;
    std::string key;
    std::vector<std::string> values;
  };
  std::vector<Term> terms_;
};

// field=value, field==value, field!=value; comma = AND. `supported` lists the fields this resource allows.
class FieldSelector {
 public:
  static Result<FieldSelector> parse(const std::string& text, const std::vector<std::string>& supported);
  bool matches(const Json& object) const;
  bool empty() const { return terms_.empty(); }

 private:
  struct Term {
    std::string field;  // dotted path, e.g. involvedObject.name
    std::string value;
    bool negate = false;
  };
  std::vector<Term> terms_;
};

}  // namespace aviary::sandbox
