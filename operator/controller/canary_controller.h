// The canary controller: informers on Canaries and Deployments, a rate-limited work queue, N workers
// running the Reconciler. A Deployment change wakes the Canaries that target it (or its primary); each
// reconcile asks to be woken again at its next step time, so there is no thread or timer per canary.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "operator/controller/cached_canary.h"
#include "operator/controller/controller_metrics.h"
#include "operator/controller/owned_object_watch.h"
#include "operator/controller/reconciler.h"
#include "operator/kube/informer.h"
#include "operator/kube/work_queue.h"
#include "operator/kube/write_through_cache.h"

namespace aviary::controller {

class CanaryController {
 public:
  // `metrics` (optional) receives the controller's series; it must outlive the controller. `eventClient`
  // (optional; `client` when null) writes the Events: a client with its own rate limit, so Events never
  // take the tokens a step's route and status writes wait for (issue 15).
  CanaryController(kube::KubeClient& client, ControllerOptions options, ControllerMetrics* metrics = nullptr,
                   kube::KubeClient* eventClient = nullptr);
  ~CanaryController();

  // Starts the informers, waits for their first list, then the workers.
  Status start();
  // Stops taking work, lets running reconciles finish, flushes Events.
  void stop();
  // True once the informers synced and the workers run (/readyz).
  bool ready() const { return ready_; }

 private:
  void enqueueForDeployment(const kube::Json& deployment);
  void enqueueNamespace(const kube::Json& object);
  // Another client changed an object Aviary owns (or the watch listed it): keep the delivered object
  // (null: deleted) as the cached copy and wake the Canaries whose apex it belongs to.
  void onOwnedObjectChange(const kube::ResourceType& type, const std::string& ns, const std::string& name,
                           const std::string& resourceVersion, const kube::Json* object);
  // Enqueues the Canaries whose apex the owned object `name` belongs to (apexCandidates), telling the
  // reconciler that their routes changed.
  void wakeOwnersOf(const std::string& ns, const std::string& name);
  void work();
  // Calls fn with each of the informers below (they hold different types).
  template <class Fn>
  void forEachInformer(Fn&& fn) {
    fn(canaries_);
    fn(deployments_);
    fn(configMaps_);
    fn(secrets_);
  }

  kube::KubeClient& client_;
  ControllerMetrics* metrics_;
  // What the reconciler writes through: the objects it owns (Services, mesh routes) are remembered as last
  // written, so a reconcile that finds them as desired reads nothing from the API server.
  kube::WriteThroughCache ownedObjects_;
  ControllerOptions options_;
  mesh::RouterRegistry routers_;
  kube::EventRecorder events_;
  kube::Informer<CachedCanary> canaries_;
  kube::Informer<kube::PackedJson> deployments_;  // projections (workloads.h), packed
  kube::Informer<kube::Json> configMaps_;         // projections: metadata + content checksum
  kube::Informer<kube::Json> secrets_;
  OwnedObjectWatch ownedWatch_;
  kube::WorkQueue queue_;
  std::shared_ptr<analysis::HttpPoster> poster_;  // webhooks (and alerts): off the workers
  std::unique_ptr<Reconciler> reconciler_;
  std::vector<std::thread> workers_;
  std::atomic<bool> stopped_{false};
  std::atomic<bool> ready_{false};
  std::mutex lifecycle_;  // start()'s worker launch against stop()
  std::shared_ptr<analysis::AlertSender> alerts_;
};

}  // namespace aviary::controller
