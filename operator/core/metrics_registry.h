// The operator's own metrics in the Prometheus text exposition format, version 0.0.4
// (https://prometheus.io/docs/instrumenting/exposition_formats/). Written here because prometheus-cpp is
// not packaged for Debian 12; it covers what the operator needs: counters, gauges and histograms with
// fixed label names, series removed when what they describe is gone, and hooks that refresh gauges just
// before a scrape. Thread-safe.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace aviary::metrics {

enum class Type { Counter, Gauge, Histogram };

// Label values, in the order of the family's label names.
using LabelValues = std::vector<std::string>;

class Family {
 public:
  Family(std::string name, std::string help, Type type, std::vector<std::string> labelNames,
         std::vector<double> buckets);

  // Counters and gauges. A counter only goes up: a negative `by` is ignored.
  void inc(const LabelValues& labels, double by = 1);
  // Gauges.
  void set(const LabelValues& labels, double value);
  // Histograms: counts `value` in every bucket whose upper bound is ≥ it.
  void observe(const LabelValues& labels, double value);
  // Drops one series, or every series whose label values `match`.
  void remove(const LabelValues& labels);
  void removeIf(const std::function<bool(const LabelValues&)>& match);
  // Drops every series (a gauge family recomputed at each scrape).
  void clear();
  // Replaces every series at once (a gauge family recomputed at each scrape; a concurrent scrape sees the
  // old set or the new one, never none).
  void replace(const std::map<LabelValues, double>& values);

  // The current value of a counter or gauge series (0 when absent); for tests and hooks.
  double value(const LabelValues& labels) const;
  const std::string& name() const { return name_; }
  void render(std::string& out) const;

 private:
  struct Series {
    double value = 0;
    std::vector<double> bucketCounts;  // histograms: per bucket, not cumulative
    double sum = 0;
    double count = 0;
  };
  Series& series(const LabelValues& labels);  // mutex_ held; wrong arity is padded or cut

  const std::string name_, help_;
  const Type type_;
  const std::vector<std::string> labelNames_;
  const std::vector<double> buckets_;  // histograms: ascending upper bounds, +Inf implied
  mutable std::mutex mutex_;
  std::map<LabelValues, Series> series_;
};

class Registry {
 public:
  // Families live as long as the registry. A name registered twice returns the first family.
  Family& counter(const std::string& name, const std::string& help, std::vector<std::string> labelNames = {});
  Family& gauge(const std::string& name, const std::string& help, std::vector<std::string> labelNames = {});
  Family& histogram(const std::string& name, const std::string& help, std::vector<std::string> labelNames,
                    std::vector<double> buckets);
  // Runs before every render (e.g. counts objects in an informer's store into a gauge).
  void onCollect(std::function<void()> hook);
  // Every family, in registration order, as the text format.
  std::string render() const;

  static constexpr const char* kContentType = "text/plain; version=0.0.4; charset=utf-8";

 private:
  Family& add(const std::string& name, const std::string& help, Type type,
              std::vector<std::string> labelNames, std::vector<double> buckets);
  mutable std::mutex mutex_;
  std::vector<std::unique_ptr<Family>> families_;
  std::vector<std::function<void()>> hooks_;
};

// Bucket bounds for durations in seconds, from 5 ms to 60 s.
std::vector<double> durationBuckets();

}  // namespace aviary::metrics
