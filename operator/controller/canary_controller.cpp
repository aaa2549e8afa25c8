#include "operator/controller/canary_controller.h"

#include "operator/controller/timed_metric_provider.h"

#include <spdlog/spdlog.h>

#include "analysis/prometheus/prometheus_client.h"
#include "mesh-adapters/router.h"
#include "operator/controller/tracked_configs.h"
#include "operator/controller/workloads.h"

namespace aviary::controller {
namespace {

kube::ReflectorOptions watchOf(const kube::ResourceType& type, const std::string& ns) {
  kube::ReflectorOptions o;
  o.type = type;
  o.ns = ns;
  return o;
}

// What the caches keep of a ConfigMap or Secret: who it is and a checksum of its content, never the data.
kube::Json configProjection(const kube::Json& object, const std::string& kind) {
  const auto& meta = object["metadata"];
  return {{"metadata", {{"name", meta.value("name", "")}, {"namespace", meta.value("namespace", "")}}},
          {"checksum", configChecksum(object, kind)}};
}
kube::Json configMapProjection(const kube::Json& object) {
  return configProjection(object, "configmap");
}
kube::Json secretProjection(const kube::Json& object) {
  return configProjection(object, "secret");
}

// What the Deployment cache keeps: the projection (workloads.h), packed.
kube::PackedJson packedDeployment(const kube::Json& object) {
  return kube::PackedJson(deploymentProjection(object));
}

// What the reconciler writes through the cache and watches for edits by others: Services and every
// provider's mesh types (a mesh whose CRDs are not installed leaves its informer retrying, harmlessly).
const std::vector<kube::ResourceType>& ownedTypes() {
  static const std::vector<kube::ResourceType> types = [] {
    std::vector<kube::ResourceType> out = {kube::resources::kServices};
    for (auto& type : mesh::builtInRouters().ownedTypes()) out.push_back(std::move(type));
    return out;
  }();
  return types;
}

}  // namespace

CanaryController::CanaryController(kube::KubeClient& client, ControllerOptions options,
                                   ControllerMetrics* metrics, kube::KubeClient* eventClient)
    : client_(client),
      metrics_(metrics),
      ownedObjects_(client, ownedTypes()),
      options_(std::move(options)),
      routers_(mesh::builtInRouters()),
      events_(eventClient ? *eventClient : client),
      canaries_(client, watchOf(kCanaries, options_.ns), CachedCanary::of),
      deployments_(client, watchOf(kube::resources::kDeployments, options_.ns), packedDeployment),
      configMaps_(client, watchOf(kube::resources::kConfigMaps, options_.ns), configMapProjection),
      secrets_(client, watchOf(kube::resources::kSecrets, options_.ns), secretProjection),
      ownedWatch_(client, ownedTypes(), options_.ns,
                  [this](const auto& type, const auto& ns, const auto& name, const auto& rv,
                         const kube::Json* object) { onOwnedObjectChange(type, ns, name, rv, object); }),
      queue_(std::chrono::milliseconds(100), std::chrono::seconds(30)) {
  // The owned-object watch vouches for the write-through cache's copies: no re-reads on expiry.
  ownedObjects_.setWatchedVersions([this](const auto& type, const auto& ns, const auto& name) {
    return ownedWatch_.resourceVersion(type, ns, name);
  });
  // …and says which objects are new, so that syncObject creates them without reading first.
  ownedObjects_.setWatchCovers([this](const auto& type) { return ownedWatch_.hasSynced(type); });
  // A change the watch reported while Aviary was writing the object, which was not that write's echo.
  ownedObjects_.setLateChange(
      [this](const auto&, const auto& ns, const auto& name) { wakeOwnersOf(ns, name); });
  // Canaries by the Deployment they target, so a Deployment event finds its Canary without a scan.
  canaries_.addIndex("target", [](const CachedCanary& c) { return std::vector<std::string>{c.targetKey}; });
  // …and by their apex Service (service.name, or the target's name), so an edit of a Service or route
  // finds its Canary.
  canaries_.addIndex("apex", [](const CachedCanary& c) { return std::vector<std::string>{c.apexKey}; });
  auto timeout = options_.prometheusTimeout;
  ControllerMetrics* controllerMetrics = metrics_;
  // The poster admits any host name (never IP literals in refused ranges unless listed); which hosts a
  // Canary may name is decided per namespace by validation (analysis/webhooks/webhook_scope.h).
  std::vector<std::string> postable = options_.webhookAllow;
  postable.push_back("*");
  analysis::HttpPosterOptions posterOptions;
  if (auto allowed = EgressAllowList::parse(postable)) posterOptions.allowed = std::move(*allowed);
  poster_ = std::make_shared<analysis::HttpPoster>(std::move(posterOptions));
  alerts_ = std::make_shared<analysis::AlertSender>(poster_);
  reconciler_ = std::make_unique<Reconciler>(
      ownedObjects_, canaries_.store(), deployments_.store(), configMaps_.store(), secrets_.store(), routers_,
      events_, options_,
      [timeout, controllerMetrics](const std::string& url) -> std::shared_ptr<analysis::MetricProvider> {
        auto client = std::make_shared<analysis::PrometheusClient>(
            analysis::PrometheusClientOptions{.url = url, .timeout = timeout});
        if (!controllerMetrics) return client;
        return std::make_shared<TimedMetricProvider>(
            client, [controllerMetrics](auto took) { controllerMetrics->prometheusQuery(took); });
      },
      std::make_shared<analysis::WebhookClient>(poster_), alerts_);
  if (metrics_) {
    reconciler_->setMetrics(metrics_);
    queue_.setWaitObserver([m = metrics_](auto waited) { m->queueWait(waited); });
    metrics_->registry().onCollect([this] {
      metrics_->queueDepth().set({}, static_cast<double>(queue_.length()));
      metrics_->alertFailures().set({}, static_cast<double>(alerts_->counters().failed));
      std::map<metrics::LabelValues, double> byNamespace;
      for (const auto& key : canaries_.store().keys()) byNamespace[{key.substr(0, key.find('/'))}] += 1;
      metrics_->canaryTotal().replace(byNamespace);
    });
  }
  reconciler_->setWake([this](const std::string& key) { queue_.add(key); });
  canaries_.addHandlers({[this](const auto& c) { queue_.add(c->key); },
                         [this](const auto&, const auto& c) {
                           if (reconciler_->isOwnEcho(c->key, c->resourceVersion)) return;
                           queue_.add(c->key);
                         },
                         [this](const auto& c) { queue_.add(c->key); }});
  // The Deployment as delivered names itself; a deleted one is unpacked (rare). No onUpdate: the
  // Deployment informer has no resync period (a resync calls onUpdate only; the idle resync is the
  // reconciler's: idleResyncOf in reconciler.h).
  kube::Informer<kube::PackedJson>::Handlers onDeployment;
  onDeployment.onDelivered = [this](const kube::Json& delivered, const auto&) {
    enqueueForDeployment(delivered);
  };
  onDeployment.onDelete = [this](const auto& d) { enqueueForDeployment(d->unpack()); };
  deployments_.addHandlers(std::move(onDeployment));
  for (auto* configs : {&configMaps_, &secrets_}) {
    configs->addHandlers({[this](const auto& o) { enqueueNamespace(*o); },
                          [this](const auto& before, const auto& after) {
                            if ((*before)["checksum"] != (*after)["checksum"]) enqueueNamespace(*after);
                          },
                          [this](const auto& o) { enqueueNamespace(*o); }});
  }
}

void CanaryController::enqueueNamespace(const kube::Json& object) {
  // A config change concerns the canaries of its namespace whose target reads it; the reconcile decides.
  for (const auto& c : canaries_.store().byIndex(kube::Store<CachedCanary>::kNamespaceIndex,
                                                 object["metadata"].value("namespace", ""))) {
    queue_.add(c->key);
  }
}

void CanaryController::onOwnedObjectChange(const kube::ResourceType& type, const std::string& ns,
                                           const std::string& name, const std::string& resourceVersion,
                                           const kube::Json* object) {
  // The delivered object becomes the cached copy before the owners are woken, so that they read nothing.
  if (!ownedObjects_.forgetIfChanged(type, ns, name, resourceVersion, object)) return;  // Aviary's own
  wakeOwnersOf(ns, name);
}

void CanaryController::wakeOwnersOf(const std::string& ns, const std::string& name) {
  for (const auto& apex : apexCandidates(name)) {
    for (const auto& c : canaries_.store().byIndex("apex", kube::objectKey(ns, apex))) {
      reconciler_->routesChanged(c->key);
      queue_.add(c->key);
    }
  }
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
    for (const auto& c : canaries_.store().byIndex("target", t)) queue_.add(c->key);
  }
}

