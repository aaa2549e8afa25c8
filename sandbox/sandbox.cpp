#include "sandbox/sandbox.h"

namespace aviary::sandbox {
namespace {
constexpr char kMetricsContentType[] = "text/plain; version=0.0.4; charset=utf-8";
}

Sandbox::Sandbox(SandboxOptions options) : options_(std::move(options)) {
  api_ = std::make_unique<ApiServer>(options_.api);
  traffic_ = std::make_unique<traffic::TrafficSimulator>(api_->store(), api_->registry(), options_.traffic);
  auto serveMetrics = [this](const http::Request&, http::ResponseWriter& w) {
    w.send(200, kMetricsContentType, traffic_->renderMetrics());
  };
  api_->addHandler("/metrics", serveMetrics);
  if (options_.metricsListen.empty() && options_.prometheus && options_.api.tls) {
    options_.metricsListen = "127.0.0.1:0";
  }
  if (!options_.metricsListen.empty()) {
    http::ServerOptions serverOptions;
    auto colon = options_.metricsListen.rfind(':');
    serverOptions.bindAddress = options_.metricsListen.substr(0, colon);
    metricsBindAddress_ = serverOptions.bindAddress;
    serverOptions.port = static_cast<uint16_t>(std::stoi(options_.metricsListen.substr(colon + 1)));
    metricsServer_ = std::make_unique<http::HttpServer>(
        serverOptions, [serveMetrics](const http::Request& r, http::ResponseWriter& w) {
          if (r.path == "/metrics") return serveMetrics(r, w);
          w.send(404, "text/plain", "only /metrics is served here\n");
        });
  }
}

Sandbox::~Sandbox() {
  stop();
}

Status Sandbox::start() {
  if (auto st = api_->start(); !st) return st;
  if (metricsServer_) {
    if (auto st = metricsServer_->start(); !st) return st;
  }
  traffic_->start();
  if (options_.prometheus) {
    PrometheusOptions p;
    p.scrapeTargets = {metricsTarget()};
    prometheus_ = std::make_unique<PrometheusServer>(p);
    if (auto st = prometheus_->start(); !st) return st;
  }
  return {};
}

void Sandbox::stop() {
  if (prometheus_) prometheus_->stop();
  if (traffic_) traffic_->stop();
  if (metricsServer_) metricsServer_->stop();
  if (api_) api_->stop();
}

std::string Sandbox::metricsTarget() const {
  if (metricsServer_) return metricsBindAddress_ + ":" + std::to_string(metricsServer_->port());
  if (options_.api.tls) return "";
  std::string url = api_->url();  // http://host:port
  return url.substr(url.find("//") + 2);
}

}  // namespace aviary::sandbox
