// The Prometheus client options a MetricTemplate's provider asks for: its address (or the operator's),
// credentials from its Secret, TLS verification and extra request headers. Secret values never appear in
// an error, a log line or anything else this returns besides the options themselves. No I/O: the caller
// reads the Secret.
#pragma once

#include "analysis/prometheus/prometheus_client.h"
#include "analysis/templates/metric_template.h"
#include "operator/core/egress_policy.h"
#include "operator/core/result.h"

namespace aviary::analysis {

// Options from `metricTemplate.provider`, on top of `defaults` (the operator's own client options: url is
// --metrics-server, plus timeouts and limits).
//  - address: empty → defaults.url; otherwise an http(s) URL whose host `allowedHosts` admits (a tenant's
//    template must not point the operator anywhere: metrics_server_url.h).
//  - secret: the Secret object named by provider.secretName (read from the template's namespace), or null
//    when the template names none. Its data (base64): "token" → bearer token; otherwise "username" and
//    "password" → basic auth (Flagger's rule).
//  - insecureSkipVerify and headers as given; header names must be HTTP tokens, values without line
//    breaks, and Host, Content-Type, Content-Length, Transfer-Encoding and Connection are the client's.
// Errors: Invalid — a provider type other than prometheus ("not supported yet"), an address refused, a
// header refused, a Secret key missing, not base64 or with control characters (the key is named, never its
// value), an Authorization header together with Secret credentials; NotFound — secretName set but `secret`
// null.
[[nodiscard]] Result<PrometheusClientOptions> prometheusOptionsFor(const MetricTemplate& metricTemplate,
                                                                   const Json* secret,
                                                                   const PrometheusClientOptions& defaults,
                                                                   const EgressAllowList& allowedHosts);

}  // namespace aviary::analysis
