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

bool isHttp(const web::uri& uri) {
  return uri.scheme() == "http" || uri.scheme() == "https";
}

// The host as the allow-list takes it: an IPv6 literal without its brackets.
std::string hostOf(const web::uri& uri) {
  std::string host = uri.host();
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  return host;
}

}  // namespace

std::optional<std::string> urlHost(const std::string& url) {
  auto uri = parse(url);
  if (!uri || !isHttp(*uri) || uri->host().empty()) return std::nullopt;
  return hostOf(*uri);
}

std::optional<std::string> metricsServerProblem(const std::string& url, const EgressAllowList& allowed) {
  auto shown = [&] { return quoteForMessage(url, 200); };
  auto uri = parse(url);
  if (!uri) return shown() + " is not a URL";
  if (!isHttp(*uri)) return shown() + " must be an http:// or https:// URL";
  if (uri->host().empty()) return shown() + " has no host";
  if (!uri->user_info().empty()) {
    // The URL is not shown: its user info may be a password.
    return "the URL of host " + quoteForMessage(uri->host(), 200) +
           " carries credentials (not shown); the operator does not send credentials written into a URL";
  }
  if (!uri->query().empty() || !uri->fragment().empty()) return shown() + " may not have a query or fragment";
  if (auto problem = allowed.problem(hostOf(*uri)))
    return "metrics server " + *problem + " (--metrics-server-allow)";
  return std::nullopt;
}

}  // namespace aviary::analysis
