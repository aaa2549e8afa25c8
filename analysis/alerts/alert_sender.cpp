#include "analysis/alerts/alert_sender.h"

#include <spdlog/spdlog.h>

#include "operator/core/text_safety.h"

namespace aviary::analysis {
namespace {

// `text` with every occurrence of `secret` replaced: a last guard in case a library quotes the URL.
void redact(std::string& text, const std::string& secret) {
  if (secret.size() < 4) return;
  for (auto at = text.find(secret); at != std::string::npos; at = text.find(secret, at))
    text.replace(at, secret.size(), "<redacted>");
}

std::string peerOf(const AlertTarget& target) {
  return "alert provider " + quoteForMessage(target.name) + " (" +
         std::string(alertProviderTypeName(target.type)) + ")";
}

// Turns the poster's answer into ok or an error that names no secret; logs and counts it.
Status record(AlertSender::Tally& tally, const AlertTarget& target, const Result<PostOutcome>& outcome) {
  std::string problem;
  if (!outcome) {
    problem = outcome.error().message;
  } else if (outcome->status < 200 || outcome->status > 299) {
    problem = peerOf(target) + " answered HTTP " + std::to_string(outcome->status);
    if (!outcome->body.empty()) problem += ": " + quoteForMessage(outcome->body, kMaxExternalMessageBytes);
  }
  if (problem.empty()) {
    tally.sent.fetch_add(1);
    return {};
  }
  redact(problem, target.address);
  // A service may echo the path it was called on; for Slack, Teams and Discord the path is the secret.
  if (auto scheme = target.address.find("://"); scheme != std::string::npos) {
    if (auto path = target.address.find('/', scheme + 3);
        path != std::string::npos && target.address.size() - path > 8)
      redact(problem, target.address.substr(path));
  }
  redact(problem, discordUrl(target.address));
  redact(problem, target.token);
  redact(problem, target.proxy);
  tally.failed.fetch_add(1);
  spdlog::warn("alert not delivered: {}", escapeControl(problem));
  return Error{outcome ? ErrorCode::Unavailable : outcome.error().code, std::move(problem)};
}

}  // namespace

AlertSender::AlertSender(std::shared_ptr<HttpPoster> poster, AlertSenderOptions options)
    : poster_(std::move(poster)), options_(options) {}

PostRequest AlertSender::request(const AlertTarget& target, const AlertMessage& message) const {
  AlertPost post = buildAlertPost(target, message);
  return PostRequest{.url = std::move(post.url),
                     .body = post.body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace),
                     // Flagger sends the Secret's token to Slack only (chat.postMessage needs it).
                     .bearerToken = target.type == AlertProviderType::Slack ? target.token : "",
                     .proxy = target.proxy,
                     .attemptTimeout = options_.timeout,
                     .retries = options_.retries,
                     .peer = peerOf(target)};
}

Status AlertSender::sendNow(const AlertTarget& target, const AlertMessage& message) {
  try {
    return record(*tally_, target, poster_->post(request(target, message)));
  } catch (const std::exception& e) {  // bad_alloc and the like: counted, never thrown at the controller
    tally_->failed.fetch_add(1);
    return Error{ErrorCode::Internal, peerOf(target) + ": " + e.what()};
  }
}

void AlertSender::send(const AlertTarget& target, const AlertMessage& message,
                       std::function<void(Status)> done) {
  try {
    poster_->postAsync(request(target, message),
                       [tally = tally_, target, done = std::move(done)](Result<PostOutcome> outcome) {
                         Status status = record(*tally, target, outcome);
                         if (done) done(std::move(status));
                       });
  } catch (const std::exception& e) {
    tally_->failed.fetch_add(1);
    if (done) done(Error{ErrorCode::Internal, peerOf(target) + ": " + e.what()});
  }
}

}  // namespace aviary::analysis
