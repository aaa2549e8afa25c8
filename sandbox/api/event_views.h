// events.k8s.io/v1 Events are the core/v1 Events in another shape (KUBE-API.md §8): one store, two views.
#pragma once

#include <nlohmann/json.hpp>

namespace aviary::sandbox {

using Json = nlohmann::json;

// core/v1 Event → events.k8s.io/v1 Event (involvedObject → regarding, message → note, …).
Json coreEventToEventsV1(const Json& core);
// events.k8s.io/v1 Event → core/v1 Event, for storage.
Json eventsV1ToCoreEvent(const Json& event);

}  // namespace aviary::sandbox
