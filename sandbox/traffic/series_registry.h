// The simulated cluster's metrics: counters and histograms per series, rendered in the Prometheus text
// format under the names and labels each mesh really exports (Istio, App Mesh's Envoy, Traefik, the
// application's own Prometheus client) plus the sandbox's ground truth of user-visible outcomes.
// Not thread-safe: the traffic simulator serializes access.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "sandbox/traffic/latency_model.h"

namespace aviary::sandbox::traffic {

enum class Family {
  Istio,        // istio_requests_total, istio_request_duration_milliseconds (reporter="destination")
  Envoy,        // envoy_cluster_upstream_rq, envoy_cluster_upstream_rq_time (App Mesh sidecars)
  Traefik,      // traefik_service_requests_total, traefik_service_request_duration_seconds
  App,          // http_request_duration_seconds (every pod)
  UserOutcome,  // sandbox_user_requests_total{outcome="success|error"}
  SessionMove,  // sandbox_user_session_moves_total (session_clients.h)
};

// One label set of one family. Requests are recorded per response code with their fine latency bin.
class Series {
 public:
  Series(Family family, std::string labels, std::string owner)
      : family_(family), labels_(std::move(labels)), owner_(std::move(owner)) {}
  void record(int code, std::size_t bin, double latencyMs) {
    PerCode& c = slot(code);
    ++c.count;
    ++c.bins[bin];
    c.sumMs += latencyMs;
  }
  void recordOutcome(int code) { ++slot(code).count; }
  uint64_t count(int code) const;
  Family family() const { return family_; }
  const std::string& labels() const { return labels_; }
  const std::string& owner() const { return owner_; }

 private:
  friend class SeriesRegistry;
  struct PerCode {
    int code = 0;
    uint64_t count = 0;
    std::array<uint64_t, kFineBins> bins{};
    double sumMs = 0;
  };
  PerCode& slot(int code) {
    for (auto& c : codes_) {
      if (c.code == code) return c;
    }
    codes_.push_back(PerCode{code});
    return codes_.back();
  }
  Family family_;
  std::string labels_;          // rendered `k="v",…` without the code and le labels
  std::string owner_;           // the pod or workload it belongs to ("" = kept for the sandbox's lifetime)
  std::vector<PerCode> codes_;  // few codes: a linear scan beats a map
};

class SeriesRegistry {
 public:
  // The series for (family, labels), created on first use. Pointers stay valid until collectGarbage
  // removes the series.
  Series* series(Family family, const std::vector<std::pair<std::string, std::string>>& labels,
                 const std::string& owner);
  // Drops series whose owner is not in `liveOwners` (their pod or workload is gone), as a real scrape
  // target disappears with its pod.
  void collectGarbage(const std::set<std::string>& liveOwners);
  // Prometheus text exposition format 0.0.4.
  void render(std::string& out) const;
  std::size_t size() const { return series_.size(); }

 private:
  std::map<std::pair<Family, std::string>, std::unique_ptr<Series>> series_;
};

}  // namespace aviary::sandbox::traffic
