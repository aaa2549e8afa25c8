#define _TURN_OFF_PLATFORM_STRING
#include "analysis/outbound/http_exchange.h"

#include <cpprest/http_client.h>

#include <cpprest/containerstream.h>

#include <atomic>
#include <future>
#include <mutex>
#include <optional>

#include "operator/core/deadline_timer.h"
#include "operator/core/text_safety.h"

namespace aviary::analysis {
namespace {

namespace http = web::http;
using Buffer = concurrency::streams::container_buffer<std::string>;

struct BodyTooLarge : std::runtime_error {
  BodyTooLarge() : std::runtime_error("body too large") {}
};

// Reads the body in chunks into `out`, failing once it passes `maxBytes`. cpprestsdk keeps receiving into
// its own buffer whether or not anyone reads, so passing the cap also cancels the request, which closes
// the connection: a huge or endless answer costs at most about maxBytes plus what is in flight. The
// buffer's string grows by a whole chunk before each read, so `total` (what was really read) is the size;
// the string is cut to it at the end.
pplx::task<void> readBounded(concurrency::streams::istream body, std::shared_ptr<Buffer> out,
                             std::size_t total, std::size_t maxBytes,
                             pplx::cancellation_token_source cancel) {
  return body.read(*out, 64 * 1024)
      .then([body, out, total, maxBytes, cancel](std::size_t n) -> pplx::task<void> {
        const std::size_t read = total + n;
        if (out->collection().size() > read) out->collection().resize(read);
        if (n == 0) return pplx::task_from_result();
        if (read > maxBytes) {
          cancel.cancel();
          throw BodyTooLarge();
        }
        return readBounded(body, out, read, maxBytes, cancel);
      });
}

// Retry-After in its delay-seconds form; the HTTP-date form is ignored (the caller's own backoff applies).
std::optional<std::chrono::seconds> retryAfterOf(const http::http_headers& headers) {
  auto it = headers.find("Retry-After");
  if (it == headers.end() || it->second.empty() || it->second.size() > 9) return std::nullopt;
  long seconds = 0;
  for (char c : it->second) {
    if (c < '0' || c > '9') return std::nullopt;
    seconds = seconds * 10 + (c - '0');
  }
  return std::chrono::seconds(seconds);
}

}  // namespace

void exchangeAsync(std::shared_ptr<http::client::http_client> client, http::http_request request,
                   const ExchangeLimits& limits, const std::string& peer,
                   std::function<void(Result<HttpExchange>)> done) {
  // The whole exchange has one deadline. cpprestsdk's own timeout restarts on every read, so a server that
  // drips one byte at a time would hold the exchange for ever; at the deadline (the shared timer thread)
  // the token is cancelled, which closes the connection. Whichever comes first, the answer or the
  // deadline, calls `done`, exactly once. The state is shared with the continuations and the timer, which
  // may outlive this call; so is the client.
  struct State {
    std::atomic<bool> answered{false};
    int status = 0;
    std::optional<std::chrono::seconds> retryAfter;
    std::shared_ptr<Buffer> body = std::make_shared<Buffer>();
    std::function<void(Result<HttpExchange>)> done;
    std::mutex deadlineMutex;
    std::shared_ptr<DeadlineTimer::Pending> deadline;
    bool claim() { return !answered.exchange(true); }
    void cancelDeadline() {
      std::lock_guard lock(deadlineMutex);
      if (deadline) deadline->cancel();
    }
  };
  auto state = std::make_shared<State>();
  state->done = std::move(done);
  pplx::cancellation_token_source cancel;
  const std::size_t maxBytes = limits.maxBodyBytes;
  const bool failOnLargeBody = limits.failOnLargeBody;
  {
    std::lock_guard lock(state->deadlineMutex);
    state->deadline =
        DeadlineTimer::shared().schedule(limits.deadline, [state, cancel, peer, deadline = limits.deadline] {
          if (!state->claim()) return;
          cancel.cancel();
          state->done(Error{ErrorCode::Timeout,
                            peer + " did not answer within " + std::to_string(deadline.count()) + " ms"});
        });
  }
  try {
    client->request(request, cancel.get_token())
        .then([state, maxBytes, cancel](http::http_response response) {
          state->status = response.status_code();
          state->retryAfter = retryAfterOf(response.headers());
          if (auto length = response.headers().content_length(); length > maxBytes) {
            cancel.cancel();  // do not let cpprestsdk download what was announced
            throw BodyTooLarge();
          }
          return readBounded(response.body(), state->body, 0, maxBytes, cancel);
        })
        .then([state, peer, maxBytes, failOnLargeBody, client](pplx::task<void> finished) {
          std::optional<Error> error;
          bool truncated = false;
          try {
            finished.get();
          } catch (const BodyTooLarge&) {
            if (failOnLargeBody) {
              error = Error{ErrorCode::Decode,
                            peer + " answered more than " + std::to_string(maxBytes) + " bytes"};
            } else {
              truncated = true;
            }
          } catch (const pplx::task_canceled&) {
            error = Error{ErrorCode::Timeout, peer + " timed out"};
          } catch (const http::http_exception& e) {
            std::string what = e.what();
            bool timedOut = e.error_code() == std::errc::timed_out ||
                            what.find("timed out") != std::string::npos ||
                            what.find("Timeout") != std::string::npos;
            error = Error{timedOut ? ErrorCode::Timeout : ErrorCode::Unavailable,
                          peer + " " + (timedOut ? "timed out" : "unreachable") + ": " +
                              truncateText(what, kMaxExternalMessageBytes)};
          } catch (const std::exception& e) {
            error = Error{ErrorCode::Unavailable,
                          peer + " unreachable: " + truncateText(e.what(), kMaxExternalMessageBytes)};
          }
          if (!state->claim()) return;  // the deadline answered first
          state->cancelDeadline();
          if (error) return state->done(std::move(*error));
          HttpExchange exchange{state->status, std::move(state->body->collection()), truncated,
                                state->retryAfter};
          if (exchange.truncated && exchange.body.size() > maxBytes) exchange.body.resize(maxBytes);
          state->done(std::move(exchange));
        });
  } catch (const std::exception& e) {  // a request cpprestsdk refuses to start (bad URI, bad header)
    if (!state->claim()) return;
    state->cancelDeadline();
    state->done(Error{ErrorCode::Unavailable,
                      peer + " unreachable: " + truncateText(e.what(), kMaxExternalMessageBytes)});
  }
}

Result<HttpExchange> exchangeOnce(std::shared_ptr<http::client::http_client> client,
                                  http::http_request request, const ExchangeLimits& limits,
                                  const std::string& peer) {
  std::promise<Result<HttpExchange>> answer;
  auto future = answer.get_future();
  exchangeAsync(std::move(client), std::move(request), limits, peer,
                [&answer](Result<HttpExchange> r) { answer.set_value(std::move(r)); });
  return future.get();  // the deadline guarantees an answer
}

}  // namespace aviary::analysis
