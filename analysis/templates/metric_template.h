// The MetricTemplate resource (aviary.io/v1beta1, Flagger's flagger.app MetricTemplate field for field):
// a query and the provider that answers it, referenced by a Canary's metrics[].templateRef. Decoding
// reports field paths. No I/O.
//
// Running a templated check, as the reconciler does it:
//   1. resolveTemplateNamespace(ref, canary namespace, policy)           (template_ref.h)
//   2. get the MetricTemplate there; decodeMetricTemplate(object)
//   3. when provider.secretName is set, get that Secret in the template's namespace
//   4. prometheusOptionsFor(template, secret, defaults, allow-list)      (template_provider.h)
//   5. runTemplateCheck(check, template, context, client)                (checks/metric_checks.h)
#pragma once

#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "operator/api/canary.h"

namespace aviary::analysis {

using Json = nlohmann::json;

inline constexpr char kMetricTemplateKind[] = "MetricTemplate";
inline constexpr char kMetricTemplatePlural[] = "metrictemplates";

// Flagger's provider types (its CRD's enum). Aviary queries "prometheus" only; the others decode, and
// prometheusOptionsFor says they are not supported yet.
inline constexpr const char* kFlaggerProviderTypes[] = {
    "prometheus", "influxdb", "datadog",   "externalmetrics", "stackdriver", "cloudwatch",
    "newrelic",   "graphite", "dynatrace", "keptn",           "splunk"};

// Bounds on what a template may hold (in the CRD and in decoding).
inline constexpr std::size_t kMaxTemplateQueryBytes = 16 * 1024, kMaxTemplateHeaders = 32,
                             kMaxTemplateHeaderValues = 8;

struct MetricTemplateProvider {
  std::string type;        // one of kFlaggerProviderTypes
  std::string address;     // empty: the operator's --metrics-server
  std::string secretName;  // spec.provider.secretRef.name: a Secret in the template's namespace; empty: none
  std::string region;      // Flagger's, for cloudwatch; unused by Aviary
  bool insecureSkipVerify = false;
  // Extra request headers (Flagger's http.Header: a name to a list of values), by name, then in list order.
  std::vector<std::pair<std::string, std::string>> headers;
};

struct MetricTemplate {
  std::string ns, name, resourceVersion;
  MetricTemplateProvider provider;
  std::string query;  // rendered with renderTemplateQuery (query_template.h)
  std::string key() const { return ns + "/" + name; }
};

struct MetricTemplateDecodeResult {
  MetricTemplate metricTemplate;
  std::vector<api::FieldError> errors;  // non-empty: the template cannot be used
};

// Decodes a MetricTemplate object as the API server returns it. Every problem is reported with its field
// path ("spec.provider.type: is required"); decoding continues past errors.
MetricTemplateDecodeResult decodeMetricTemplate(const Json& object);

}  // namespace aviary::analysis
