#include "operator/kube/watch_decoder.h"

#include "operator/kube/status_error.h"

namespace aviary::kube {

Result<WatchEvent> decodeWatchFrame(std::string_view frame) {
  Json parsed = Json::parse(frame, nullptr, false);
  if (parsed.is_discarded() || !parsed.is_object()) {
    return makeError(ErrorCode::Decode,
                     "watch frame is not a JSON object: " + std::string(frame.substr(0, 200)));
  }
  auto typeIt = parsed.find("type");
  auto objectIt = parsed.find("object");
  if (typeIt == parsed.end() || !typeIt->is_string() || objectIt == parsed.end()) {
    return makeError(ErrorCode::Decode,
                     "watch frame without type or object: " + std::string(frame.substr(0, 200)));
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
    int code = status.is_object() ? status.value("code", 500) : 500;
    return errorFromResponse(code, status.dump(), "");
  } else {
    return makeError(ErrorCode::Decode, "unknown watch event type " + type);
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
