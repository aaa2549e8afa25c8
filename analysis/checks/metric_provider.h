// Where check queries are answered. Prometheus implements it; tests and other backends can too.
#pragma once

#include <functional>
#include <string>

#include "operator/core/result.h"

namespace aviary::analysis {

class MetricProvider {
 public:
  virtual ~MetricProvider() = default;
  // The single number `query` yields. Errors: no data (NaN or empty) and unreachable servers are errors,
  // never a value, so missing data cannot pass a check. Thread-safe.
  virtual Result<double> queryValue(const std::string& query) const = 0;
  // The same without blocking the caller: `done` runs once, on a thread of the provider's (or, for a
  // provider that has no asynchronous client, on the caller's, before this returns).
  virtual void queryValueAsync(const std::string& query, std::function<void(Result<double>)> done) const {
    done(queryValue(query));
  }
  // Why `query` answered no values: one sentence to add to the check's message, or "" when the provider
  // cannot tell. `done` runs once; the caller keeps the provider alive until then.
  virtual void explainNoValuesAsync(const std::string& query, std::function<void(std::string)> done) const {
    (void)query;
    done("");
  }
};

}  // namespace aviary::analysis
