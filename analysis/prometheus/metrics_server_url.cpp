#define _TURN_OFF_PLATFORM_STRING
#include "analysis/prometheus/metrics_server_url.h"

#include <cpprest/base_uri.h>

#include "operator/core/text_safety.h"

namespace aviary::analysis {
namespace {

// cpprestsdk's RFC 3986 parser; nullopt when the text is not a URI.
std::optional<web::uri> parse(const std::string& url) {
  if (hasControlBytes(url) || !web::uri::validate(url)) return std::nullopt;
  try {
    return web::uri(url);
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

}  // namespace

std::optional<std::string> urlHost(const std::string& url) {
  auto uri = parse(url);
  if (!uri || (uri->scheme() != "http" && uri->scheme() != "https") || uri->host().empty()) {
    return std::nullopt;
  }
  std::string host = uri->host();
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  return host;
}

std::optional<std::string> metricsServerProblem(const std::string& url, const EgressAllowList& allowed) {
  const std::string shown = "\"" + escapeControl(truncateText(url, 200)) + "\"";
  auto uri = parse(url);
  if (!uri) return shown + " is not a URL";
  if (uri->scheme() != "http" && uri->scheme() != "https")
    return shown + " must be an http:// or https:// URL";
  if (uri->host().empty()) return shown + " has no host";
  if (!uri->user_info().empty()) {
    return shown + " carries credentials; the operator does not send credentials found in a Canary";
  }
  if (!uri->query().empty() || !uri->fragment().empty()) return shown + " may not have a query or fragment";
  auto host = urlHost(url);
  if (auto problem = allowed.problem(*host))
    return "metrics server " + *problem + " (--metrics-server-allow)";
  return std::nullopt;
}

}  // namespace aviary::analysis
