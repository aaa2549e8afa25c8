#include "sandbox/api/schema.h"

#include <map>
#include <memory>
#include <mutex>
#include <regex>

namespace aviary::sandbox {
namespace {

std::string typeName(const Json& v) {
  if (v.is_string()) return "string";
  if (v.is_boolean()) return "boolean";
  if (v.is_number_integer() || v.is_number_unsigned()) return "integer";
  if (v.is_number()) return "number";
  if (v.is_array()) return "array";
  if (v.is_object()) return "object";
  return "null";
}

bool hasType(const Json& v, const std::string& type) {
  if (type == "integer") return v.is_number_integer() || v.is_number_unsigned();
  if (type == "number") return v.is_number();
  return typeName(v) == type;
}

std::string shown(const Json& v) {
  return v.is_string() ? "\"" + v.get<std::string>() + "\"" : v.dump();
}

// A schema's pattern compiled once (std::regex's compilation costs far more than a match); nullptr when
// it does not parse. Patterns come from the CRDs applied, so the map stays small.
const std::regex* compiled(const std::string& pattern) {
  static std::mutex mutex;
  static std::map<std::string, std::unique_ptr<std::regex>> patterns;
  std::lock_guard lock(mutex);
  auto [it, inserted] = patterns.try_emplace(pattern);
  if (inserted) {
    try {
      it->second = std::make_unique<std::regex>(pattern, std::regex::ECMAScript);
    } catch (const std::regex_error&) {
    }
  }
  return it->second.get();
}

class Walker {
 public:
  explicit Walker(SchemaReport& report) : report_(report) {}

  void walk(Json& value, const Json& schema, const std::string& path) {
    if (!schema.is_object()) return;
    if (value.is_null()) {
      if (!schema.value("nullable", false))
        invalid(path, value, "must be of type " + schema.value("type", "object"));
      return;
    }
    if (schema.value("x-kubernetes-int-or-string", false)) {
      if (!value.is_string() && !hasType(value, "integer")) {
        invalid(path, value, "must be of type integer or string");
      }
      return;
    }
    std::string type = schema.value("type", "");
    if (!type.empty() && !hasType(value, type)) {
      report_.errors.push_back(path + ": Invalid value: \"" + typeName(value) + "\": " + path +
                               " in body must be of type " + type + ": \"" + typeName(value) + "\"");
      return;
    }
    if (auto e = schema.find("enum"); e != schema.end() && e->is_array()) {
      if (std::find(e->begin(), e->end(), value) == e->end()) {
        std::string supported;
        for (const auto& option : *e) supported += (supported.empty() ? "" : ", ") + shown(option);
        report_.errors.push_back(path + ": Unsupported value: " + shown(value) +
                                 ": supported values: " + supported);
      }
    }
    if (value.is_number()) checkNumber(value, schema, path);
    if (value.is_string()) checkString(value, schema, path);
    if (value.is_array()) checkArray(value, schema, path);
    if (value.is_object()) checkObject(value, schema, path);
  }

 private:
  void invalid(const std::string& path, const Json& value, const std::string& why) {
    report_.errors.push_back(path + ": Invalid value: " + shown(value) + ": " + path + " in body " + why);
  }

  void checkNumber(const Json& value, const Json& schema, const std::string& path) {
    double v = value.get<double>();
    if (schema.contains("minimum")) {
      double min = schema["minimum"].get<double>();
      bool exclusive = schema.value("exclusiveMinimum", false);
      if (exclusive ? v <= min : v < min) {
        invalid(path, value,
                std::string("should be greater than ") + (exclusive ? "" : "or equal to ") +
                    schema["minimum"].dump());
      }
    }
    if (schema.contains("maximum")) {
      double max = schema["maximum"].get<double>();
      bool exclusive = schema.value("exclusiveMaximum", false);
      if (exclusive ? v >= max : v > max) {
        invalid(path, value,
                std::string("should be less than ") + (exclusive ? "" : "or equal to ") +
                    schema["maximum"].dump());
      }
    }
  }

  void checkString(const Json& value, const Json& schema, const std::string& path) {
    const std::string& s = value.get_ref<const std::string&>();
    if (schema.contains("maxLength") && s.size() > schema["maxLength"].get<std::size_t>()) {
      report_.errors.push_back(path + ": Too long: may not be longer than " + schema["maxLength"].dump());
    }
    if (schema.contains("minLength") && s.size() < schema["minLength"].get<std::size_t>()) {
      invalid(path, value, "should be at least " + schema["minLength"].dump() + " chars long");
    }
    if (auto p = schema.find("pattern"); p != schema.end() && p->is_string()) {
      const std::regex* pattern = compiled(p->get_ref<const std::string&>());
      // An unparsable pattern (nullptr) is the CRD author's problem; the real server rejects such CRDs.
      if (pattern && !std::regex_search(s, *pattern)) {
        invalid(path, value, "should match '" + p->get<std::string>() + "'");
      }
    }
  }

  void checkArray(Json& value, const Json& schema, const std::string& path) {
    if (schema.contains("maxItems") && value.size() > schema["maxItems"].get<std::size_t>()) {
      report_.errors.push_back(path + ": Too many: " + std::to_string(value.size()) + ": must have at most " +
                               schema["maxItems"].dump() + " items");
    }
    if (schema.contains("minItems") && value.size() < schema["minItems"].get<std::size_t>()) {
      invalid(path, value, "should have at least " + schema["minItems"].dump() + " items");
    }
    if (auto items = schema.find("items"); items != schema.end()) {
      for (std::size_t i = 0; i < value.size(); ++i)
        walk(value[i], *items, path + "[" + std::to_string(i) + "]");
    }
  }

  void checkObject(Json& value, const Json& schema, const std::string& path) {
    // By reference: a Canary's schema is large, and a copy per object node was most of the sandbox's CPU
    // on status patches (issue 15's scale harness).
    static const Json kNoProperties = Json::object();
    auto found = schema.find("properties");
    const Json& properties = found != schema.end() && found->is_object() ? *found : kNoProperties;
    auto prefix = [&](const std::string& key) { return path.empty() ? key : path + "." + key; };
    // Defaults first, so required fields with defaults are satisfied.
    for (auto it = properties.begin(); it != properties.end(); ++it) {
      if (!value.contains(it.key()) && it->contains("default")) value[it.key()] = (*it)["default"];
    }
    for (const auto& key : schema.value("required", std::vector<std::string>{})) {
      if (!value.contains(key)) report_.errors.push_back(prefix(key) + ": Required value");
    }
    bool preserve = schema.value("x-kubernetes-preserve-unknown-fields", false);
    const Json* additional =
        schema.contains("additionalProperties") && schema["additionalProperties"].is_object()
            ? &schema["additionalProperties"]
            : nullptr;
    for (auto it = value.begin(); it != value.end();) {
      const std::string key = it.key();
      bool topLevelMeta = path.empty() && (key == "apiVersion" || key == "kind" || key == "metadata");
      if (topLevelMeta) {
        ++it;
      } else if (auto property = properties.find(key); property != properties.end()) {
        walk(*it, *property, prefix(key));
        ++it;
      } else if (additional) {
        walk(*it, *additional, prefix(key));
        ++it;
      } else if (preserve || schema.value("additionalProperties", false) == true) {
        ++it;
      } else {
        report_.pruned.push_back(prefix(key));
        it = value.erase(it);
      }
    }
  }

  SchemaReport& report_;
};

}  // namespace

SchemaReport applySchema(Json& object, const Json& schema) {
  SchemaReport report;
  Walker(report).walk(object, schema, "");
  return report;
}

}  // namespace aviary::sandbox
