// KubeClient: the operator's whole view of an API server. Every verb on any resource type,
// addressed by ResourceType (+ namespace, + name, + subresource). Implementations are thread-safe.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "operator/core/result.h"
#include "operator/kube/resource_type.h"

namespace aviary::kube {

using Json = nlohmann::json;

// metadata.resourceVersion of an object ("" when it has none: not an object, or never stored).
inline std::string resourceVersionOf(const Json& object) {
  if (!object.is_object()) return {};
  auto meta = object.find("metadata");
  if (meta == object.end() || !meta->is_object()) return {};
  auto rv = meta->find("resourceVersion");
  return rv != meta->end() && rv->is_string() ? rv->get<std::string>() : std::string();
}

struct ListOptions {
  std::string labelSelector;
  std::string fieldSelector;
  int limit = 0;  // 0: no paging
  std::string continueToken;
  std::string resourceVersion;  // "" = most recent (quorum read); "0" = any cached state
};

struct WatchOptions {
  std::string labelSelector;
  std::string fieldSelector;
  std::string resourceVersion;  // events after this version; "" or "0" start with synthetic ADDED events
  bool allowBookmarks = true;
  int timeoutSeconds = 0;  // 0: the server's default
};

struct DeleteOptions {
  std::string propagationPolicy = "Background";  // Foreground | Background | Orphan
  std::string preconditionResourceVersion;       // delete only this version
};

enum class PatchType { Merge, Json, StrategicMerge, Apply };
const char* patchContentType(PatchType type);

struct WatchEvent {
  enum class Type { Added, Modified, Deleted, Bookmark, Error };
  Type type = Type::Added;
  Json object;
};

// An open watch. next() blocks until an event arrives or the stream ends.
class WatchStream {
 public:
  virtual ~WatchStream() = default;
  // The next event; nullopt when the server ended the stream normally (timeoutSeconds reached).
  // An ERROR event is returned as an Error (410 Expired → ErrorCode::Gone).
  virtual Result<std::optional<WatchEvent>> next() = 0;
  // Ends a blocked next() with Cancelled. Safe from any thread while the stream lives.
  virtual void cancel() = 0;
};

class KubeClient {
 public:
  virtual ~KubeClient() = default;

  // GET one object (or its subresource, e.g. "scale", "status").
  virtual Result<Json> get(const ResourceType& type, const std::string& ns, const std::string& name,
                           const std::string& subresource = "") = 0;
  // One page of a list ("items", "metadata.resourceVersion", "metadata.continue").
  virtual Result<Json> list(const ResourceType& type, const std::string& ns,
                            const ListOptions& options = {}) = 0;
  // POST; the name comes from the object (or metadata.generateName).
  virtual Result<Json> create(const ResourceType& type, const std::string& ns, const Json& object) = 0;
  // PUT of the whole object, guarded by its metadata.resourceVersion (mismatch → Conflict).
  virtual Result<Json> update(const ResourceType& type, const std::string& ns, const Json& object,
                              const std::string& subresource = "") = 0;
  virtual Result<Json> patch(const ResourceType& type, const std::string& ns, const std::string& name,
                             PatchType patchType, const Json& patch, const std::string& subresource = "",
                             const std::string& fieldManager = "") = 0;
  // DELETE; returns the server's answer (the object, or a Success Status).
  virtual Result<Json> remove(const ResourceType& type, const std::string& ns, const std::string& name,
                              const DeleteOptions& options = {}) = 0;
  virtual Result<std::unique_ptr<WatchStream>> watch(const ResourceType& type, const std::string& ns,
                                                     const WatchOptions& options) = 0;
};

// Follows `continue` tokens and returns one list with every item; pageSize 0 means no paging.
Result<Json> listAll(KubeClient& client, const ResourceType& type, const std::string& ns, ListOptions options,
                     int pageSize = 500);

}  // namespace aviary::kube
