#include "operator/core/duration.h"

#include <cmath>

namespace aviary {

std::optional<std::chrono::milliseconds> parseDuration(const std::string& text) {
  if (text.empty()) return std::nullopt;
  double totalMs = 0;
  std::size_t i = 0;
  while (i < text.size()) {
    std::size_t start = i;
    while (i < text.size() && (std::isdigit(static_cast<unsigned char>(text[i])) || text[i] == '.')) ++i;
    if (i == start) return std::nullopt;
    double value;
    if (i - start > 32) return std::nullopt;  // no real duration needs more digits
    try {
      value = std::stod(text.substr(start, i - start));
    } catch (const std::exception&) {
      return std::nullopt;
    }
    std::size_t unitStart = i;
    while (i < text.size() && std::isalpha(static_cast<unsigned char>(text[i]))) ++i;
    std::string unit = text.substr(unitStart, i - unitStart);
    if (unit == "ms") {
      totalMs += value;
    } else if (unit == "s") {
      totalMs += value * 1000;
    } else if (unit == "m") {
      totalMs += value * 60'000;
    } else if (unit == "h") {
      totalMs += value * 3'600'000;
    } else {
      return std::nullopt;
    }
  }
  // Beyond this (about 31,700 years) the value is not a duration anyone means, and converting it to a
  // time point would overflow: refuse it rather than wrap.
  constexpr double kMaxMs = 1e15;
  if (!std::isfinite(totalMs) || totalMs > kMaxMs) return std::nullopt;
  return std::chrono::milliseconds(static_cast<long long>(std::llround(totalMs)));
}

std::string formatDuration(std::chrono::milliseconds d) {
  long long ms = d.count();
  if (ms == 0) return "0s";
  std::string out;
  if (ms >= 3'600'000) {
    out += std::to_string(ms / 3'600'000) + "h";
    ms %= 3'600'000;
  }
  if (ms >= 60'000) {
    out += std::to_string(ms / 60'000) + "m";
    ms %= 60'000;
  }
  if (ms >= 1000 && ms % 1000 == 0) {
    out += std::to_string(ms / 1000) + "s";
  } else if (ms > 0) {
    out += std::to_string(ms) + "ms";
  }
  return out;
}

}  // namespace aviary
