#include "sandbox/traffic/metrics_endpoint.h"

#include <charconv>

namespace aviary::sandbox::traffic {

http::Handler metricsHandler(const TrafficSimulator& traffic) {
  return [&traffic](const http::Request&, http::ResponseWriter& w) {
    w.send(200, kMetricsContentType, traffic.renderMetrics());
  };
}

Result<http::ServerOptions> parseListenAddress(const std::string& listen) {
  auto colon = listen.rfind(':');
  unsigned port = 0;
  const char* end = listen.data() + listen.size();
  if (colon == std::string::npos || colon == 0 || colon + 1 == listen.size() ||
      std::from_chars(listen.data() + colon + 1, end, port).ptr != end || port > 65535) {
    return makeError(ErrorCode::Invalid, "\"" + listen + "\" is not address:port");
  }
  http::ServerOptions options;
  options.bindAddress = listen.substr(0, colon);
  options.port = static_cast<uint16_t>(port);
  return options;
}

MetricsListener::MetricsListener(const TrafficSimulator& traffic, http::ServerOptions options)
    : bindAddress_(options.bindAddress),
      server_(std::move(options),
              [serve = metricsHandler(traffic)](const http::Request& r, http::ResponseWriter& w) {
                if (r.path == "/metrics") return serve(r, w);
                w.send(404, "text/plain", "only /metrics is served here\n");
              }) {}

MetricsListener::~MetricsListener() {
  stop();
}

Status MetricsListener::start() {
  return server_.start();
}

void MetricsListener::stop() {
  server_.stop();
}

std::string MetricsListener::target() const {
  return bindAddress_ + ":" + std::to_string(server_.port());
}

}  // namespace aviary::sandbox::traffic
