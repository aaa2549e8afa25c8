#include "sandbox/api/table.h"

#include "operator/core/time_format.h"

namespace aviary::sandbox {
namespace {

Json column(const std::string& name, const std::string& type, const std::string& format, int priority,
            const std::string& description) {
  return {{"name", name},
          {"type", type},
          {"format", format},
          {"description", description},
          {"priority", priority}};
}

// A simple JSONPath as CRDs use in printer columns: ".status.phase", ".spec.items[0].x".
Json evalJsonPath(const Json& object, const std::string& path) {
  const Json* node = &object;
  std::size_t i = 0;
  while (i < path.size()) {
    if (path[i] == '.') {
      ++i;
      std::size_t end = path.find_first_of(".[", i);
      std::string field = path.substr(i, end == std::string::npos ? std::string::npos : end - i);
      if (!node->is_object() || !node->contains(field)) return nullptr;
      node = &(*node)[field];
      i = end == std::string::npos ? path.size() : end;
    } else if (path[i] == '[') {
      std::size_t close = path.find(']', i);
      if (close == std::string::npos || !node->is_array()) return nullptr;
      std::size_t index = std::stoul(path.substr(i + 1, close - i - 1));
      if (index >= node->size()) return nullptr;
      node = &(*node)[index];
      i = close + 1;
    } else {
      return nullptr;
    }
  }
  return *node;
}

std::string age(const Json& object, std::chrono::system_clock::time_point now) {
  auto created = parseRfc3339(object["metadata"].value("creationTimestamp", ""));
  if (!created) return "<unknown>";
  return humanDuration(std::chrono::duration_cast<std::chrono::seconds>(now - *created));
}

std::string deploymentContainers(const Json& d, const char* field) {
  std::string out;
  for (const auto& c : d.value("/spec/template/spec/containers"_json_pointer, Json::array())) {
    if (!out.empty()) out += ",";
    out += c.value(field, "");
  }
  return out;
}

std::string selectorText(const Json& matchLabels) {
  std::string out;
  for (auto it = matchLabels.begin(); it != matchLabels.end(); ++it) {
    if (!out.empty()) out += ",";
    out += it.key() + "=" + (it->is_string() ? it->get<std::string>() : it->dump());
  }
  return out;
}

// The first field present among `names` (core/v1 and events.k8s.io/v1 Events name them differently).
Json firstOf(const Json& object, std::initializer_list<const char*> pointers) {
  for (const char* p : pointers) {
    Json v = object.value(Json::json_pointer(p), Json());
    if (!v.is_null()) return v;
  }
  return nullptr;
}

std::string ageOf(const Json& timestamp, std::chrono::system_clock::time_point now) {
  if (!timestamp.is_string()) return "<unknown>";
  auto t = parseRfc3339(timestamp.get<std::string>());
  return t ? humanDuration(std::chrono::duration_cast<std::chrono::seconds>(now - *t)) : "<unknown>";
}

bool isEvent(const ResourceKind& kind) {
  return kind.kind == "Event";
}

}  // namespace

std::string humanDuration(std::chrono::seconds d) {
  long long s = d.count();
  if (s < 0) s = 0;
  if (s < 120) return std::to_string(s) + "s";
  long long m = s / 60;
  if (m < 10)
    return s % 60 == 0 ? std::to_string(m) + "m" : std::to_string(m) + "m" + std::to_string(s % 60) + "s";
  if (m < 180) return std::to_string(m) + "m";
  long long h = s / 3600;
  if (h < 8)
    return m % 60 == 0 ? std::to_string(h) + "h" : std::to_string(h) + "h" + std::to_string(m % 60) + "m";
  if (h < 48) return std::to_string(h) + "h";
  long long days = h / 24;
  if (h < 24 * 8)
    return h % 24 == 0 ? std::to_string(days) + "d"
                       : std::to_string(days) + "d" + std::to_string(h % 24) + "h";
  if (days < 365 * 2) return std::to_string(days) + "d";
  long long years = days / 365;
  if (years < 8)
    return days % 365 == 0 ? std::to_string(years) + "y"
                           : std::to_string(years) + "y" + std::to_string(days % 365) + "d";
  return std::to_string(years) + "y";
}

Json tableColumns(const ResourceKind& kind) {
  if (isEvent(kind)) {
    // As the real server prints Events: Name is last and only with -o wide.
    return Json::array({column("Last Seen", "string", "", 0, "Time since the event was last seen."),
                        column("Type", "string", "", 0, "Type of this event (Normal, Warning)."),
                        column("Reason", "string", "", 0, "Why the action was taken."),
                        column("Object", "string", "", 0, "The object this event is about."),
                        column("Source", "string", "", 1, "The component reporting this event."),
                        column("Message", "string", "", 0, "A human-readable description."),
                        column("First Seen", "string", "", 1, "Time since the event was first seen."),
                        column("Count", "integer", "", 1, "How many times this event occurred."),
                        column("Name", "string", "name", 1, "Name must be unique within a namespace.")});
  }
  Json cols = Json::array({column("Name", "string", "name", 0, "Name must be unique within a namespace.")});
  if (kind.kind == "Deployment" && kind.group == "apps") {
    cols.push_back(column("Ready", "string", "", 0, "Number of the pod with ready state"));
    cols.push_back(column("Up-to-date", "string", "", 0,
                          "Total number of non-terminated pods targeted by this deployment that have the "
                          "desired template spec."));
    cols.push_back(column(
        "Available", "string", "", 0,
        "Total number of available pods (ready for at least minReadySeconds) targeted by this deployment."));
    cols.push_back(column("Age", "string", "", 0, "Time since creation"));
    cols.push_back(column("Containers", "string", "", 1, "Names of each container in the template."));
    cols.push_back(column("Images", "string", "", 1, "Images referenced by each container in the template."));
    cols.push_back(column("Selector", "string", "", 1, "Label selector for pods."));
    return cols;
  }
  for (const auto& pc : kind.printerColumns) {
    cols.push_back(column(pc.value("name", ""),
                          pc.value("type", "string") == "date" ? "string" : pc.value("type", "string"),
                          pc.value("format", ""), pc.value("priority", 0), pc.value("description", "")));
  }
  if (kind.printerColumns.empty()) cols.push_back(column("Age", "string", "", 0, "Time since creation"));
  return cols;
}

Json tableRow(const ResourceKind& kind, const Json& object, std::chrono::system_clock::time_point now) {
  Json cells = Json::array({object["metadata"].value("name", "")});
  if (isEvent(kind)) {
    Json regarding = firstOf(object, {"/involvedObject", "/regarding"});
    std::string target =
        regarding.is_object() ? regarding.value("kind", "") + "/" + regarding.value("name", "") : "";
    for (auto& c : target) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    Json count = firstOf(object, {"/count", "/deprecatedCount"});
    cells = Json::array(
        {ageOf(firstOf(object, {"/lastTimestamp", "/deprecatedLastTimestamp", "/eventTime"}), now),
         object.value("type", ""), object.value("reason", ""), target,
         firstOf(object, {"/source/component", "/reportingController", "/reportingComponent",
                          "/deprecatedSource/component"}),
         firstOf(object, {"/message", "/note"}),
         ageOf(firstOf(object, {"/firstTimestamp", "/deprecatedFirstTimestamp", "/eventTime"}), now),
         count.is_null() ? Json(1) : count, object["metadata"].value("name", "")});
  } else if (kind.kind == "Deployment" && kind.group == "apps") {
    const Json status = object.value("status", Json::object());
    int replicas = object.value("/spec/replicas"_json_pointer, 1);
    cells.push_back(std::to_string(status.value("readyReplicas", 0)) + "/" + std::to_string(replicas));
    cells.push_back(status.value("updatedReplicas", 0));
    cells.push_back(status.value("availableReplicas", 0));
    cells.push_back(age(object, now));
    cells.push_back(deploymentContainers(object, "name"));
    cells.push_back(deploymentContainers(object, "image"));
    cells.push_back(selectorText(object.value("/spec/selector/matchLabels"_json_pointer, Json::object())));
  } else {
    for (const auto& pc : kind.printerColumns) {
      Json v = evalJsonPath(object, pc.value("jsonPath", ""));
      if (pc.value("type", "") == "date" && v.is_string()) {
        auto t = parseRfc3339(v.get<std::string>());
        v = t ? Json(humanDuration(std::chrono::duration_cast<std::chrono::seconds>(now - *t)))
              : Json(nullptr);
      }
      cells.push_back(v);
    }
    if (kind.printerColumns.empty()) cells.push_back(age(object, now));
  }
  return {{"cells", cells},
          {"object",
           {{"kind", "PartialObjectMetadata"},
            {"apiVersion", "meta.k8s.io/v1"},
            {"metadata", object["metadata"]}}}};
}

Json table(const ResourceKind& kind, const std::vector<Json>& objects, const std::string& resourceVersion,
           bool withColumns, std::chrono::system_clock::time_point now) {
  Json rows = Json::array();
  for (const auto& o : objects) rows.push_back(tableRow(kind, o, now));
  Json t = {{"kind", "Table"},
            {"apiVersion", "meta.k8s.io/v1"},
            {"metadata", {{"resourceVersion", resourceVersion}}},
            {"rows", rows}};
  t["columnDefinitions"] = withColumns ? tableColumns(kind) : Json::array();
  return t;
}

bool wantsTable(const std::string& accept) {
  return accept.find("as=Table") != std::string::npos;
}

}  // namespace aviary::sandbox
