#define _TURN_OFF_PLATFORM_STRING
#include "analysis/prometheus/prometheus_client.h"

#include <cpprest/http_client.h>

#include <cmath>

#include <nlohmann/json.hpp>

#include "operator/core/base64.h"

namespace aviary::analysis {
namespace {

using Json = nlohmann::json;
namespace http = web::http;

double parseValue(const Json& pair) {
  // [ <unix time>, "<value>" ]
  if (!pair.is_array() || pair.size() != 2 || !pair[1].is_string()) throw std::runtime_error("bad sample");
  const std::string& text = pair[1].get_ref<const std::string&>();
  if (text == "NaN") return std::nan("");
  if (text == "+Inf") return INFINITY;
  if (text == "-Inf") return -INFINITY;
  return std::stod(text);
}

std::string shorten(const std::string& query) {
  std::string flat;
  for (char c : query) {
    if (std::isspace(static_cast<unsigned char>(c))) {
      if (!flat.empty() && flat.back() != ' ') flat += ' ';
    } else {
      flat += c;
    }
  }
  while (!flat.empty() && flat.back() == ' ') flat.pop_back();
  return flat.size() > 300 ? flat.substr(0, 300) + "…" : flat;
}

}  // namespace

struct PrometheusClient::Impl {
  std::unique_ptr<http::client::http_client> client;
};

PrometheusClient::PrometheusClient(PrometheusClientOptions options)
    : options_(std::move(options)), impl_(std::make_unique<Impl>()) {
  http::client::http_client_config config;
  config.set_timeout(std::chrono::duration_cast<std::chrono::microseconds>(options_.timeout));
  config.set_validate_certificates(!options_.insecureSkipTlsVerify);
  std::string base = options_.url;
  while (!base.empty() && base.back() == '/') base.pop_back();
  impl_->client = std::make_unique<http::client::http_client>(base, config);
}

PrometheusClient::~PrometheusClient() = default;

Result<PromQueryResult> PrometheusClient::query(const std::string& promql) const {
  http::http_request request(http::methods::POST);
  request.set_request_uri("/api/v1/query");
  request.set_body("query=" + web::uri::encode_data_string(promql), "application/x-www-form-urlencoded");
  if (!options_.bearerToken.empty()) {
    request.headers().add("Authorization", "Bearer " + options_.bearerToken);
  } else if (!options_.username.empty()) {
    request.headers().add("Authorization",
                          "Basic " + base64Encode(options_.username + ":" + options_.password));
  }
  int status;
  std::string body;
  try {
    http::http_response response = impl_->client->request(request).get();
    status = response.status_code();
    body = response.extract_utf8string(true).get();
  } catch (const http::http_exception& e) {
    std::string what = e.what();
    bool timedOut = e.error_code() == std::errc::timed_out || what.find("timed out") != std::string::npos ||
                    what.find("Timeout") != std::string::npos;
    return Error{
        timedOut ? ErrorCode::Timeout : ErrorCode::Unavailable,
        "prometheus at " + options_.url + " " + (timedOut ? "timed out" : "unreachable") + ": " + what};
  } catch (const std::exception& e) {
    return Error{ErrorCode::Unavailable, "prometheus at " + options_.url + " unreachable: " + e.what()};
  }

  if (status == 401 || status == 403) {
    return Error{
        status == 401 ? ErrorCode::Unauthorized : ErrorCode::Forbidden,
        "prometheus at " + options_.url + " refused the credentials (HTTP " + std::to_string(status) + ")"};
  }
  Json doc = Json::parse(body, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) {
    return Error{status >= 500 ? ErrorCode::Unavailable : ErrorCode::Decode,
                 "prometheus at " + options_.url + " answered HTTP " + std::to_string(status) +
                     " without a Prometheus API body"};
  }
  if (doc.value("status", "") != "success") {
    std::string message = doc.value("errorType", "error") + ": " + doc.value("error", "unknown error");
    Error e{status >= 500 || status == 0 ? ErrorCode::Unavailable : ErrorCode::Invalid,
            "query " + shorten(promql) + " failed: " + message};
    e.httpStatus = status;
    return e;
  }
  PromQueryResult result;
  try {
    const Json& data = doc.at("data");
    result.resultType = data.value("resultType", "");
    const Json& r = data.at("result");
    if (result.resultType == "vector") {
      for (const auto& item : r) {
        PromSample s;
        for (const auto& [k, v] : item.at("metric").items()) s.labels[k] = v.get<std::string>();
        s.value = parseValue(item.at("value"));
        result.samples.push_back(std::move(s));
      }
    } else if (result.resultType == "scalar") {
      result.samples.push_back(PromSample{{}, parseValue(r)});
    } else if (result.resultType == "matrix") {
      for (const auto& item : r) {  // the last point of each series
        const Json& values = item.at("values");
        if (values.empty()) continue;
        PromSample s;
        for (const auto& [k, v] : item.at("metric").items()) s.labels[k] = v.get<std::string>();
        s.value = parseValue(values.back());
        result.samples.push_back(std::move(s));
      }
    }
    for (const auto& w : doc.value("warnings", Json::array()))
      result.warnings.push_back(w.get<std::string>());
  } catch (const std::exception& e) {
    return Error{ErrorCode::Decode, "query " + shorten(promql) + ": unexpected answer: " + e.what()};
  }
  return result;
}

Result<double> PrometheusClient::queryValue(const std::string& promql) const {
  auto result = query(promql);
  if (!result) return result.error();
  if (result->samples.empty() || std::isnan(result->samples.front().value)) {
    return Error{ErrorCode::NotFound, "no values for " + shorten(promql)};
  }
  return result->samples.front().value;
}

}  // namespace aviary::analysis
