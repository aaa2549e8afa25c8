// Reading a field of JSON that came from outside (the API server, a user's object, Prometheus):
// nlohmann::json::value(key, fallback) throws type_error when the field exists with another type, or when
// the JSON is not an object; fieldOr returns the fallback instead. Found by the fuzz targets
// (tests/fuzz/canary_decode_fuzz: metadata.generation as an object; watch_frame_fuzz: an ERROR frame
// whose message is a number).
#pragma once

#include <string>
#include <type_traits>

#include <nlohmann/json.hpp>

namespace aviary {

// `object[key]` as a T when it is present and of T's JSON type (string, boolean, integer, number, object
// or array), else `fallback`.
template <typename T>
T fieldOr(const nlohmann::json& object, const char* key, T fallback) {
  if (!object.is_object()) return fallback;
  auto it = object.find(key);
  if (it == object.end()) return fallback;
  const nlohmann::json& v = *it;
  if constexpr (std::is_same_v<T, std::string>) {
    return v.is_string() ? v.get<std::string>() : fallback;
  } else if constexpr (std::is_same_v<T, bool>) {
    return v.is_boolean() ? v.get<bool>() : fallback;
  } else if constexpr (std::is_integral_v<T>) {
    return v.is_number_integer() ? v.get<T>() : fallback;
  } else if constexpr (std::is_floating_point_v<T>) {
    return v.is_number() ? v.get<T>() : fallback;
  } else {
    static_assert(std::is_same_v<T, nlohmann::json>, "fieldOr reads strings, booleans, numbers or JSON");
    return v.type() == fallback.type() ? v : fallback;
  }
}

// `object[key]` by reference when it is present and an object (objectField) or an array (arrayField), else
// a shared empty one: fieldOr's answer without copying what it finds (a Canary's status, decoded on
// every reconcile).
inline const nlohmann::json& objectField(const nlohmann::json& object, const char* key) {
  static const nlohmann::json empty = nlohmann::json::object();
  if (!object.is_object()) return empty;
  auto it = object.find(key);
  return it != object.end() && it->is_object() ? *it : empty;
}
inline const nlohmann::json& arrayField(const nlohmann::json& object, const char* key) {
  static const nlohmann::json empty = nlohmann::json::array();
  if (!object.is_object()) return empty;
  auto it = object.find(key);
  return it != object.end() && it->is_array() ? *it : empty;
}

inline std::string fieldOr(const nlohmann::json& object, const char* key, const char* fallback) {
  return fieldOr<std::string>(object, key, fallback);
}

}  // namespace aviary
