// Splits a watch response body into events: newline-delimited JSON frames that may arrive split
// across (or several inside) transport chunks.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "operator/core/result.h"
#include "operator/kube/kube_client.h"

namespace aviary::kube {

class WatchDecoder {
 public:
  // Appends received bytes.
  void feed(std::string_view bytes) { buffer_.append(bytes); }
  // The next complete frame as an event; nullopt when no complete line is buffered yet.
  // A malformed frame is a Decode error; an ERROR frame becomes its Status as an Error.
  Result<std::optional<WatchEvent>> nextEvent();
  // Bytes of an incomplete frame still buffered.
  std::size_t pending() const { return buffer_.size() - consumed_; }

 private:
  std::string buffer_;
  std::size_t consumed_ = 0;
};

// Decodes one frame, e.g. {"type":"ADDED","object":{…}}.
Result<WatchEvent> decodeWatchFrame(std::string_view frame);

}  // namespace aviary::kube
