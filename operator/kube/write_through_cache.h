// A KubeClient decorator that remembers the objects of chosen types as the API server last returned
// them (on reads and on the answers to our own writes), so that converging objects we own costs no read
// when nothing changed: a reconcile that finds its routes as desired makes zero API calls. Entries expire
// after `ttl`, so changes made by others are noticed within it — unless a watch vouches for them
// (setWatchedVersions); a Conflict or an error drops the entry, so the next read goes to the server.
// Thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "operator/core/clock.h"
#include "operator/kube/kube_client.h"
#include "operator/kube/packed_json.h"
#include "operator/kube/sync_memo.h"
#include "operator/kube/writes_in_flight.h"

namespace aviary::kube {

class WriteThroughCache : public KubeClient, public SyncMemo {
 public:
  WriteThroughCache(KubeClient& inner, std::vector<ResourceType> cachedTypes,
                    std::chrono::milliseconds ttl = std::chrono::minutes(5),
                    const Clock& clock = SystemClock::instance());

  // The resourceVersion a watch last saw for an object (nullopt: it has not seen the object).
  using WatchedVersion = std::function<std::optional<std::string>(
      const ResourceType& type, const std::string& ns, const std::string& name)>;
  // An expired copy whose version is the one `watched` reports is still the server's: it is kept (and
  // its age reset) instead of read again. The watch's own events drop changed copies
  // (forgetIfChanged), so with it the TTL only bounds how long an object no watch covers is trusted;
  // without it, 10,000 Canaries' five owned objects each cost 170 reads/s at a 5-minute TTL. Set
  // before use; `watched` must be thread-safe and must not call this cache.
  void setWatchedVersions(WatchedVersion watched);
  // Whether that watch has listed every object of `type` it covers (its informer has synced): only then
  // does its not having seen an object say anything (probablyAbsent). Set before use; thread-safe, and
  // must not call this cache.
  using WatchCovers = std::function<bool(const ResourceType& type)>;
  void setWatchCovers(WatchCovers covers);

  Result<Json> get(const ResourceType& type, const std::string& ns, const std::string& name,
                   const std::string& subresource = "") override;
  Result<Json> list(const ResourceType& type, const std::string& ns,
                    const ListOptions& options = {}) override;
  Result<Json> create(const ResourceType& type, const std::string& ns, const Json& object) override;
  Result<Json> update(const ResourceType& type, const std::string& ns, const Json& object,
                      const std::string& subresource = "") override;
  Result<Json> patch(const ResourceType& type, const std::string& ns, const std::string& name,
                     PatchType patchType, const Json& patch, const std::string& subresource = "",
                     const std::string& fieldManager = "") override;
  Result<Json> remove(const ResourceType& type, const std::string& ns, const std::string& name,
                      const DeleteOptions& options = {}) override;
  Result<std::unique_ptr<WatchStream>> watch(const ResourceType& type, const std::string& ns,
                                             const WatchOptions& options) override;

  // A watch saw a change (or a deletion: resourceVersion "") of an object of a cached type: drops the
  // cached copy unless it is the version Aviary wrote or read last. True when the change was not Aviary's
  // own (the copy differed or none was kept), i.e. when whoever owns the object should look at it again.
  // `delivered` (optional) is the object as the watch delivered it. When the cache holds no copy, or holds
  // one an earlier delivery made (the watch's order makes this one newer), it becomes the copy, so that
  // the owner's next look costs no read: after a restart the watch's first list delivers every owned
  // object (6 reads per Canary saved). A copy made from an answer is not replaced by a delivery of another
  // version, which may be older (a watch lagging behind our own writes): it is dropped, as without one.
  // The version seen is remembered until the next answer for the object, so an answer of another version
  // that arrives after the change was seen (a read served before the change; a write's echo and another
  // client's edit, both before the write returned) is not cached: the next read goes to the server. An
  // answer to a request that began after a delivery is newer than it, and is cached.
  // While Aviary writes the object, the change is held (false) until the write's answer: the echo of the
  // write itself then wakes nobody, and any other version is reported through the late-change callback.
  bool forgetIfChanged(const ResourceType& type, const std::string& ns, const std::string& name,
                       const std::string& resourceVersion, const Json* delivered = nullptr);
  // Called (outside the cache's lock, on the writing thread) when a change held during a write turns out
  // not to be that write's echo. Set before use.
  using LateChange =
      std::function<void(const ResourceType& type, const std::string& ns, const std::string& name)>;
  void setLateChange(LateChange onLateChange);

