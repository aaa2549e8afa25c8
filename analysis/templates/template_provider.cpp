#include "analysis/templates/template_provider.h"

#include <algorithm>
#include <cctype>
#include <string_view>

#include "analysis/prometheus/metrics_server_url.h"
#include "operator/core/base64.h"
#include "operator/core/text_safety.h"

namespace aviary::analysis {
namespace {

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

// RFC 9110 token characters.
bool isHeaderName(std::string_view name) {
  static constexpr std::string_view kPunctuation = "!#$%&'*+-.^_`|~";
  return !name.empty() && std::all_of(name.begin(), name.end(), [](unsigned char c) {
    return std::isalnum(c) || kPunctuation.find(static_cast<char>(c)) != std::string_view::npos;
  });
}

bool reservedHeader(const std::string& lowerName) {
  for (const char* owned : {"host", "content-type", "content-length", "transfer-encoding", "connection"}) {
    if (lowerName == owned) return true;
  }
  return false;
}

// One Secret, read for one template: every message names the template, the Secret and the key, never a
// value.
class SecretReader {
 public:
  SecretReader(const MetricTemplate& t, const Json& secret) : template_(t), secret_(secret) {}

  bool has(const char* key) const { return entry(key) != nullptr; }

  Result<std::string> value(const char* key) const {
    const Json* e = entry(key);
    if (!e) return problem(key, "is missing");
    if (!e->is_string()) return problem(key, "is not a string");
    auto decoded = base64Decode(e->get_ref<const std::string&>());
    if (!decoded) return problem(key, "is not valid base64");
    if (decoded->empty()) return problem(key, "is empty");
    // A header value may not hold line breaks; "echo secret | base64" leaves a trailing newline.
    if (hasControlBytes(*decoded)) return problem(key, "has control characters (a trailing newline?)");
    return *decoded;
  }

  Error problem(const char* key, const std::string& what) const {
    return Error{ErrorCode::Invalid, "metric template " + quoteForMessage(template_.key()) + ": secret " +
                                         quoteForMessage(template_.provider.secretName) + " key " +
                                         quoteForMessage(key) + " " + what};
  }

 private:
  const Json* entry(const char* key) const {
    if (!secret_.is_object()) return nullptr;
    auto data = secret_.find("data");
    if (data == secret_.end() || !data->is_object()) return nullptr;
    auto it = data->find(key);
    return it == data->end() || it->is_null() ? nullptr : &*it;
  }

  const MetricTemplate& template_;
  const Json& secret_;
};

Status applyCredentials(const MetricTemplate& t, const Json& secret, PrometheusClientOptions& options) {
  SecretReader reader(t, secret);
  if (reader.has("token")) {
    auto token = reader.value("token");
    if (!token) return token.takeError();
    options.bearerToken = std::move(*token);
    return {};
  }
  if (!reader.has("username")) {
    return reader.problem("username",
                          "is missing (the Secret needs \"token\", or \"username\" and \"password\")");
  }
  auto username = reader.value("username");
  if (!username) return username.takeError();
  if (username->find(':') != std::string::npos) return reader.problem("username", "has a ':'");
  auto password = reader.value("password");
  if (!password) return password.takeError();
  options.username = std::move(*username);
  options.password = std::move(*password);
  return {};
}

Status applyHeaders(const MetricTemplate& t, PrometheusClientOptions& options) {
  const bool credentials = !options.bearerToken.empty() || !options.username.empty();
  for (const auto& header : t.provider.headers) {  // not a structured binding: clang 14 cannot capture one
    const std::string& name = header.first;
    const std::string& value = header.second;
    auto refuse = [&](const std::string& why) {
      return Error{ErrorCode::Invalid, "metric template " + quoteForMessage(t.key()) +
                                           ": spec.provider.headers." +
                                           escapeControl(truncateText(name, 80)) + " " + why};
    };
    if (!isHeaderName(name)) return refuse("is not an HTTP header name");
    const std::string lowerName = lower(name);
    if (reservedHeader(lowerName)) return refuse("is set by the operator's client and may not be given");
    if (lowerName == "authorization" && credentials) {
      return refuse("and the credentials of secretRef both authenticate; give one of them");
    }
    if (hasControlBytes(value)) return refuse("has a value with control characters");  // value not shown
    options.headers.emplace_back(name, value);
  }
  return {};
}

}  // namespace

Result<PrometheusClientOptions> prometheusOptionsFor(const MetricTemplate& metricTemplate, const Json* secret,
                                                     const PrometheusClientOptions& defaults,
                                                     const EgressAllowList& allowedHosts) {
  const MetricTemplateProvider& provider = metricTemplate.provider;
  const std::string where = "metric template " + quoteForMessage(metricTemplate.key());
  if (provider.type != "prometheus") {
    return Error{ErrorCode::Invalid, where + ": provider type " + quoteForMessage(provider.type) +
                                         " is not supported yet (Aviary queries prometheus only)"};
  }
  PrometheusClientOptions options = defaults;
  options.bearerToken.clear();
  options.username.clear();
  options.password.clear();
  options.headers.clear();
  if (!provider.address.empty()) {
    if (auto problem = metricsServerProblem(provider.address, allowedHosts)) {
      return Error{ErrorCode::Invalid, where + ": spec.provider.address: " + *problem};
    }
    options.url = provider.address;
    options.insecureSkipTlsVerify = provider.insecureSkipVerify;
  } else {
    // The operator's own server keeps the operator's TLS setting; the template may only relax it.
    options.insecureSkipTlsVerify = defaults.insecureSkipTlsVerify || provider.insecureSkipVerify;
  }
  if (!provider.secretName.empty()) {
    if (!secret) {
      return Error{ErrorCode::NotFound, where + ": secret " + quoteForMessage(provider.secretName) +
                                            " not found in namespace " + quoteForMessage(metricTemplate.ns)};
    }
    if (auto applied = applyCredentials(metricTemplate, *secret, options); !applied) return applied.error();
  }
  if (auto applied = applyHeaders(metricTemplate, options); !applied) return applied.error();
  return options;
}

}  // namespace aviary::analysis
