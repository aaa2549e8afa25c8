// Built-in checks over the application's own Prometheus metrics (http_request_duration_seconds, the
// client libraries' default, labelled by pod), for providers whose proxies export nothing per workload:
// the Service switch (kubernetes) and the Gateway API. Seconds are turned into milliseconds.
#pragma once

#include <map>
#include <string>

#include "analysis/statistics/arm_counters.h"

namespace aviary::mesh {

inline std::map<std::string, std::string> appMetricQueries() {
  const std::string pods =
      "kubernetes_namespace=\"{{ namespace }}\","
      "kubernetes_pod_name=~\"{{ target }}-[0-9a-zA-Z]+(-[0-9a-zA-Z]+)\"";
  return {
      {"request-success-rate",
       "sum(rate(http_request_duration_seconds_count{" + pods + ",status!~\"5.*\"}[{{ interval }}])) / " +
           "sum(rate(http_request_duration_seconds_count{" + pods + "}[{{ interval }}])) * 100"},
      {"request-duration", "histogram_quantile(0.99, sum(rate(http_request_duration_seconds_bucket{" + pods +
                               "}[{{ interval }}])) by (le)) * 1000"},
  };
}

// The same metrics as raw counters per arm, for the sequential tests ({{ workload }}: a Deployment).
inline analysis::CounterQueryTemplates appMetricCounters() {
  const std::string pods =
      "kubernetes_namespace=\"{{ namespace }}\","
      "kubernetes_pod_name=~\"{{ workload }}-[0-9a-zA-Z]+(-[0-9a-zA-Z]+)\"";
  return {"sum(http_request_duration_seconds_count{" + pods + "})",
          "sum(http_request_duration_seconds_count{" + pods + ",status=~\"5..\"})",
          "sum(http_request_duration_seconds_count{" + pods +
              "}) - sum(http_request_duration_seconds_bucket{" + pods + ",le=~\"{{ le }}\"})",
          0.001};
}

}  // namespace aviary::mesh
