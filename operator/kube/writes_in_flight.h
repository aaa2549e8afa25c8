// The watch often reports a write's own change before the write's answer arrives. Whoever writes an
// object and also watches it (the reconciler writing a Canary's status, the write-through cache writing
// owned objects) must not mistake that echo for someone else's change, nor miss someone else's change
// reported in the same moment. This holds what the watch reports about an object while a write of it is
// in flight; when the write ends, the writer judges the versions seen against the version it made.
// Thread-safe.
#pragma once

#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace aviary::kube {

// What the watch reported about one object while it was being written ("" for a deletion).
struct SeenDuringWrite {
  std::vector<std::string> versions;
  // Whether anything seen is not the write's own version `made` ("" when the write failed): a change by
  // someone else (one made before the write would have made the write conflict).
  bool othersChanged(const std::string& made) const;
  bool includes(const std::string& version) const;
};

class WritesInFlight {
 public:
  // Marks a write of `key` in flight until end() (or destruction): what the watch reports meanwhile is
  // held for it. Several writers of one key each see everything reported while any of them wrote.
  class Write {
   public:
    Write(WritesInFlight& owner, std::string key);
    ~Write();
    Write(const Write&) = delete;
    Write& operator=(const Write&) = delete;
    SeenDuringWrite end();

   private:
    WritesInFlight* owner_;
    std::string key_;
    bool ended_ = false;
  };
  Write begin(const std::string& key) { return Write(*this, key); }

  // The watch reports `version` of `key`: true when a write of it is in flight (the version is held for
  // that write to judge), false otherwise.
  bool hold(const std::string& key, const std::string& version);

 private:
  struct Writing {
    int writers = 0;
    SeenDuringWrite seen;
  };
  std::mutex mutex_;
  std::map<std::string, Writing> writing_;
};

}  // namespace aviary::kube
