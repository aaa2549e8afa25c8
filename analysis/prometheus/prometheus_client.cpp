#define _TURN_OFF_PLATFORM_STRING
#include "analysis/prometheus/prometheus_client.h"

#include <cpprest/http_client.h>

#include <cpprest/containerstream.h>

#include <cmath>
#include <condition_variable>
#include <mutex>
#include <optional>

#include <nlohmann/json.hpp>

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

struct PrometheusClient::Impl {
  std::unique_ptr<http::client::http_client> client;
};

namespace {

struct BodyTooLarge : std::runtime_error {
  BodyTooLarge() : std::runtime_error("body too large") {}
};

// Reads the body in chunks into `out`, failing once it passes `maxBytes`. cpprestsdk keeps receiving into
// its own buffer whether or not anyone reads, so passing the cap also cancels the request, which closes
// the connection: a huge or endless answer costs at most about maxBytes plus what is in flight.
pplx::task<void> readBounded(concurrency::streams::istream body,
                             std::shared_ptr<concurrency::streams::container_buffer<std::string>> out,
                             std::size_t maxBytes, pplx::cancellation_token_source cancel) {
  return body.read(*out, 64 * 1024).then([body, out, maxBytes, cancel](std::size_t n) -> pplx::task<void> {
    if (n == 0) return pplx::task_from_result();
    if (out->collection().size() > maxBytes) {
      cancel.cancel();
      throw BodyTooLarge();
    }
    return readBounded(body, out, maxBytes, cancel);
  });
}

}  // namespace

Result<PrometheusClient::Exchange> PrometheusClient::send(web::http::http_request& request) const {
  // The whole exchange has one deadline. cpprestsdk's own timeout restarts on every read, so a server that
  // drips one byte at a time would hold this worker for ever; cancelling the token at the deadline closes
  // the connection. The state is shared with the continuations, which may outlive this call.
  struct State {
    std::mutex mutex;
    std::condition_variable done;
    bool finished = false;
    int status = 0;
    std::shared_ptr<concurrency::streams::container_buffer<std::string>> body =
        std::make_shared<concurrency::streams::container_buffer<std::string>>();
    std::optional<Error> error;
  };
  auto state = std::make_shared<State>();
  pplx::cancellation_token_source cancel;
  const std::string url = options_.url;
  const std::size_t maxBytes = options_.maxResponseBytes;
  impl_->client->request(request, cancel.get_token())
      .then([state, maxBytes, cancel](http::http_response response) {
        state->status = response.status_code();
        if (auto length = response.headers().content_length(); length > maxBytes) {
          cancel.cancel();  // do not let cpprestsdk download what was announced
          throw BodyTooLarge();
        }
        return readBounded(response.body(), state->body, maxBytes, cancel);
      })
      .then([state, url, maxBytes](pplx::task<void> finished) {
        std::optional<Error> error;
        try {
          finished.get();
        } catch (const BodyTooLarge&) {
          error = Error{ErrorCode::Decode, "prometheus at " + url + " answered more than " +
                                               std::to_string(maxBytes) + " bytes"};
        } catch (const pplx::task_canceled&) {
          error = Error{ErrorCode::Timeout, "prometheus at " + url + " timed out"};
        } catch (const http::http_exception& e) {
          std::string what = e.what();
          bool timedOut = e.error_code() == std::errc::timed_out ||
                          what.find("timed out") != std::string::npos ||
                          what.find("Timeout") != std::string::npos;
          error = Error{timedOut ? ErrorCode::Timeout : ErrorCode::Unavailable,
                        "prometheus at " + url + " " + (timedOut ? "timed out" : "unreachable") + ": " +
                            truncateText(what, kMaxExternalMessageBytes)};
        } catch (const std::exception& e) {
          error = Error{ErrorCode::Unavailable, "prometheus at " + url + " unreachable: " +
                                                    truncateText(e.what(), kMaxExternalMessageBytes)};
        }
        std::lock_guard lock(state->mutex);
        state->error = std::move(error);
        state->finished = true;
        state->done.notify_all();
      });
  std::unique_lock lock(state->mutex);
  if (!state->done.wait_for(lock, options_.deadline, [&] { return state->finished; })) {
    lock.unlock();  // a continuation run by cancel() takes the same mutex
    cancel.cancel();
    return Error{ErrorCode::Timeout, "prometheus at " + url + " did not answer within " +
                                         std::to_string(options_.deadline.count()) + " ms"};
  }
  if (state->error) return *state->error;
  return Exchange{state->status, std::move(state->body->collection())};
}

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
  for (const auto& [name, value] : options_.headers) request.headers().add(name, value);
  if (!options_.bearerToken.empty()) {
    request.headers()["Authorization"] = "Bearer " + options_.bearerToken;
  } else if (!options_.username.empty()) {
    request.headers()["Authorization"] = "Basic " + base64Encode(options_.username + ":" + options_.password);
  }
  auto exchange = send(request);
  if (!exchange) return exchange.takeError();
  const int status = exchange->status;
  const std::string& body = exchange->body;
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
    }
    for (const auto& w : doc.value("warnings", Json::array()))
      result.warnings.push_back(w.get<std::string>());
  } catch (const std::exception& e) {
    return Error{ErrorCode::Decode, "query " + shorten(promql) + ": unexpected answer: " +
                                        truncateText(e.what(), kMaxExternalMessageBytes)};
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
