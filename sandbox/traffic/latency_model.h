// How long a simulated request takes: a log-normal distribution fitted to the p50 and p99 a pod template
// asks for (annotation sandbox.aviary.io/latency-ms: "p50=20,p99=150"). Requests are not given a
// latency value each; they fall into one "fine bin" of a histogram whose boundaries are the union of every
// mesh's bucket boundaries, so each mesh's histogram is an exact coarsening of it.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

namespace aviary::sandbox::traffic {

// Union of the bucket boundaries (milliseconds) of Istio/Envoy, Prometheus client defaults and Traefik.
inline constexpr std::array<double, 21> kFineBoundsMs = {
    0.5,  1,    5,    10,    25,    50,    100,    250,    300,     500,    1000,
    1200, 2500, 5000, 10000, 30000, 60000, 300000, 600000, 1800000, 3600000};
inline constexpr std::size_t kFineBins = kFineBoundsMs.size() + 1;  // the last bin is (3600000, +Inf)

class LatencyModel {
 public:
  // p50 < p99, both > 0 (milliseconds).
  LatencyModel(double p50Ms, double p99Ms);
  // Parses "p50=20,p99=150" (either key may be missing: p50 defaults to 10 ms, p99 to 4×p50).
  // nullopt when malformed.
  static std::optional<LatencyModel> parse(const std::string& annotation);

  // The fine bin a request with uniform draw u ∈ [0,1) falls into.
  std::size_t binFor(double u) const;
  double binProbability(std::size_t bin) const;
  // Mean latency of requests that fall into `bin` (for histogram _sum).
  double binMeanMs(std::size_t bin) const { return binMeanMs_[bin]; }
  // The latency below which a share q of requests fall.
  double quantileMs(double q) const;
  double p50Ms() const { return p50Ms_; }
  double p99Ms() const { return p99Ms_; }

 private:
  double p50Ms_, p99Ms_;
  double mu_, sigma_;
  std::array<double, kFineBins> cdf_{};  // P(latency <= upper bound of bin i)
  std::array<double, kFineBins> binMeanMs_{};
};

// The default when a template says nothing: fast and tight.
const std::shared_ptr<const LatencyModel>& defaultLatencyModel();

}  // namespace aviary::sandbox::traffic
