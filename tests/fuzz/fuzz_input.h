// Shared by the fuzz targets: the raw input as text, and split into fields at 0xFF bytes (a byte that no
// valid JSON, YAML or UTF-8 text contains, so seeds stay readable).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace aviary::fuzz {

inline std::string text(const uint8_t* data, size_t size) {
  return std::string(reinterpret_cast<const char*>(data), size);
}

// The input's first `n` fields (missing ones empty).
inline std::vector<std::string> fields(const std::string& input, std::size_t n) {
  std::vector<std::string> out;
  std::size_t at = 0;
  for (std::size_t i = 0; i + 1 < n; ++i) {
    const std::size_t end = input.find('\xff', at);
    if (end == std::string::npos) break;
    out.push_back(input.substr(at, end - at));
    at = end + 1;
  }
  out.push_back(at <= input.size() ? input.substr(at) : std::string());
  out.resize(n);
  return out;
}

}  // namespace aviary::fuzz
