// A MetricProvider that measures how long its provider takes to answer each check query, for the
// operator's aviary_prometheus_query_duration_seconds. Decorates any provider; adds no thread.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "analysis/checks/metric_provider.h"

namespace aviary::controller {

class TimedMetricProvider final : public analysis::MetricProvider {
 public:
  using Observe = std::function<void(std::chrono::duration<double>)>;
  TimedMetricProvider(std::shared_ptr<const analysis::MetricProvider> inner, Observe observe)
      : inner_(std::move(inner)), observe_(std::move(observe)) {}

  Result<double> queryValue(const std::string& query) const override {
    const auto began = std::chrono::steady_clock::now();
    auto r = inner_->queryValue(query);
    observe_(std::chrono::steady_clock::now() - began);
    return r;
  }
  void queryValueAsync(const std::string& query, std::function<void(Result<double>)> done) const override {
    const auto began = std::chrono::steady_clock::now();
    inner_->queryValueAsync(query, [observe = observe_, began, done = std::move(done)](Result<double> r) {
      observe(std::chrono::steady_clock::now() - began);
      done(std::move(r));
    });
  }
  void explainNoValuesAsync(const std::string& query, std::function<void(std::string)> done) const override {
    inner_->explainNoValuesAsync(query, std::move(done));
  }

 private:
  std::shared_ptr<const analysis::MetricProvider> inner_;
  Observe observe_;
};

}  // namespace aviary::controller
