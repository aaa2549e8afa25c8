// The built-in checks per provider, written to return the same numbers as Flagger's for the same
// metrics: request-success-rate in percent, request-duration as the p99 in milliseconds.
#include <map>
#include <utility>

#include "analysis/checks/metric_checks.h"

namespace aviary::analysis {
namespace {

using Key = std::pair<std::string, std::string>;

const std::map<Key, std::string>& builtIns() {
  static const std::map<Key, std::string> queries = {
      {{"istio", "request-success-rate"},
       "sum(rate(istio_requests_total{reporter=\"destination\",destination_workload_namespace=\"{{ namespace "
       "}}\","
       "destination_workload=~\"{{ target }}\",response_code!~\"5.*\"}[{{ interval }}])) / "
       "sum(rate(istio_requests_total{reporter=\"destination\",destination_workload_namespace=\"{{ namespace "
       "}}\","
       "destination_workload=~\"{{ target }}\"}[{{ interval }}])) * 100"},
      {{"istio", "request-duration"},
       "histogram_quantile(0.99, "
       "sum(rate(istio_request_duration_milliseconds_bucket{reporter=\"destination\","
       "destination_workload_namespace=\"{{ namespace }}\",destination_workload=~\"{{ target }}\"}"
       "[{{ interval }}])) by (le))"},
      {{"appmesh", "request-success-rate"},
       "sum(rate(envoy_cluster_upstream_rq{kubernetes_namespace=\"{{ namespace "
       "}}\",kubernetes_pod_name=~\"{{ target }}"
       "-[0-9a-zA-Z]+(-[0-9a-zA-Z]+)\",envoy_response_code!~\"5.*\"}[{{ interval }}])) / "
       "sum(rate(envoy_cluster_upstream_rq{kubernetes_namespace=\"{{ namespace "
       "}}\",kubernetes_pod_name=~\"{{ target }}"
       "-[0-9a-zA-Z]+(-[0-9a-zA-Z]+)\"}[{{ interval }}])) * 100"},
      {{"appmesh", "request-duration"},
       "histogram_quantile(0.99, sum(rate(envoy_cluster_upstream_rq_time_bucket{kubernetes_namespace=\"{{ "
       "namespace }}\","
       "kubernetes_pod_name=~\"{{ target }}-[0-9a-zA-Z]+(-[0-9a-zA-Z]+)\"}[{{ interval }}])) by (le))"},
      // Traefik reports seconds; Aviary's request-duration is milliseconds for every provider.
      {{"traefik", "request-success-rate"},
       "sum(rate(traefik_service_request_duration_seconds_bucket{service=~\"{{ namespace }}-{{ service "
       "}}-canary-"
       "[0-9a-zA-Z-]+@kubernetescrd\",code!~\"5..\",le=\"+Inf\"}[{{ interval }}])) / "
       "sum(rate(traefik_service_request_duration_seconds_bucket{service=~\"{{ namespace }}-{{ service "
       "}}-canary-"
       "[0-9a-zA-Z-]+@kubernetescrd\",le=\"+Inf\"}[{{ interval }}])) * 100"},
      {{"traefik", "request-duration"},
       "histogram_quantile(0.99, sum(rate(traefik_service_request_duration_seconds_bucket{service=~\"{{ "
       "namespace }}-"
       "{{ service }}-canary-[0-9a-zA-Z-]+@kubernetescrd\"}[{{ interval }}])) by (le)) * 1000"},
      // No mesh, Gateway API: the application's own Prometheus metrics; seconds → milliseconds.
      {{"kubernetes", "request-success-rate"},
       "sum(rate(http_request_duration_seconds_count{kubernetes_namespace=\"{{ namespace "
       "}}\",kubernetes_pod_name=~\""
       "{{ target }}-[0-9a-zA-Z]+(-[0-9a-zA-Z]+)\",status!~\"5.*\"}[{{ interval }}])) / "
       "sum(rate(http_request_duration_seconds_count{kubernetes_namespace=\"{{ namespace "
       "}}\",kubernetes_pod_name=~\""
       "{{ target }}-[0-9a-zA-Z]+(-[0-9a-zA-Z]+)\"}[{{ interval }}])) * 100"},
      {{"kubernetes", "request-duration"},
       "histogram_quantile(0.99, sum(rate(http_request_duration_seconds_bucket{kubernetes_namespace=\"{{ "
       "namespace }}\","
       "kubernetes_pod_name=~\"{{ target }}-[0-9a-zA-Z]+(-[0-9a-zA-Z]+)\"}[{{ interval }}])) by (le)) * "
       "1000"},
  };
  return queries;
}

}  // namespace

Result<std::string> builtInQuery(const std::string& provider, const std::string& metric) {
  std::string family = provider == "gatewayapi" || provider == "replicas" ? "kubernetes" : provider;
  auto it = builtIns().find({family, metric});
  if (it == builtIns().end()) {
    return Error{ErrorCode::NotFound, "provider \"" + provider + "\" has no built-in metric \"" + metric +
                                          "\"; use a templateRef"};
  }
  return it->second;
}

}  // namespace aviary::analysis
