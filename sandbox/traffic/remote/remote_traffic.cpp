#include "sandbox/traffic/remote/remote_traffic.h"

#include <spdlog/spdlog.h>

#include "operator/kube/http_kube_client.h"
#include "sandbox/traffic/metrics_endpoint.h"

namespace aviary::sandbox::traffic {

RemoteTraffic::RemoteTraffic(RemoteTrafficOptions options) : options_(std::move(options)) {}

RemoteTraffic::~RemoteTraffic() {
  stop();
}

Status RemoteTraffic::start(const std::string& kubeconfigPath) {
  auto config = kube::loadKubeconfig(kubeconfigPath);
  if (!config) return config.takeError();
  return start(*config);
}

Status RemoteTraffic::start(const kube::ClusterConfig& config) {
  if (client_) return makeError(ErrorCode::Invalid, "traffic: already started");
  auto listen = parseListenAddress(options_.metricsListen);
  if (!listen) return makeError(ErrorCode::Config, "metrics listen address: " + listen.error().message);
  kube::ClusterConfig ours = config;
  ours.userAgent = "aviary-sandbox-traffic/0.1";
  auto client = kube::HttpKubeClient::create(ours);
  if (!client) return client.takeError();
  client_ = std::move(*client);
  source_ = std::make_unique<WatchSource>(*client_, options_.watch);
  traffic_ = std::make_unique<TrafficSimulator>(*source_, options_.traffic);
  metrics_ = std::make_unique<MetricsListener>(*traffic_, *listen);

  auto started = std::chrono::steady_clock::now();
  source_->start();
  if (!source_->waitForSync(options_.syncTimeout)) {
    stop();
    return makeError(ErrorCode::Timeout, "traffic: the first lists from " + config.server +
                                             " did not arrive in " +
                                             std::to_string(options_.syncTimeout.count()) + " ms");
  }
  traffic_->syncRouting();
  if (auto st = metrics_->start(); !st) {
    stop();
    return st;
  }
  traffic_->start();
  spdlog::info(
      "traffic: following {} ({} watches, synced in {} ms); metrics at http://{}/metrics", config.server,
      source_->watchedFeeds().size(),
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started)
          .count(),
      metrics_->target());
  return {};
}

void RemoteTraffic::stop() {
  if (metrics_) metrics_->stop();
  if (traffic_) traffic_->stop();
  if (source_) source_->stop();
}

std::string RemoteTraffic::metricsTarget() const {
  return metrics_ ? metrics_->target() : std::string();
}

}  // namespace aviary::sandbox::traffic
