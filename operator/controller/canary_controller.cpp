#include "operator/controller/canary_controller.h"

#include <spdlog/spdlog.h>

#include "analysis/prometheus/prometheus_client.h"

namespace aviary::controller {
namespace {

kube::ReflectorOptions watchOf(const kube::ResourceType& type, const std::string& ns) {
  kube::ReflectorOptions o;
  o.type = type;
  o.ns = ns;
  return o;
}

std::string keyOf(const kube::Json& object) {
  const auto& meta = object["metadata"];
  return kube::objectKey(meta.value("namespace", ""), meta.value("name", ""));
}

}  // namespace

CanaryController::CanaryController(kube::KubeClient& client, ControllerOptions options)
    : client_(client),
      options_(std::move(options)),
      routers_(mesh::builtInRouters()),
      events_(client),
      canaries_(client, watchOf(kCanaries, options_.ns)),
      deployments_(client, watchOf(kube::resources::kDeployments, options_.ns)),
      queue_(std::chrono::milliseconds(100), std::chrono::seconds(30)) {
  // Canaries by the Deployment they target, so a Deployment event finds its Canary without a scan.
  canaries_.addIndex("target", [](const kube::Json& c) {
    return std::vector<std::string>{kube::objectKey(
        c["metadata"].value("namespace", ""), c.value("/spec/targetRef/name"_json_pointer, std::string()))};
  });
  auto timeout = options_.prometheusTimeout;
  reconciler_ = std::make_unique<Reconciler>(
      client_, canaries_.store(), deployments_.store(), routers_, events_, options_,
      [timeout](const std::string& url) -> std::shared_ptr<analysis::MetricProvider> {
        return std::make_shared<analysis::PrometheusClient>(
            analysis::PrometheusClientOptions{.url = url, .timeout = timeout});
      });
  canaries_.addHandlers({[this](const auto& c) { queue_.add(keyOf(*c)); },
                         [this](const auto&, const auto& c) { queue_.add(keyOf(*c)); },
                         [this](const auto& c) { queue_.add(keyOf(*c)); }});
  deployments_.addHandlers({[this](const auto& d) { enqueueForDeployment(*d); },
                            [this](const auto&, const auto& d) { enqueueForDeployment(*d); },
                            [this](const auto& d) { enqueueForDeployment(*d); }});
}

CanaryController::~CanaryController() {
  stop();
}

void CanaryController::enqueueForDeployment(const kube::Json& d) {
  const auto& meta = d["metadata"];
  std::string ns = meta.value("namespace", ""), name = meta.value("name", "");
  const std::string suffix = "-primary";
  std::vector<std::string> targets = {kube::objectKey(ns, name)};
  if (name.size() > suffix.size() && name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0) {
    targets.push_back(kube::objectKey(ns, name.substr(0, name.size() - suffix.size())));
  }
  for (const auto& t : targets) {
    for (const auto& c : canaries_.store().byIndex("target", t)) queue_.add(keyOf(*c));
  }
}

Status CanaryController::start() {
  canaries_.start();
  deployments_.start();
  if (!canaries_.waitForSync(std::chrono::seconds(60)) ||
      !deployments_.waitForSync(std::chrono::seconds(60))) {
    return Error{ErrorCode::Timeout, "informers did not sync within 60s (is the Canary CRD installed?)"};
  }
  spdlog::info("canary controller started: {} canaries, {} deployments cached, {} workers",
               canaries_.store().keys().size(), deployments_.store().keys().size(), options_.workers);
  for (int i = 0; i < options_.workers; ++i) workers_.emplace_back([this] { work(); });
  return {};
}

void CanaryController::work() {
  while (auto key = queue_.get()) {
    ReconcileOutcome outcome;
    try {
      outcome = reconciler_->reconcile(*key);
    } catch (const std::exception& e) {
      // Last resort: a reconcile must never take the operator down.
      outcome.error = Error{ErrorCode::Internal, std::string("reconcile threw: ") + e.what()};
      spdlog::error("canary {}: {}", *key, e.what());
    }
    if (!outcome.error) {
      queue_.addRateLimited(*key);
    } else {
      queue_.forget(*key);
      if (outcome.requeueAfter) queue_.addAfter(*key, *outcome.requeueAfter);
    }
    queue_.done(*key);
  }
}

void CanaryController::stop() {
  if (stopped_.exchange(true)) return;
  queue_.shutDown();
  for (auto& w : workers_) w.join();
  workers_.clear();
  canaries_.stop();
  deployments_.stop();
  events_.flush();
  events_.stop();
}

}  // namespace aviary::controller
