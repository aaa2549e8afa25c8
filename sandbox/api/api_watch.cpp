// Watches (KUBE-API.md §4): synthetic ADDED for resourceVersion ""/"0", events after N, 410 as an
// ERROR event, bookmarks when asked, streaming lists (sendInitialEvents), timeoutSeconds, Table frames for
// `kubectl get -w`, and the dropped-stream fault.
#include <spdlog/spdlog.h>

#include <thread>

#include "sandbox/api/api_server.h"
#include "sandbox/api/table.h"

namespace aviary::sandbox {
namespace {

constexpr auto kCoalesce = std::chrono::milliseconds(2);
// A watcher woken again within this long after its last delivery is on a busy collection: it waits this
// long before looking again, so one wake-up and one write carry several events. Bounds the added latency.
constexpr auto kBusyWindow = std::chrono::milliseconds(5);

Json expiredStatus(const std::string& message) {
  return {{"kind", "Status"},    {"apiVersion", "v1"}, {"metadata", Json::object()},
          {"status", "Failure"}, {"message", message}, {"reason", "Expired"},
          {"code", 410}};
}

}  // namespace

void ApiServer::serveWatch(const http::Request& req, const Target& t, http::ResponseWriter& w) {
  auto labels = LabelSelector::parse(req.param("labelSelector"));
  if (!labels) return sendStatusError(w, labels.error());
  auto fields = FieldSelector::parse(req.param("fieldSelector"), t.storage->extraFieldSelectors);
  if (!fields) return sendStatusError(w, fields.error());
  const bool asTable = wantsTable(req.header("accept"));
  const bool bookmarks = req.flag("allowWatchBookmarks");
  long long timeoutSeconds = 1800;
  try {
    if (req.hasParam("timeoutSeconds")) timeoutSeconds = std::stoll(req.param("timeoutSeconds"));
  } catch (const std::exception&) {
    return sendStatusError(
        w, Error{ErrorCode::BadRequest, "timeoutSeconds must be an integer", 400, "BadRequest"});
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeoutSeconds);
  const std::string from = req.param("resourceVersion");
  long long cursor = 0;
  if (!from.empty() && from != "0") {
    try {
      cursor = std::stoll(from);
    } catch (const std::exception&) {
      return sendStatusError(
          w, Error{ErrorCode::BadRequest, "invalid resourceVersion " + from, 400, "BadRequest"});
    }
  }
  if (!w.startChunked(200, "application/json")) return;

  bool columnsSent = false;
  auto frame = [&](const std::string& type, const Json& object) {
    Json payload;
    if (asTable && type != "BOOKMARK" && type != "ERROR") {
      payload = table(*t.kind, {present(t, object)}, object["metadata"].value("resourceVersion", ""),
                      !columnsSent, std::chrono::system_clock::now());
      columnsSent = true;
    } else {
      payload = type != "ERROR" && type != "BOOKMARK" ? present(t, object) : object;
    }
    return w.writeChunk(Json{{"type", type}, {"object", payload}}.dump() + "\n");
  };
  auto selected = [&](const Json& object) {
    return labels->matches(object["metadata"].value("labels", Json())) && fields->matches(object);
  };

  if (faults_.takeExpiredWatch()) {
    frame("ERROR", expiredStatus("too old resource version: " + from + " (" +
                                 std::to_string(store_.currentResourceVersion()) + ")"));
    return w.finishChunked();
  }
  // Streaming lists (KEP-3157, "WatchList"; kubectl 1.37's rollout status and wait use it): the current
  // state as ADDED events whatever resourceVersion says (it only bounds how old that state may be), then a
  // bookmark annotated k8s.io/initial-events-end. Without that bookmark client-go waits, then gives up.
  const bool initialEvents = req.flag("sendInitialEvents");
  if (from.empty() || from == "0" || initialEvents) {
    auto current = store_.list(*t.storage, t.ns, *labels, *fields, 0, "");
    if (!current) return w.finishChunked();
    cursor = std::stoll(current->resourceVersion);
    for (const auto& object : current->items) {
      if (!frame("ADDED", object)) return;
    }
    if (initialEvents) {
      Json end = {{"kind", t.kind->kind},
                  {"apiVersion", t.kind->apiVersion(t.version)},
                  {"metadata",
                   {{"resourceVersion", current->resourceVersion},
                    {"annotations", {{"k8s.io/initial-events-end", "true"}}}}}};
      if (!frame("BOOKMARK", end)) return;
    }
  }
  const long long dropGeneration = faults_.dropGeneration();
  auto lastBookmark = std::chrono::steady_clock::now();
  auto lastDelivery = std::chrono::steady_clock::time_point{};
  while (!stopping_) {
    auto now = std::chrono::steady_clock::now();
    if (now >= deadline) break;
    auto events =
        store_.eventsAfter(*t.storage, t.ns, cursor, std::min(deadline, now + std::chrono::seconds(1)));
    if (faults_.dropGeneration() != dropGeneration) return w.abortConnection();
    if (w.peerClosed()) return;
    if (!events) {
      frame("ERROR", expiredStatus(events.error().message));
      break;
    }
    // Plain JSON frames of the storage version reuse the event's one serialization.
    const bool reuse = !asTable && t.kind == t.storage && t.version == t.kind->storageVersion;
    std::string batch;
    for (const auto& e : *events) {
      cursor = e.rv;
      if (!selected(*e.object)) continue;
      if (reuse) {
        batch += "{\"type\":\"" + e.type + "\",\"object\":";
        batch += *e.serialized;
        batch += "}\n";
      } else if (!frame(e.type, *e.object)) {
        return;
      }
    }
    if (!batch.empty() && !w.writeChunk(batch)) return;
    // A wake-up that found several events, or came soon after the previous delivery, means a busy
    // collection: pause briefly so the next wake-up carries more, trading a few ms of latency for far
    // fewer wake-ups and writes (100 watchers × 1,000 writes/s). A quiet collection's events go out at once.
    auto delivered = std::chrono::steady_clock::now();
    if (!events->empty()) {
      if (delivered - lastDelivery < kBusyWindow) {
        std::this_thread::sleep_for(kBusyWindow);
      } else if (events->size() > 1) {
        std::this_thread::sleep_for(kCoalesce);
      }
      lastDelivery = delivered;
    }
    if (bookmarks && std::chrono::steady_clock::now() - lastBookmark >= options_.bookmarkInterval) {
      lastBookmark = std::chrono::steady_clock::now();
      // The version of the last event this watch has looked at, not the store's current one: events
      // committed while the watch slept (the busy-collection pause above) are not delivered yet, and a
      // bookmark past them made the watch, and every client resuming from the bookmark, skip them (found
      // at 10,000 Canaries: Deployment updates lost without any error, their Canaries stuck).
      Json bookmark = {{"kind", t.kind->kind},
                       {"apiVersion", t.kind->apiVersion(t.version)},
                       {"metadata", {{"resourceVersion", std::to_string(cursor)}}}};
      if (!frame("BOOKMARK", bookmark)) return;
    }
  }
  w.finishChunked();
}

}  // namespace aviary::sandbox
