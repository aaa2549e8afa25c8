// Where check queries are answered. Prometheus implements it; tests and other backends can too.
#pragma once

#include <string>

#include "operator/core/result.h"

namespace aviary::analysis {

class MetricProvider {
 public:
  virtual ~MetricProvider() = default;
  // The single number `query` yields. Errors: no data (NaN or empty) and unreachable servers are errors,
  // never a value, so missing data cannot pass a check. Thread-safe.
  virtual Result<double> queryValue(const std::string& query) const = 0;
};

}  // namespace aviary::analysis
