#include "sandbox/api/event_views.h"

#include <utility>

namespace aviary::sandbox {
namespace {

// (core/v1 field, events.k8s.io/v1 field) pairs that only change name.
const std::pair<const char*, const char*> kRenamed[] = {
    {"involvedObject", "regarding"},
    {"message", "note"},
    {"source", "deprecatedSource"},
    {"firstTimestamp", "deprecatedFirstTimestamp"},
    {"lastTimestamp", "deprecatedLastTimestamp"},
    {"count", "deprecatedCount"},
    {"reportingComponent", "reportingController"},
};
// Fields with the same name in both versions.
const char* kShared[] = {"metadata", "reason", "type",    "eventTime",
                         "series",   "action", "related", "reportingInstance"};

Json convert(const Json& from, bool toEventsV1) {
  Json out = Json::object();
  out["apiVersion"] = toEventsV1 ? "events.k8s.io/v1" : "v1";
  out["kind"] = "Event";
  for (const char* f : kShared) {
    if (from.contains(f)) out[f] = from[f];
  }
  for (const auto& [core, v1] : kRenamed) {
    const char* src = toEventsV1 ? core : v1;
    const char* dst = toEventsV1 ? v1 : core;
    if (from.contains(src)) out[dst] = from[src];
  }
  return out;
}

}  // namespace

Json coreEventToEventsV1(const Json& core) {
  return convert(core, true);
}
Json eventsV1ToCoreEvent(const Json& event) {
  return convert(event, false);
}

}  // namespace aviary::sandbox
