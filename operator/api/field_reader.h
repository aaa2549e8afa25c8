// Reads typed fields out of a JSON object (a custom resource's spec) and collects every problem with its
// field path ("spec.analysis.metrics[0].interval: must be a string"), so a user sees them all at once.
// Shared by the decoders of Aviary's resources. No I/O.
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "operator/api/canary.h"
#include "operator/core/duration.h"

namespace aviary::api {

// Reads typed fields out of one JSON object, recording errors under `path`.
class FieldReader {
 public:
  FieldReader(const Json& object, std::string path, std::vector<FieldError>& errors)
      : object_(object), path_(std::move(path)), errors_(errors) {}

  bool has(const char* key) const {
    return object_.is_object() && object_.contains(key) && !object_[key].is_null();
  }
  std::string at(const char* key) const { return path_ + "." + key; }
  const Json& raw(const char* key) const { return object_[key]; }

  void string(const char* key, std::string& out) {
    if (!has(key)) return;
    if (!object_[key].is_string()) return fail(key, "must be a string");
    out = object_[key].get<std::string>();
  }
  void integer(const char* key, int& out, int min, int max) {
    if (!has(key)) return;
    if (!object_[key].is_number_integer()) return fail(key, "must be an integer");
    long long v = object_[key].get<long long>();
    if (v < min || v > max) {
      return fail(key, "must be between " + std::to_string(min) + " and " + std::to_string(max) + ", got " +
                           std::to_string(v));
    }
    out = static_cast<int>(v);
  }
  void boolean(const char* key, bool& out) {
    if (!has(key)) return;
    if (!object_[key].is_boolean()) return fail(key, "must be true or false");
    out = object_[key].get<bool>();
  }
  void number(const char* key, std::optional<double>& out) {
    if (!has(key)) return;
    if (!object_[key].is_number()) return fail(key, "must be a number");
    out = object_[key].get<double>();
  }
  void stringMap(const char* key, std::map<std::string, std::string>& out) {
    if (!has(key)) return;
    if (!object_[key].is_object()) return fail(key, "must be a map of strings");
    for (const auto& [k, v] : object_[key].items()) {
      if (!v.is_string()) {
        errors_.push_back({at(key) + "." + k, "must be a string"});
      } else {
        out[k] = v.get<std::string>();
      }
    }
  }
  void stringList(const char* key, std::vector<std::string>& out, std::size_t maxItems) {
    if (!has(key)) return;
    if (!object_[key].is_array()) return fail(key, "must be a list of strings");
    if (object_[key].size() > maxItems) return tooMany(key, maxItems);
    for (std::size_t i = 0; i < object_[key].size(); ++i) {
      const Json& v = object_[key][i];
      if (!v.is_string()) {
        errors_.push_back({at(key) + "[" + std::to_string(i) + "]", "must be a string"});
      } else {
        out.push_back(v.get<std::string>());
      }
    }
  }
  void duration(const char* key, std::chrono::milliseconds& out, std::string& text) {
    if (!has(key)) return;
    std::string value;
    string(key, value);
    if (value.empty()) return;
    auto d = parseDuration(value);
    if (!d || d->count() <= 0) return fail(key, "\"" + value + "\" is not a duration like 30s, 1m or 1m30s");
    if (*d > kMaxDuration) return fail(key, "\"" + value + "\" is longer than the maximum of 24h");
    out = *d;
    text = value;
  }
  void passthrough(const char* key, Json& out) {
    if (has(key)) out = object_[key];
  }
  FieldReader child(const char* key) {
    static const Json empty = Json::object();
    if (!has(key)) return FieldReader(empty, at(key), errors_);
    if (!object_[key].is_object()) {
      fail(key, "must be an object");
      return FieldReader(empty, at(key), errors_);
    }
    return FieldReader(object_[key], at(key), errors_);
  }
  // Calls `decode` with a Reader on each object of the list at `key`.
  template <class Fn>
  void each(const char* key, std::size_t maxItems, Fn&& decode) {
    if (!has(key)) return;
    const Json& list = object_[key];
    if (!list.is_array()) return fail(key, "must be a list");
    if (list.size() > maxItems) return tooMany(key, maxItems);
    for (std::size_t i = 0; i < list.size(); ++i)
      decode(FieldReader(list[i], at(key) + "[" + std::to_string(i) + "]", errors_));
  }
  void fail(const char* key, const std::string& message) { errors_.push_back({at(key), message}); }
  void tooMany(const char* key, std::size_t maxItems) {
    fail(key, "must have at most " + std::to_string(maxItems) + " items, has " +
                  std::to_string(object_[key].size()));
  }
  std::vector<FieldError>& errors() { return errors_; }
  const std::string& path() const { return path_; }

 private:
  const Json& object_;
  std::string path_;
  std::vector<FieldError>& errors_;
};

}  // namespace aviary::api
