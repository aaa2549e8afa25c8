// What kube::syncObject may remember between calls: that an object, at the version stored now, already
// holds what a desired object asks for. The next sync of the same desired object then neither reads nor
// merges nor compares while the object is unchanged. At 1,000 Canaries each step re-converged six owned
// objects that had not changed; decoding, merging and comparing them was a fifth of the operator's CPU
// (issue 15, docs/performance.md). The write-through cache implements it: its copies are the ones the
// owned-object watch vouches for, and a change by anyone else drops the copy and what was remembered of it.
#pragma once

#include <cstdint>
#include <string>

#include "operator/kube/resource_type.h"

namespace aviary::kube {

class SyncMemo {
 public:
  virtual ~SyncMemo() = default;
  // Whether objects of `type` are remembered at all (syncObject computes no digest for the others).
  virtual bool remembers(const ResourceType& type) const = 0;
  // Whether the object is still stored at the version markSynced recorded for `digest` (and that copy
  // is still trusted); false whenever in doubt.
  virtual bool synced(const ResourceType& type, const std::string& ns, const std::string& name,
                      std::uint64_t digest) = 0;
  // The object stored at `resourceVersion` holds what the desired object with `digest` asks for. Ignored
  // when the copy kept is not at that version (someone changed it meanwhile) or the type is not kept.
  virtual void markSynced(const ResourceType& type, const std::string& ns, const std::string& name,
                          const std::string& resourceVersion, std::uint64_t digest) = 0;
  // Whether the object is very probably not stored: no copy is kept and a watch that has listed every
  // object of `type` Aviary labels as its own has not seen it. syncObject then creates it without reading
  // first (a new Canary's Services and routes cost one request each instead of two); a refused create
  // (AlreadyExists: an object the user made, not labelled, or one the watch has not delivered yet; or
  // admission, which judges a create before existence) sends it back to reading, so a wrong guess costs
  // one request and changes nothing else. False whenever in doubt.
  virtual bool probablyAbsent(const ResourceType& type, const std::string& ns, const std::string& name) = 0;
};

}  // namespace aviary::kube
