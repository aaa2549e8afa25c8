#include "operator/core/metrics_registry.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>

namespace aviary::metrics {
namespace {

// Label values escape \, " and line feeds; HELP text escapes \ and line feeds (the format's rules).
std::string escaped(const std::string& text, bool quotes) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '"' && quotes) {
      out += "\\\"";
    } else {
      out += c;
    }
  }
  return out;
}

std::string number(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[40];
  if (v == std::floor(v) && std::abs(v) < 1e15) {
    std::snprintf(buf, sizeof buf, "%.0f", v);
    return buf;
  }
  // The shortest text that reads back as the same double: le="0.1", not "0.10000000000000001", so that a
  // dashboard's le="0.1" matches.
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  return ec == std::errc() ? std::string(buf, end) : std::to_string(v);
}

const char* typeName(Type t) {
  switch (t) {
    case Type::Counter:
      return "counter";
    case Type::Gauge:
      return "gauge";
    case Type::Histogram:
      return "histogram";
  }
  return "untyped";
}

}  // namespace

Family::Family(std::string name, std::string help, Type type, std::vector<std::string> labelNames,
               std::vector<double> buckets)
    : name_(std::move(name)),
      help_(std::move(help)),
      type_(type),
      labelNames_(std::move(labelNames)),
      buckets_(std::move(buckets)) {}

Family::Series& Family::series(const LabelValues& labels) {
  LabelValues key = labels;
  key.resize(labelNames_.size());
  auto [it, inserted] = series_.try_emplace(std::move(key));
  if (inserted && type_ == Type::Histogram) it->second.bucketCounts.assign(buckets_.size(), 0);
  return it->second;
}

void Family::inc(const LabelValues& labels, double by) {
  if (type_ == Type::Counter && !(by >= 0)) return;
  std::lock_guard lock(mutex_);
  series(labels).value += by;
}

void Family::set(const LabelValues& labels, double value) {
  std::lock_guard lock(mutex_);
  series(labels).value = value;
}

void Family::observe(const LabelValues& labels, double value) {
  std::lock_guard lock(mutex_);
  Series& s = series(labels);
  auto bucket = std::lower_bound(buckets_.begin(), buckets_.end(), value);
  if (bucket != buckets_.end()) ++s.bucketCounts[static_cast<std::size_t>(bucket - buckets_.begin())];
  s.sum += value;
  s.count += 1;
}

void Family::remove(const LabelValues& labels) {
  LabelValues key = labels;
  key.resize(labelNames_.size());
  std::lock_guard lock(mutex_);
  series_.erase(key);
}

void Family::removeIf(const std::function<bool(const LabelValues&)>& match) {
  std::lock_guard lock(mutex_);
  std::erase_if(series_, [&](const auto& entry) { return match(entry.first); });
}

void Family::replace(const std::map<LabelValues, double>& values) {
  std::lock_guard lock(mutex_);
  series_.clear();
  for (const auto& [labels, value] : values) series(labels).value = value;
}

void Family::clear() {
  std::lock_guard lock(mutex_);
  series_.clear();
}

double Family::value(const LabelValues& labels) const {
  LabelValues key = labels;
  key.resize(labelNames_.size());
  std::lock_guard lock(mutex_);
  auto it = series_.find(key);
  return it == series_.end() ? 0 : it->second.value;
}

void Family::render(std::string& out) const {
  out += "# HELP " + name_ + " " + escaped(help_, false) + "\n";
  out += "# TYPE " + name_ + " " + typeName(type_) + "\n";
  auto labelText = [&](const LabelValues& values, const std::string& extraName,
                       const std::string& extraValue) {
    std::string text;
    for (std::size_t i = 0; i < labelNames_.size(); ++i) {
      text += (text.empty() ? "" : ",") + labelNames_[i] + "=\"" + escaped(values[i], true) + "\"";
    }
    if (!extraName.empty()) text += (text.empty() ? "" : ",") + extraName + "=\"" + extraValue + "\"";
    return text.empty() ? std::string() : "{" + text + "}";
  };
  std::lock_guard lock(mutex_);
  for (const auto& [labels, s] : series_) {
    if (type_ != Type::Histogram) {
      out += name_ + labelText(labels, "", "") + " " + number(s.value) + "\n";
      continue;
    }
    double cumulative = 0;
    for (std::size_t b = 0; b < buckets_.size(); ++b) {
      cumulative += s.bucketCounts[b];
      out +=
          name_ + "_bucket" + labelText(labels, "le", number(buckets_[b])) + " " + number(cumulative) + "\n";
    }
    out += name_ + "_bucket" + labelText(labels, "le", "+Inf") + " " + number(s.count) + "\n";
    out += name_ + "_sum" + labelText(labels, "", "") + " " + number(s.sum) + "\n";
    out += name_ + "_count" + labelText(labels, "", "") + " " + number(s.count) + "\n";
  }
}

Family& Registry::add(const std::string& name, const std::string& help, Type type,
                      std::vector<std::string> labelNames, std::vector<double> buckets) {
  std::lock_guard lock(mutex_);
  for (const auto& f : families_) {
    if (f->name() == name) return *f;
  }
  std::sort(buckets.begin(), buckets.end());
  families_.push_back(std::make_unique<Family>(name, help, type, std::move(labelNames), std::move(buckets)));
  return *families_.back();
}

Family& Registry::counter(const std::string& name, const std::string& help,
                          std::vector<std::string> labelNames) {
  return add(name, help, Type::Counter, std::move(labelNames), {});
}

Family& Registry::gauge(const std::string& name, const std::string& help,
                        std::vector<std::string> labelNames) {
  return add(name, help, Type::Gauge, std::move(labelNames), {});
}

Family& Registry::histogram(const std::string& name, const std::string& help,
                            std::vector<std::string> labelNames, std::vector<double> buckets) {
  return add(name, help, Type::Histogram, std::move(labelNames), std::move(buckets));
}

void Registry::onCollect(std::function<void()> hook) {
  std::lock_guard lock(mutex_);
  hooks_.push_back(std::move(hook));
}

std::string Registry::render() const {
  std::vector<std::function<void()>> hooks;
  std::vector<const Family*> families;
  {
    std::lock_guard lock(mutex_);
    hooks = hooks_;
    for (const auto& f : families_) families.push_back(f.get());
  }
  for (const auto& hook : hooks) hook();
  std::string out;
  for (const auto* f : families) f->render(out);
  return out;
}

std::vector<double> durationBuckets() {
  return {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60};
}

}  // namespace aviary::metrics