  // SyncMemo: remembered with the copy, so whatever drops or replaces the copy forgets it too; only the
  // cached types are remembered.
  bool remembers(const ResourceType& type) const override { return cached(type); }
  bool synced(const ResourceType& type, const std::string& ns, const std::string& name,
              std::uint64_t digest) override;
  void markSynced(const ResourceType& type, const std::string& ns, const std::string& name,
                  const std::string& resourceVersion, std::uint64_t digest) override;
  bool probablyAbsent(const ResourceType& type, const std::string& ns, const std::string& name) override;

  uint64_t hits() const;
  uint64_t misses() const;

 private:
  bool cached(const ResourceType& type) const;
  std::string key(const ResourceType& type, const std::string& ns, const std::string& name) const;
  struct Entry;
  // Runs `use` on the copy of the object under the lock if it can be trusted now (within the TTL, or
  // vouched for by the watch, which renews its age); false when there is none. Called without the lock.
  bool withFresh(const ResourceType& type, const std::string& ns, const std::string& name,
                 const std::function<void(Entry&)>& use);
  // Remembers the server's answer to a write or read of the main resource; forgets on failure.
  // `asked`: deliveryCount() when the request was sent (deliveries after it may be newer than the answer).
  Result<Json> remember(const ResourceType& type, const std::string& ns, const std::string& name,
                        Result<Json> answer, std::uint64_t asked);
  std::uint64_t deliveryCount() const;
  // A write of the main resource: changes the watch reports meanwhile are judged against its answer.
  Result<Json> write(const ResourceType& type, const std::string& ns, const std::string& name,
                     const std::function<Result<Json>()>& call);

  KubeClient& inner_;
  std::vector<ResourceType> types_;
  std::chrono::milliseconds ttl_;
  const Clock& clock_;
  mutable std::mutex mutex_;
  // A copy is kept as MessagePack, a third of the memory of the parsed object (at 1,000 Canaries the
  // parsed copies of their Services and routes were the largest thing the operator held: ~20 KiB per
  // Canary); a hit decodes it (outside the lock), which costs about what copying the parsed object did.
  struct Entry {
    std::shared_ptr<const PackedJson> packed;  // shared: a hit takes it under the lock, unpacks outside
    std::string resourceVersion;
    Clock::TimePoint at;
    std::uint64_t synced = 0;    // SyncMemo's digest for this version (0: none)
    std::uint64_t delivery = 0;  // the delivery that made this copy (see deliveries_); 0: an answer
  };
  // The copy kept of an answer or a delivered object: MessagePack, without managedFields.
  static std::shared_ptr<const PackedJson> pack(Json& object);
  // Makes `object` (of `version`) the copy under key `k`; `delivery`: see Entry. Called under mutex_.
  void keep(const std::string& k, Json& object, const std::string& version, std::uint64_t delivery);
  std::map<std::string, Entry> entries_;
  std::map<std::string, std::string> seen_;  // key → resourceVersion a watch saw with no cached match
  uint64_t hits_ = 0, misses_ = 0;
  std::uint64_t deliveries_ = 0;  // copies made from a watch's deliveries so far: their sequence
  WatchedVersion watched_;
  WatchCovers covers_;
  LateChange lateChange_;
  WritesInFlight writing_;  // by key(); checked before mutex_ is taken, never under it
};

}  // namespace aviary::kube
