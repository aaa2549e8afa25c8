#include "operator/kube/watch_decoder.h"

#include "operator/core/json_field.h"
#include "operator/core/text_safety.h"
#include "operator/kube/status_error.h"

namespace aviary::kube {

// Decode errors name the frame's length and where parsing stopped, never its bytes: a frame may be a
// Secret, and the message reaches the log.
Result<WatchEvent> decodeWatchFrame(std::string_view frame) {
  Json parsed;
  try {
    parsed = Json::parse(frame);
  } catch (const Json::parse_error& e) {
    return makeError(ErrorCode::Decode, "watch frame of " + std::to_string(frame.size()) +
                                            " bytes is not JSON (parse error at byte " +
                                            std::to_string(e.byte) + ")");
  } catch (const Json::exception&) {  // e.g. a number out of range (found by watch_frame_fuzz)
    return makeError(ErrorCode::Decode,
                     "watch frame of " + std::to_string(frame.size()) + " bytes has a number out of range");
  }
  if (!parsed.is_object()) {
    return makeError(ErrorCode::Decode,
                     "watch frame of " + std::to_string(frame.size()) + " bytes is not a JSON object");
  }
  auto typeIt = parsed.find("type");
  auto objectIt = parsed.find("object");
  if (typeIt == parsed.end() || !typeIt->is_string() || objectIt == parsed.end()) {
    return makeError(ErrorCode::Decode,
                     "watch frame of " + std::to_string(frame.size()) + " bytes has no type or object");
  }
  const std::string& type = typeIt->get_ref<const std::string&>();
  WatchEvent event;
  if (type == "ADDED") {
    event.type = WatchEvent::Type::Added;
  } else if (type == "MODIFIED") {
    event.type = WatchEvent::Type::Modified;
  } else if (type == "DELETED") {
    event.type = WatchEvent::Type::Deleted;
  } else if (type == "BOOKMARK") {
    event.type = WatchEvent::Type::Bookmark;
  } else if (type == "ERROR") {
    const Json& status = *objectIt;
    int code = status.is_object() ? fieldOr(status, "code", 500) : 500;
    return errorFromResponse(code, status.dump(), "");
  } else {
    return makeError(ErrorCode::Decode, "unknown watch event type " + quoteForMessage(type, 32));
  }
  event.object = std::move(*objectIt);
  return event;
}

Result<std::optional<WatchEvent>> WatchDecoder::nextEvent() {
  while (true) {
    std::size_t newline = buffer_.find('\n', consumed_);
    if (newline == std::string::npos) {
      // Compact once the consumed prefix dominates, so a long watch does not grow the buffer forever.
      if (consumed_ > 0 && consumed_ * 2 >= buffer_.size()) {
        buffer_.erase(0, consumed_);
        consumed_ = 0;
      }
      return std::optional<WatchEvent>{};
    }
    std::string_view line(buffer_.data() + consumed_, newline - consumed_);
    consumed_ = newline + 1;
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.remove_suffix(1);
    if (line.empty()) continue;
    auto event = decodeWatchFrame(line);
    if (!event) return event.takeError();
    return std::optional<WatchEvent>(std::move(*event));
  }
}

}  // namespace aviary::kube
