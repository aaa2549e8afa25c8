#include "operator/server/operator_server.h"

#include "operator/http/http_server.h"

namespace aviary::server {

Result<ListenAddress> parseListenAddress(const std::string& text) {
  auto colon = text.rfind(':');
  if (colon == std::string::npos)
    return Error{ErrorCode::Config, "\"" + text + "\": expected HOST:PORT or :PORT"};
  ListenAddress out;
  if (colon > 0) out.host = text.substr(0, colon);
  const std::string port = text.substr(colon + 1);
  if (port.empty() || port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos ||
      std::stoul(port) > 65535)
    return Error{ErrorCode::Config, "\"" + text + "\": the port must be a number from 0 to 65535"};
  out.port = static_cast<uint16_t>(std::stoul(port));
  return out;
}

OperatorServer::OperatorServer(ListenAddress address, const metrics::Registry& registry, Readiness ready)
    : address_(std::move(address)) {
  server_ = std::make_unique<http::HttpServer>(
      http::ServerOptions{.bindAddress = address_.host, .port = address_.port},
      [&registry, ready = std::move(ready)](const http::Request& r, http::ResponseWriter& w) {
        if (r.path == "/metrics") return w.send(200, metrics::Registry::kContentType, registry.render());
        if (r.path == "/healthz") return w.send(200, "text/plain", "ok\n");
        if (r.path == "/readyz") {
          auto [isReady, text] = ready();
          return w.send(isReady ? 200 : 503, "text/plain", text + "\n");
        }
        w.send(404, "text/plain", "not found\n");
      });
}

OperatorServer::~OperatorServer() {
  stop();
}

Status OperatorServer::start() {
  return server_->start();
}

void OperatorServer::stop() {
  server_->stop();
}

uint16_t OperatorServer::port() const {
  return server_->port();
}

std::string OperatorServer::url() const {
  return "http://" + address_.host + ":" + std::to_string(port());
}

}  // namespace aviary::server
