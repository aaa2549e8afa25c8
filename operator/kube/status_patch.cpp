#include "operator/kube/status_patch.h"

namespace aviary::kube {

Json statusPatch(const Json& object, const Json& status) {
  Json ops = Json::array();
  const auto& metadata = object.at("metadata");
  ops.push_back(
      {{"op", "test"}, {"path", "/metadata/resourceVersion"}, {"value", metadata.at("resourceVersion")}});
  auto current = object.find("status");
  if (current == object.end() || !current->is_object()) {
    ops.push_back(
        {{"op", current == object.end() ? "add" : "replace"}, {"path", "/status"}, {"value", status}});
    return ops;
  }
  for (auto& op : Json::diff(*current, status, "/status")) ops.push_back(std::move(op));
  return ops;
}

}  // namespace aviary::kube
