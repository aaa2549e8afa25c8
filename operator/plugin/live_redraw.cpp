#include "operator/plugin/live_redraw.h"

#include <algorithm>

namespace aviary::plugin {

std::size_t frameLines(const std::string& frame) {
  const auto newlines = static_cast<std::size_t>(std::count(frame.begin(), frame.end(), '\n'));
  return newlines + (!frame.empty() && frame.back() != '\n' ? 1 : 0);
}

std::string redrawInPlace(std::size_t previousLines, const std::string& frame, std::size_t terminalRows) {
  std::string out;
  const bool tooTall = terminalRows != 0 && std::max(previousLines, frameLines(frame)) >= terminalRows;
  if (tooTall) {
    out = "\x1b[H\x1b[2J";
  } else if (previousLines > 0) {
    out = "\r\x1b[" + std::to_string(previousLines) + "A";
  }
  // Each line erases what the previous frame left to its right; the tail erases its extra lines.
  std::size_t start = 0;
  while (start < frame.size()) {
    const auto end = frame.find('\n', start);
    const auto stop = end == std::string::npos ? frame.size() : end;
    out.append(frame, start, stop - start);
    out += "\x1b[K\n";
    start = stop + 1;
  }
  out += "\x1b[J";
  return out;
}

}  // namespace aviary::plugin
