#include "operator/kube/leader_election.h"

#include <spdlog/spdlog.h>

#include "operator/core/time_format.h"

namespace aviary::kube {
namespace {

// Lease times are MicroTime: RFC 3339 with microseconds.
std::string microNow() {
  return formatRfc3339Micro(std::chrono::system_clock::now());
}

int seconds(std::chrono::milliseconds d) {
  return static_cast<int>(
      std::max<long long>(1, std::chrono::duration_cast<std::chrono::seconds>(d).count()));
}

}  // namespace

LeaderElector::LeaderElector(KubeClient& client, LeaderElectionOptions options)
    : client_(client), options_(std::move(options)) {}

LeaderElector::~LeaderElector() {
  stop();
}

bool LeaderElector::tryAcquireOrRenew(std::chrono::steady_clock::time_point now) {
  auto current = client_.get(kLeases, options_.ns, options_.name);
  if (!current) {
    if (current.error().code != ErrorCode::NotFound) {
      spdlog::warn("leader election: reading Lease {}/{}: {}", options_.ns, options_.name,
                   current.error().message);
      return false;
    }
    const std::string t = microNow();
    Json lease = {{"apiVersion", "coordination.k8s.io/v1"},
                  {"kind", "Lease"},
                  {"metadata", {{"name", options_.name}, {"namespace", options_.ns}}},
                  {"spec",
                   {{"holderIdentity", options_.identity},
                    {"leaseDurationSeconds", seconds(options_.leaseDuration)},
                    {"acquireTime", t},
                    {"renewTime", t},
                    {"leaseTransitions", 0}}}};
    auto created = client_.create(kLeases, options_.ns, lease);
    if (!created) {
      if (created.error().code != ErrorCode::AlreadyExists)
        spdlog::warn("leader election: creating Lease {}/{}: {}", options_.ns, options_.name,
                     created.error().message);
      return false;
    }
    observedRecord_ = (*created)["spec"].dump();
    observedAt_ = now;
    return true;
  }
  Json lease = *current;
  const Json spec = lease.value("spec", Json::object());
  const std::string holder = spec.value("holderIdentity", "");
  const std::string record = spec.dump();
  if (record != observedRecord_) {  // the record changed: another holder's lease runs from now
    observedRecord_ = record;
    observedAt_ = now;
  }
  const bool mine = holder == options_.identity;
  const auto duration =
      std::chrono::seconds(spec.value("leaseDurationSeconds", seconds(options_.leaseDuration)));
  if (!mine && !holder.empty() && now < observedAt_ + duration) return false;  // held by another
  const std::string t = microNow();
  Json next = spec;
  next["holderIdentity"] = options_.identity;
  next["leaseDurationSeconds"] = seconds(options_.leaseDuration);
  next["renewTime"] = t;
  if (!mine) {
    next["acquireTime"] = t;
    next["leaseTransitions"] = spec.value("leaseTransitions", 0) + (holder.empty() ? 0 : 1);
  }
  lease["spec"] = next;
  auto updated = client_.update(kLeases, options_.ns, lease);  // carries resourceVersion: one winner
  if (!updated) {
    if (updated.error().code != ErrorCode::Conflict)
      spdlog::warn("leader election: updating Lease {}/{}: {}", options_.ns, options_.name,
                   updated.error().message);
    return false;
  }
  observedRecord_ = (*updated)["spec"].dump();
  observedAt_ = now;
  return true;
}

bool LeaderElector::sleepFor(std::chrono::milliseconds d) {
  std::unique_lock lock(mutex_);
  return !wake_.wait_for(lock, d, [this] { return stopping_.load(); });
}

void LeaderElector::loop(std::function<void()> started, std::function<void()> lost) {
  spdlog::info("leader election: {} campaigning for Lease {}/{}", options_.identity, options_.ns,
               options_.name);
  while (!stopping_) {
    if (tryAcquireOrRenew(std::chrono::steady_clock::now())) break;
    if (!sleepFor(options_.retryPeriod)) return;
  }
  if (stopping_) {
    release();  // won just as it was told to stop: hand the Lease over at once
    return;
  }
  using Clock = std::chrono::steady_clock;
  lastRenew_ = Clock::now().time_since_epoch().count();
  std::atomic<bool> gaveUp{false};
  auto giveUp = [&] {
    if (gaveUp.exchange(true)) return;
    leading_ = false;
    spdlog::error("leader election: {} could not renew Lease {}/{} within {} ms: no longer the leader",
                  options_.identity, options_.ns, options_.name, options_.renewDeadline.count());
    lost();
  };
  leading_ = true;
  spdlog::info("leader election: {} leads (Lease {}/{})", options_.identity, options_.ns, options_.name);
  // The leader's work starts on its own thread (client-go runs OnStartedLeading in a goroutine): renewing
  // must not wait for it.
  startedThread_ = std::thread(started);
  // A renewal that hangs (a slow API server) must not keep a leader past its deadline: the watchdog gives
  // up at lastRenew + renewDeadline whatever the renewal loop is doing.
  std::thread watchdog([&] {
    while (!gaveUp && sleepFor(std::chrono::milliseconds(100))) {
      if (renewalExpired()) giveUp();
    }
  });
  while (!gaveUp && sleepFor(options_.retryPeriod)) {
    const auto attempt = Clock::now();
    if (tryAcquireOrRenew(attempt) && !gaveUp) {
      lastRenew_ = attempt.time_since_epoch().count();  // the Lease runs from when the renewal was sent
    } else if (renewalExpired()) {
      giveUp();
    }
  }
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;  // ends the watchdog when the loop ended by giving up
  }
  wake_.notify_all();
  watchdog.join();
}

bool LeaderElector::renewalExpired() const {
  using Clock = std::chrono::steady_clock;
  return Clock::now() - Clock::time_point(Clock::duration(lastRenew_.load())) >= options_.renewDeadline;
}

bool LeaderElector::mayWrite() const {
  return leading_ && !renewalExpired();
}

void LeaderElector::run(std::function<void()> started, std::function<void()> lost) {
  thread_ =
      std::thread([this, started = std::move(started), lost = std::move(lost)] { loop(started, lost); });
}

void LeaderElector::release() {
  auto current = client_.get(kLeases, options_.ns, options_.name);
  if (!current || (*current).value("/spec/holderIdentity"_json_pointer, std::string()) != options_.identity)
    return;
  Json lease = *current;
  lease["spec"]["holderIdentity"] = "";
  lease["spec"]["leaseDurationSeconds"] = 1;
  lease["spec"]["renewTime"] = microNow();
  if (auto r = client_.update(kLeases, options_.ns, lease); !r) {
    spdlog::warn("leader election: releasing Lease {}/{}: {}", options_.ns, options_.name, r.error().message);
  } else {
    spdlog::info("leader election: {} released Lease {}/{}", options_.identity, options_.ns, options_.name);
  }
}

void LeaderElector::stop() {
  {
    std::lock_guard lock(mutex_);
    if (stopped_) return;
    stopped_ = true;
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
  if (startedThread_.joinable()) startedThread_.join();
  if (leading_.exchange(false)) release();
}

}  // namespace aviary::kube
