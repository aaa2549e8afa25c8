#include "sandbox/sandbox.h"

#include <stdexcept>

namespace aviary::sandbox {

Sandbox::Sandbox(SandboxOptions options) : options_(std::move(options)) {
  api_ = std::make_unique<ApiServer>(options_.api);
  traffic_ = std::make_unique<traffic::TrafficSimulator>(api_->store(), api_->registry(), options_.traffic);
  api_->addHandler("/metrics", traffic::metricsHandler(*traffic_));
  if (options_.metricsListen.empty() && options_.prometheus && options_.api.tls) {
    options_.metricsListen = "127.0.0.1:0";
  }
  if (!options_.metricsListen.empty()) {
    auto listen = traffic::parseListenAddress(options_.metricsListen);
    if (!listen) throw std::invalid_argument("--metrics-listen: " + listen.error().message);
    metricsServer_ = std::make_unique<traffic::MetricsListener>(*traffic_, *listen);
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
  if (metricsServer_) return metricsServer_->target();
  if (options_.api.tls) return "";
  std::string url = api_->url();  // http://host:port
  return url.substr(url.find("//") + 2);
}

}  // namespace aviary::sandbox
