#include "analysis/webhooks/webhook_client.h"

#include "analysis/prometheus/metrics_server_url.h"
#include "operator/core/text_safety.h"

namespace aviary::analysis {

bool webhookStatusPasses(int status) {
  return status >= 200 && status <= 202;
}

WebhookResult webhookResult(const std::string& peer, const Result<PostOutcome>& outcome) {
  WebhookResult result;
  if (!outcome) {
    result.refused =
        outcome.error().code == ErrorCode::Forbidden || outcome.error().code == ErrorCode::Invalid;
    result.message = outcome.error().message;
    return result;
  }
  result.status = outcome->status;
  result.attempts = outcome->attempts;
  result.passed = webhookStatusPasses(outcome->status);
  if (!result.passed) {
    result.message = peer + " answered HTTP " + std::to_string(outcome->status);
    if (!outcome->body.empty())
      result.message += ": " + quoteForMessage(outcome->body, kMaxExternalMessageBytes);
    if (outcome->attempts > 1) result.message += " (" + std::to_string(outcome->attempts) + " attempts)";
  }
  return result;
}

WebhookClient::WebhookClient(std::shared_ptr<HttpPoster> poster) : poster_(std::move(poster)) {}

PostRequest WebhookClient::request(const WebhookCall& call) const {
  std::string peer = "webhook " + quoteForMessage(call.name);
  if (auto host = urlHost(call.url)) peer += " at " + quoteForMessage(*host);
  return PostRequest{
      .url = call.url,
      .body =
          encodeWebhookPayload(call.payload).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace),
      .insecureSkipTlsVerify = call.disableTls,
      .attemptTimeout = call.timeout.count() > 0 ? call.timeout : std::chrono::milliseconds(10'000),
      .retries = call.retries,
      .peer = std::move(peer)};
}

WebhookResult WebhookClient::call(const WebhookCall& call) const {
  auto post = request(call);
  return webhookResult(post.peer, poster_->post(post));
}

void WebhookClient::callAsync(WebhookCall call, std::function<void(WebhookResult)> done) const {
  auto post = request(call);
  std::string peer = post.peer;
  poster_->postAsync(std::move(post),
                     [peer = std::move(peer), done = std::move(done)](Result<PostOutcome> outcome) {
                       done(webhookResult(peer, outcome));
                     });
}

}  // namespace aviary::analysis
