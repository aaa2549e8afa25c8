// A Prometheus HTTP API client (instant queries) for the analysis: bearer or basic auth, TLS, a timeout on
// every query, and errors that say which query failed and why. cpprestsdk stays inside the .cpp.
// Thread-safe: one client may serve many concurrent queries. The asynchronous calls hold no thread while
// they wait (cpprestsdk's I/O pool, and the shared DeadlineTimer for the deadline); the blocking ones wait
// for them. A client may be destroyed with queries in flight: they still answer.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "analysis/checks/metric_provider.h"
#include "operator/core/result.h"

namespace web::http {
class http_request;
}

namespace aviary::analysis {

struct PrometheusClientOptions {
  std::string url;                                 // e.g. http://prometheus:9090 (a path prefix is kept)
  std::chrono::milliseconds timeout{5000};         // cpprestsdk's, per connect and per read
  std::chrono::milliseconds deadline{10'000};      // the whole query, however slowly the server answers
  std::size_t maxResponseBytes = 8 * 1024 * 1024;  // a larger answer is an error, not a check result
  std::string bearerToken;
  std::string username, password;  // basic auth when username is set
  bool insecureSkipTlsVerify = false;
  // Extra request headers, sent in this order (a repeated name is sent once with its values joined by
  // ", "). The caller validates them (names are HTTP tokens, values have no line breaks); Authorization
  // from bearerToken or username replaces one given here.
  std::vector<std::pair<std::string, std::string>> headers;
};

struct PromSample {
  std::map<std::string, std::string> labels;
  double value = 0;  // NaN and ±Inf as Prometheus returns them
};

struct PromQueryResult {
  std::string resultType;  // vector | scalar | matrix | string
  std::vector<PromSample> samples;
  std::vector<std::string> warnings;
};

// An answer of the Prometheus HTTP API (https://prometheus.io/docs/prometheus/latest/querying/api/) to the
// instant query `promql` sent to `url`, given its HTTP `status` and `body`: the samples of a vector, the
// value of a scalar, or the last point of each series of a matrix. Errors: Unauthorized/Forbidden (401,
// 403), Unavailable or Decode (a body that is not an API answer), Invalid (status "error": Prometheus's
// errorType and error, bounded), Decode (another resultType, or fields of the wrong type). Never throws,
// whatever the body.
Result<PromQueryResult> parsePrometheusAnswer(const std::string& url, const std::string& promql, int status,
                                              const std::string& body);

class PrometheusClient : public MetricProvider {
 public:
  explicit PrometheusClient(PrometheusClientOptions options);
  ~PrometheusClient();

  // An instant query at the current time. Errors: Unavailable (connection refused, 5xx), Timeout (past
  // `deadline`), Invalid (Prometheus rejected the query: its message, at most 512 bytes), Decode (not a
  // Prometheus answer, or more than maxResponseBytes).
  Result<PromQueryResult> query(const std::string& promql) const;
  // The same, answered once on cpprestsdk's pool (or the timer's thread at the deadline).
  void queryAsync(const std::string& promql, std::function<void(Result<PromQueryResult>)> done) const;
  // The single number a check query yields. An empty result, or NaN, is an error ("no values for
  // <query>") so that missing data can never pass a check.
  Result<double> queryValue(const std::string& promql) const override;
  void queryValueAsync(const std::string& promql, std::function<void(Result<double>)> done) const override;
  // Asks Prometheus what is missing (no_values_diagnosis.h): the metric, a label value (naming the values
  // found), or requests in the window.
  void explainNoValuesAsync(const std::string& promql, std::function<void(std::string)> done) const override;
  const PrometheusClientOptions& options() const { return options_; }

 private:
  struct Exchange {
    int status = 0;
    std::string body;
  };
  void sendAsync(web::http::http_request request, std::function<void(Result<Exchange>)> done) const;
  struct Impl;
  PrometheusClientOptions options_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace aviary::analysis
