#define _TURN_OFF_PLATFORM_STRING
#include "analysis/prometheus/prometheus_client.h"

#include "analysis/prometheus/no_values_diagnosis.h"

#include <cpprest/http_client.h>

#include <atomic>
#include <cmath>
#include <future>
#include <mutex>
#include <optional>

#include <nlohmann/json.hpp>

#include "analysis/outbound/http_exchange.h"
#include "operator/core/base64.h"
#include "operator/core/text_safety.h"

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
  return truncateText(flat, 300);  // on a character boundary: the text reaches JSON (status, Events)
}

}  // namespace

Result<PromQueryResult> parsePrometheusAnswer(const std::string& url, const std::string& promql, int status,
                                              const std::string& body) {
  if (status == 401 || status == 403) {
    return Error{status == 401 ? ErrorCode::Unauthorized : ErrorCode::Forbidden,
                 "prometheus at " + url + " refused the credentials (HTTP " + std::to_string(status) + ")"};
  }
  Json doc = Json::parse(body, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) {
    return Error{status >= 500 ? ErrorCode::Unavailable : ErrorCode::Decode,
                 "prometheus at " + url + " answered HTTP " + std::to_string(status) +
                     " without a Prometheus API body"};
  }
  // Fields read as strings only when they are strings: a hostile body must not throw out of here.
  auto text = [&doc](const char* key, const std::string& fallback) {
    auto it = doc.find(key);
    return it != doc.end() && it->is_string() ? it->get<std::string>() : fallback;
  };
  if (text("status", "") != "success") {
    // Prometheus's own words, bounded: they reach the Canary's status, its Events and the log.
    std::string message = truncateText(text("errorType", "error") + ": " + text("error", "unknown error"),
                                       kMaxExternalMessageBytes);
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
    } else {
      // "string" (a query that is a string literal), or not Prometheus at all: there is no number to
      // compare, and saying "no values" would send the user looking for missing series.
      return Error{ErrorCode::Decode, "query " + shorten(promql) + ": prometheus at " + url +
                                          " answered resultType \"" + truncateText(result.resultType, 40) +
                                          "\", not vector, matrix or scalar"};
    }
    for (const auto& w : doc.value("warnings", Json::array()))
      result.warnings.push_back(w.get<std::string>());
  } catch (const std::exception& e) {
    return Error{ErrorCode::Decode, "query " + shorten(promql) + ": unexpected answer: " +
                                        truncateText(e.what(), kMaxExternalMessageBytes)};
  }
  return result;
}

struct PrometheusClient::Impl {
  std::shared_ptr<http::client::http_client> client;
};

void PrometheusClient::sendAsync(web::http::http_request request,
                                 std::function<void(Result<Exchange>)> done) const {
  exchangeAsync(impl_->client, std::move(request),
                {.deadline = options_.deadline, .maxBodyBytes = options_.maxResponseBytes},
                "prometheus at " + options_.url, [done = std::move(done)](Result<HttpExchange> exchange) {
                  if (!exchange) return done(exchange.error());
                  done(Exchange{exchange->status, std::move(exchange->body)});
                });
}

PrometheusClient::PrometheusClient(PrometheusClientOptions options)
    : options_(std::move(options)), impl_(std::make_unique<Impl>()) {
  http::client::http_client_config config;
  config.set_timeout(std::chrono::duration_cast<std::chrono::microseconds>(options_.timeout));
  config.set_validate_certificates(!options_.insecureSkipTlsVerify);
  std::string base = options_.url;
  while (!base.empty() && base.back() == '/') base.pop_back();
  impl_->client = std::make_shared<http::client::http_client>(base, config);
}

PrometheusClient::~PrometheusClient() = default;

void PrometheusClient::queryAsync(const std::string& promql,
                                  std::function<void(Result<PromQueryResult>)> done) const {
  http::http_request request(http::methods::POST);
  request.set_request_uri("/api/v1/query");
  request.set_body("query=" + web::uri::encode_data_string(promql), "application/x-www-form-urlencoded");
  for (const auto& [name, value] : options_.headers) request.headers().add(name, value);
  if (!options_.bearerToken.empty()) {
    request.headers()["Authorization"] = "Bearer " + options_.bearerToken;
  } else if (!options_.username.empty()) {
    request.headers()["Authorization"] = "Basic " + base64Encode(options_.username + ":" + options_.password);
  }
  sendAsync(std::move(request),
            [url = options_.url, promql, done = std::move(done)](Result<Exchange> exchange) {
              done(exchange ? parsePrometheusAnswer(url, promql, exchange->status, exchange->body)
                            : Result<PromQueryResult>(exchange.error()));
            });
}

Result<PromQueryResult> PrometheusClient::query(const std::string& promql) const {
  std::promise<Result<PromQueryResult>> answer;
  auto future = answer.get_future();
  queryAsync(promql, [&answer](Result<PromQueryResult> r) { answer.set_value(std::move(r)); });
  return future.get();  // the deadline guarantees an answer
}

namespace {
Result<double> singleValue(const std::string& promql, const Result<PromQueryResult>& result) {
  if (!result) return result.error();
  if (result->samples.empty() || std::isnan(result->samples.front().value)) {
    return Error{ErrorCode::NotFound, "no values for " + shorten(promql)};
  }
  return result->samples.front().value;
}
}  // namespace

Result<double> PrometheusClient::queryValue(const std::string& promql) const {
  return singleValue(promql, query(promql));
}

void PrometheusClient::explainNoValuesAsync(const std::string& promql,
                                            std::function<void(std::string)> done) const {
  diagnoseNoValues(
      promql,
      [this](const std::string& q, std::function<void(Result<PromQueryResult>)> answered) {
        queryAsync(q, std::move(answered));  // called only while diagnoseNoValues sends, before it returns
      },
      std::move(done));
}

void PrometheusClient::queryValueAsync(const std::string& promql,
                                       std::function<void(Result<double>)> done) const {
  queryAsync(promql,
             [promql, done = std::move(done)](Result<PromQueryResult> r) { done(singleValue(promql, r)); });
}

}  // namespace aviary::analysis
