#include "sandbox/api/patch.h"

#include <algorithm>

namespace aviary::sandbox {
namespace {

Error invalid(const std::string& message) {
  Error e = makeError(ErrorCode::Invalid, message);
  e.httpStatus = 422;
  e.reason = "Invalid";
  return e;
}

// The merge key of a list field, "" when the list is replaced whole; "$set" for sets of primitives.
std::string mergeKeyFor(const std::string& field, const Json& sample) {
  static const char* byName[] = {
      "containers", "initContainers", "ephemeralContainers", "env", "volumes", "imagePullSecrets", "envFrom"};
  for (const char* f : byName) {
    if (field == f) return field == "envFrom" ? "" : "name";
  }
  if (field == "ports") {
    // Container ports merge by containerPort, Service ports by port.
    if (sample.is_object() && sample.contains("containerPort")) return "containerPort";
    return "port";
  }
  if (field == "volumeMounts" || field == "volumeDevices") return "mountPath";
  if (field == "conditions") return "type";
  if (field == "finalizers") return "$set";
  return "";
}

Result<Json> mergeValue(const Json& original, const Json& patch);

Result<Json> mergeList(const std::string& field, const Json& original, const Json& patch) {
  const Json& sample = !patch.empty() ? patch[0] : (!original.empty() ? original[0] : Json());
  std::string key = mergeKeyFor(field, sample);
  if (key.empty()) {
    Json out = Json::array();
    for (const auto& item : patch) {
      if (!(item.is_object() && item.contains("$patch"))) out.push_back(item);
    }
    return out;
  }
  Json out = original.is_array() ? original : Json::array();
  if (key == "$set") {
    for (const auto& v : patch) {
      if (std::find(out.begin(), out.end(), v) == out.end()) out.push_back(v);
    }
    return out;
  }
  // {"$patch": "replace"} as a list element: the list becomes the other elements.
  for (const auto& item : patch) {
    if (item.is_object() && item.value("$patch", "") == "replace") {
      Json replaced = Json::array();
      for (const auto& other : patch) {
        if (!(other.is_object() && other.contains("$patch"))) replaced.push_back(other);
      }
      return replaced;
    }
  }
  for (const auto& item : patch) {
    if (!item.is_object() || !item.contains(key))
      return invalid("list " + field + ": element without merge key " + key);
    auto found = std::find_if(out.begin(), out.end(), [&](const Json& o) {
      return o.is_object() && o.contains(key) && o[key] == item[key];
    });
    if (item.value("$patch", "") == "delete") {
      if (found != out.end()) out.erase(found);
      continue;
    }
    if (found != out.end()) {
      auto merged = mergeValue(*found, item);
      if (!merged) return merged;
      *found = std::move(*merged);
    } else {
      auto fresh = mergeValue(Json::object(), item);
      if (!fresh) return fresh;
      out.push_back(std::move(*fresh));
    }
  }
  return out;
}

// Orders `list` (items with merge key `key`) as `order` says; items not named keep their relative order at
// the end.
Json applyOrder(const Json& list, const Json& order, const std::string& field) {
  if (!list.is_array() || !order.is_array()) return list;
  std::string key = mergeKeyFor(field, !order.empty() ? order[0] : Json());
  Json out = Json::array();
  std::vector<bool> used(list.size(), false);
  for (const auto& want : order) {
    for (std::size_t i = 0; i < list.size(); ++i) {
      bool same = key.empty() || key == "$set"
                      ? list[i] == want
                      : (want.is_object() && list[i].is_object() && want.contains(key) &&
                         list[i].contains(key) && list[i][key] == want[key]);
      if (!used[i] && same) {
        out.push_back(list[i]);
        used[i] = true;
        break;
      }
    }
  }
  for (std::size_t i = 0; i < list.size(); ++i) {
    if (!used[i]) out.push_back(list[i]);
  }
  return out;
}

Result<Json> mergeObject(const Json& original, const Json& patch) {
  std::string directive = patch.value("$patch", "");
  if (directive == "replace") {
    Json out = patch;
    out.erase("$patch");
    return mergeValue(Json::object(), out);
  }
  if (directive == "delete") return Json(nullptr);
  Json out = original.is_object() ? original : Json::object();
  for (auto it = patch.begin(); it != patch.end(); ++it) {
    const std::string& key = it.key();
    if (key == "$patch" || key == "$retainKeys" || key.rfind("$setElementOrder/", 0) == 0) continue;
    if (key.rfind("$deleteFromPrimitiveList/", 0) == 0) {
      std::string field = key.substr(std::string("$deleteFromPrimitiveList/").size());
      if (out.contains(field) && out[field].is_array()) {
        Json kept = Json::array();
        for (const auto& v : out[field]) {
          if (std::find(it->begin(), it->end(), v) == it->end()) kept.push_back(v);
        }
        out[field] = kept;
      }
      continue;
    }
    if (it->is_null()) {
      out.erase(key);
    } else if (it->is_array()) {
      auto merged = mergeList(key, out.contains(key) ? out[key] : Json::array(), *it);
      if (!merged) return merged;
      out[key] = std::move(*merged);
    } else if (it->is_object()) {
      auto merged = mergeValue(out.contains(key) ? out[key] : Json::object(), *it);
      if (!merged) return merged;
      if (merged->is_null()) {
        out.erase(key);
      } else {
        out[key] = std::move(*merged);
      }
    } else {
      out[key] = *it;
    }
  }
  for (auto it = patch.begin(); it != patch.end(); ++it) {
    if (it.key().rfind("$setElementOrder/", 0) == 0) {
      std::string field = it.key().substr(std::string("$setElementOrder/").size());
      if (out.contains(field)) out[field] = applyOrder(out[field], *it, field);
    }
  }
  if (auto retain = patch.find("$retainKeys"); retain != patch.end() && retain->is_array()) {
    for (auto it = out.begin(); it != out.end();) {
      if (std::find(retain->begin(), retain->end(), it.key()) == retain->end()) {
        it = out.erase(it);
      } else {
        ++it;
      }
    }
  }
  return out;
}

Result<Json> mergeValue(const Json& original, const Json& patch) {
  if (patch.is_object()) return mergeObject(original, patch);
  return patch;
}

}  // namespace

Json applyMergePatch(const Json& original, const Json& patch) {
  Json out = original;
  out.merge_patch(patch);
  return out;
}

Result<Json> applyJsonPatch(const Json& original, const Json& patch) {
  if (!patch.is_array()) return invalid("json patch must be an array of operations");
  try {
    return original.patch(patch);
  } catch (const nlohmann::json::exception& e) {
    return invalid(std::string("the json patch could not be applied: ") + e.what());
  }
}

Result<Json> applyStrategicMergePatch(const Json& original, const Json& patch) {
  if (!patch.is_object()) return invalid("strategic merge patch must be a JSON object");
  auto merged = mergeObject(original, patch);
  if (!merged) return merged;
  if (merged->is_null()) return invalid("$patch: delete of the whole object is not allowed");
  return merged;
}

}  // namespace aviary::sandbox
