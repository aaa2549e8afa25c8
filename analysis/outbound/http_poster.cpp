#define _TURN_OFF_PLATFORM_STRING
#include "analysis/outbound/http_poster.h"

#include <cpprest/http_client.h>

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

#include "analysis/outbound/http_exchange.h"
#include "analysis/prometheus/metrics_server_url.h"

namespace aviary::analysis {
namespace {

namespace http = web::http;

std::chrono::milliseconds backoff(const HttpPosterOptions& o, int attempt,
                                  std::optional<std::chrono::seconds> retryAfter) {
  if (retryAfter) return std::min<std::chrono::milliseconds>(*retryAfter, o.retryWaitMax);
  auto wait = o.retryWaitMin * (1LL << std::min(attempt, 20));
  return std::min<std::chrono::milliseconds>(wait, o.retryWaitMax);
}

}  // namespace

bool isRetryableStatus(int status) {
  return status == 429 || (status >= 500 && status != 501) || status == 0;
}

struct HttpPoster::Pool {
  using Job = std::pair<PostRequest, std::function<void(Result<PostOutcome>)>>;
  std::mutex mutex;
  std::condition_variable wake;
  std::deque<Job> queue;
  std::vector<std::thread> workers;
  bool stopping = false;

  // Sleeps for `d`; false when shutdown() interrupted the wait.
  bool sleepUnlessStopping(std::chrono::milliseconds d) {
    std::unique_lock lock(mutex);
    return !wake.wait_for(lock, d, [this] { return stopping; });
  }
};

HttpPoster::HttpPoster(HttpPosterOptions options)
    : options_(std::move(options)), pool_(std::make_unique<Pool>()) {
  for (std::size_t i = 0; i < std::max<std::size_t>(options_.workers, 1); ++i) {
    pool_->workers.emplace_back([this] {
      for (;;) {
        Pool::Job job;
        {
          std::unique_lock lock(pool_->mutex);
          pool_->wake.wait(lock, [this] { return pool_->stopping || !pool_->queue.empty(); });
          if (pool_->queue.empty()) return;  // stopping
          job = std::move(pool_->queue.front());
          pool_->queue.pop_front();
        }
        auto result = post(job.first);
        try {
          job.second(std::move(result));
        } catch (...) {  // a callback's exception must not end the worker (nor the process)
        }
      }
    });
  }
}

HttpPoster::~HttpPoster() {
  shutdown();
}

void HttpPoster::shutdown() {
  std::deque<Pool::Job> left;
  {
    std::lock_guard lock(pool_->mutex);
    pool_->stopping = true;
    left.swap(pool_->queue);
  }
  pool_->wake.notify_all();
  for (auto& [request, done] : left) {
    try {
      done(Error{ErrorCode::Cancelled, request.peer + ": not sent, the operator is shutting down"});
    } catch (...) {
    }
  }
  for (auto& worker : pool_->workers) {
    if (worker.joinable()) worker.join();
  }
}

void HttpPoster::postAsync(PostRequest request, std::function<void(Result<PostOutcome>)> done) {
  std::optional<Error> refused;
  {
    std::lock_guard lock(pool_->mutex);
    if (pool_->stopping) {
      refused = Error{ErrorCode::Cancelled, request.peer + ": not sent, the operator is shutting down"};
    } else if (pool_->queue.size() >= options_.maxQueued) {
      refused =
          Error{ErrorCode::Unavailable, request.peer + ": not sent, " + std::to_string(options_.maxQueued) +
                                            " requests are already waiting"};
    } else {
      pool_->queue.emplace_back(std::move(request), std::move(done));
    }
  }
  if (refused) return done(std::move(*refused));
  pool_->wake.notify_one();
}

std::optional<std::string> HttpPoster::urlProblem(const std::string& url) const {
  auto host = urlHost(url);
  if (!host) return std::string("the address is not an http:// or https:// URL");
  if (auto problem = options_.allowed.problem(*host)) return "egress refused: " + *problem;
  return std::nullopt;
}

Result<PostOutcome> HttpPoster::post(const PostRequest& request) {
  auto refuse = [&](const std::string& what, const std::string& problem) {
    bool forbidden = problem.starts_with("egress refused");
    return Error{forbidden ? ErrorCode::Forbidden : ErrorCode::Invalid, request.peer + ": " + what + problem};
  };
  if (auto problem = urlProblem(request.url)) return refuse("", *problem);
  http::client::http_client_config config;
  // The attempt's deadline (exchangeOnce) decides; cpprestsdk's per-read timeout only backs it up, later,
  // so that a slow receiver always gets the same message.
  config.set_timeout(std::chrono::duration_cast<std::chrono::microseconds>(request.attemptTimeout +
                                                                           std::chrono::seconds(1)));
  config.set_validate_certificates(!request.insecureSkipTlsVerify);
  std::shared_ptr<http::client::http_client> client;
  try {
    if (!request.proxy.empty()) {
      if (auto problem = urlProblem(request.proxy)) return refuse("proxy: ", *problem);
      config.set_proxy(web::web_proxy(web::uri(request.proxy)));
    }
    client = std::make_shared<http::client::http_client>(web::uri(request.url), config);
  } catch (const std::exception&) {  // cpprestsdk's words may quote the URL, which can be a secret
    return Error{ErrorCode::Invalid, request.peer + ": the address is not a URL cpprestsdk accepts"};
  }

  const int retries = std::clamp(request.retries, 0, kMaxPostRetries);
  const ExchangeLimits limits{.deadline = request.attemptTimeout,
                              .maxBodyBytes = options_.maxResponseBytes,
                              .failOnLargeBody = false};
  PostOutcome outcome;
  std::optional<Error> failure;
  for (int attempt = 0;; ++attempt) {
    http::http_request message(http::methods::POST);
    message.set_body(request.body, "application/json");
    if (!request.bearerToken.empty()) message.headers().add("Authorization", "Bearer " + request.bearerToken);
    auto exchange = exchangeOnce(client, message, limits, request.peer);
    outcome.attempts = attempt + 1;
    std::optional<std::chrono::seconds> retryAfter;
    bool retryable = false;
    if (exchange) {
      failure.reset();
      outcome.status = exchange->status;
      outcome.body = std::move(exchange->body);
      outcome.truncated = exchange->truncated;
      retryable = isRetryableStatus(outcome.status);
      if (outcome.status == 429 || outcome.status == 503) retryAfter = exchange->retryAfter;
    } else {
      failure = exchange.takeError();
      retryable = failure->code == ErrorCode::Timeout || failure->code == ErrorCode::Unavailable;
    }
    if (!retryable || attempt >= retries) break;
    if (!pool_->sleepUnlessStopping(backoff(options_, attempt, retryAfter))) {
      return Error{ErrorCode::Cancelled, request.peer + ": retries stopped, the operator is shutting down"};
    }
  }
  if (failure) {
    if (outcome.attempts > 1) failure->message += " (" + std::to_string(outcome.attempts) + " attempts)";
    return *failure;
  }
  return outcome;
}

}  // namespace aviary::analysis
