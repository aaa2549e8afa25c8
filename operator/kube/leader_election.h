// Leader election on a coordination.k8s.io/v1 Lease, with client-go's semantics
// (k8s.io/client-go/tools/leaderelection): a candidate takes the Lease when it is free, its holder released
// it, or its holder has not renewed it for leaseDuration as observed on the candidate's own clock (so
// clock skew between nodes does not matter); the leader renews every retryPeriod and gives up leading when
// it could not renew for renewDeadline, before any other candidate may take over (renewDeadline <
// leaseDuration). Writes use the Lease's resourceVersion, so two candidates never both win.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "operator/kube/kube_client.h"

namespace aviary::kube {

inline const ResourceType kLeases{"coordination.k8s.io", "v1", "leases", "Lease", true};

struct LeaderElectionOptions {
  std::string ns;  // the Lease's namespace (the operator's)
  std::string name = "aviary-leader";
  std::string identity;  // this candidate: unique among the replicas (the pod's name)
  std::chrono::milliseconds leaseDuration{15'000};
  std::chrono::milliseconds renewDeadline{10'000};
  std::chrono::milliseconds retryPeriod{2'000};
};

class LeaderElector {
 public:
  LeaderElector(KubeClient& client, LeaderElectionOptions options);
  ~LeaderElector();

  // Starts campaigning on a thread of its own. `started` runs on another thread once the Lease is held
  // (renewals go on meanwhile); `lost` runs once if the Lease is not renewed within renewDeadline
  // afterwards, even while a renewal hangs: the caller must stop acting as the leader at once.
  void run(std::function<void()> started, std::function<void()> lost);
  // Stops campaigning and renewing, waits for `started` to return, and a leader releases the Lease
  // (holderIdentity cleared) so a standby takes over at its next retry instead of after leaseDuration.
  // Stop the leader's work first: renewals go on until this is called. Idempotent.
  void stop();
  bool leading() const { return leading_; }
  // Whether this replica may write now: it leads and its last successful renewal was sent less than
  // renewDeadline ago, so no other candidate can have taken the Lease yet. The operator's client asks this
  // before every write (HttpKubeClient::setWriteGuard): a leader that was frozen (SIGSTOP, a paused VM)
  // past the Lease's duration writes nothing when it wakes, even before its watchdog gives up.
  bool mayWrite() const;

  // One attempt to take or renew the Lease at `now` (steady clock, for observing expiry). True when this
  // candidate holds it afterwards. Public for tests.
  bool tryAcquireOrRenew(std::chrono::steady_clock::time_point now);

 private:
  void loop(std::function<void()> started, std::function<void()> lost);
  bool sleepFor(std::chrono::milliseconds d);  // false when stopped meanwhile
  void release();
  // Whether the last successful renewal was sent renewDeadline or more ago (the watchdog, the renewal
  // loop and mayWrite() all judge by it).
  bool renewalExpired() const;

  KubeClient& client_;
  LeaderElectionOptions options_;
  std::atomic<bool> leading_{false};
  std::atomic<std::chrono::steady_clock::rep> lastRenew_{0};  // when the last successful renewal was sent
  std::atomic<bool> stopping_{false};
  bool stopped_ = false;  // mutex_
  std::mutex mutex_;
  std::condition_variable wake_;
  std::thread thread_;
  std::thread startedThread_;
  // What this candidate last saw of the Lease, and when (its own clock): another holder's Lease expires
  // leaseDuration after the record last changed as seen here.
  std::string observedRecord_;
  std::chrono::steady_clock::time_point observedAt_{};
};

}  // namespace aviary::kube