Status CanaryController::start() {
  forEachInformer([](auto& informer) { informer.start(); });
  bool synced = true;
  forEachInformer([&](auto& informer) { synced = synced && informer.waitForSync(std::chrono::seconds(60)); });
  if (!synced) {
    return Error{ErrorCode::Timeout, "informers did not sync within 60s (is the Canary CRD installed?)"};
  }
  // stop() may run meanwhile (a signal, or a leader's start on the elector's thread): no worker starts
  // after it.
  std::lock_guard lock(lifecycle_);
  if (stopped_) return Error{ErrorCode::Cancelled, "stopped before the controller started"};
  ownedWatch_.start();  // not waited for: see OwnedObjectWatch
  ready_ = true;
  spdlog::info("canary controller started: {} canaries, {} deployments cached, {} workers",
               canaries_.store().keys().size(), deployments_.store().keys().size(), options_.workers);
  for (int i = 0; i < options_.workers; ++i) workers_.emplace_back([this] { work(); });
  return {};
}

void CanaryController::work() {
  while (auto key = queue_.get()) {
    ReconcileOutcome outcome;
    const auto began = std::chrono::steady_clock::now();
    try {
      outcome = reconciler_->reconcile(*key);
    } catch (const std::exception& e) {
      // Last resort: a reconcile must never take the operator down.
      outcome.error = Error{ErrorCode::Internal, std::string("reconcile threw: ") + e.what()};
      spdlog::error("canary {}: {}", *key, e.what());
    }
    if (metrics_) metrics_->reconciled(std::chrono::steady_clock::now() - began, !outcome.error);
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
  std::lock_guard lock(lifecycle_);
  if (stopped_.exchange(true)) return;
  reconciler_->stopGathering();  // no check result re-queues anything from now on
  queue_.shutDown();
  for (auto& w : workers_) w.join();
  workers_.clear();
  // Only once no reconcile runs: a hook cancelled by the shutdown must not be judged by a reconcile.
  poster_->shutdown();
  ownedWatch_.stop();
  forEachInformer([](auto& informer) { informer.stop(); });
  events_.flush();
  events_.stop();
}

}  // namespace aviary::controller
