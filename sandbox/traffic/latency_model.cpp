#include "sandbox/traffic/latency_model.h"

#include <algorithm>
#include <cmath>
#include <sstream>

namespace aviary::sandbox::traffic {
namespace {

constexpr double kZ99 = 2.3263478740408408;  // Φ⁻¹(0.99)

double normalCdf(double x) {
  return 0.5 * std::erfc(-x / std::sqrt(2.0));
}

// Φ⁻¹ by bisection on erfc: only used off the hot path (quantileMs).
double normalQuantile(double q) {
  double lo = -10, hi = 10;
  for (int i = 0; i < 100; ++i) {
    double mid = (lo + hi) / 2;
    (normalCdf(mid) < q ? lo : hi) = mid;
  }
  return (lo + hi) / 2;
}

}  // namespace

LatencyModel::LatencyModel(double p50Ms, double p99Ms) : p50Ms_(p50Ms), p99Ms_(p99Ms) {
  mu_ = std::log(p50Ms);
  sigma_ = std::max((std::log(p99Ms) - mu_) / kZ99, 1e-6);
  // Partial expectations of a log-normal give each bin's conditional mean in closed form.
  double mean = std::exp(mu_ + sigma_ * sigma_ / 2);
  double prevCdf = 0, prevShifted = 0;
  for (std::size_t i = 0; i < kFineBins; ++i) {
    double cdf = 1, shifted = 1;
    if (i < kFineBoundsMs.size()) {
      double z = (std::log(kFineBoundsMs[i]) - mu_) / sigma_;
      cdf = normalCdf(z);
      shifted = normalCdf(z - sigma_);
    }
    cdf_[i] = cdf;
    double mass = cdf - prevCdf;
    double lower = i == 0 ? 0 : kFineBoundsMs[i - 1];
    double upper = i < kFineBoundsMs.size() ? kFineBoundsMs[i] : lower * 2;
    binMeanMs_[i] =
        mass > 1e-12 ? std::clamp(mean * (shifted - prevShifted) / mass, lower, upper) : (lower + upper) / 2;
    prevCdf = cdf;
    prevShifted = shifted;
  }
  cdf_[kFineBins - 1] = 1;
}

std::optional<LatencyModel> LatencyModel::parse(const std::string& annotation) {
  std::optional<double> p50, p99;
  std::stringstream in(annotation);
  std::string item;
  while (std::getline(in, item, ',')) {
    item.erase(std::remove_if(item.begin(), item.end(), ::isspace), item.end());
    if (item.empty()) continue;
    auto eq = item.find('=');
    if (eq == std::string::npos) return std::nullopt;
    std::string key = item.substr(0, eq), value = item.substr(eq + 1);
    if (value.size() > 2 && value.compare(value.size() - 2, 2, "ms") == 0) value.resize(value.size() - 2);
    double v;
    try {
      std::size_t used = 0;
      v = std::stod(value, &used);
      if (used != value.size() || !(v > 0)) return std::nullopt;
    } catch (const std::exception&) {
      return std::nullopt;
    }
    if (key == "p50") {
      p50 = v;
    } else if (key == "p99") {
      p99 = v;
    } else {
      return std::nullopt;
    }
  }
  if (!p50 && !p99) return std::nullopt;
  double median = p50.value_or(p99 ? *p99 / 4 : 10);
  double tail = p99.value_or(median * 4);
  if (tail <= median) return std::nullopt;
  return LatencyModel(median, tail);
}

std::size_t LatencyModel::binFor(double u) const {
  return static_cast<std::size_t>(std::upper_bound(cdf_.begin(), cdf_.end() - 1, u) - cdf_.begin());
}

double LatencyModel::binProbability(std::size_t bin) const {
  return cdf_[bin] - (bin == 0 ? 0 : cdf_[bin - 1]);
}

double LatencyModel::quantileMs(double q) const {
  return std::exp(mu_ + sigma_ * normalQuantile(q));
}

const std::shared_ptr<const LatencyModel>& defaultLatencyModel() {
  static const auto model = std::make_shared<const LatencyModel>(5.0, 20.0);
  return model;
}

}  // namespace aviary::sandbox::traffic
