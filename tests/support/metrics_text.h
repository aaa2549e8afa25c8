// Reads samples back from Prometheus text exposition output, for tests of /metrics.
#pragma once

#include <map>
#include <sstream>
#include <string>

namespace aviary::testing {

// Sum of the samples of `metric` whose labels include every pair of `labels`.
inline double sumSamples(const std::string& text, const std::string& metric,
                         const std::map<std::string, std::string>& labels = {}) {
  double sum = 0;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    auto brace = line.find('{');
    if (line.compare(0, brace, metric) != 0 || brace != metric.size()) continue;
    auto close = line.rfind('}');
    std::string labelText = line.substr(brace + 1, close - brace - 1);
    bool all = true;
    for (const auto& [k, v] : labels) {
      std::string needle = k + "=\"" + v + "\"";
      auto at = labelText.find(needle);
      bool boundary = at != std::string::npos && (at == 0 || labelText[at - 1] == ',');
      if (!boundary) {
        all = false;
        break;
      }
    }
    if (all) sum += std::stod(line.substr(close + 2));
  }
  return sum;
}

}  // namespace aviary::testing
