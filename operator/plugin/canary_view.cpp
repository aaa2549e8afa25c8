#include "operator/plugin/canary_view.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>

#include "operator/api/canary.h"
#include "operator/core/time_format.h"

namespace aviary::plugin {
namespace {

using kube::Json;
using Clock = std::chrono::system_clock;

struct Style {
  bool on = false;
  std::string wrap(const char* code, const std::string& text) const {
    return on ? std::string("\x1b[") + code + "m" + text + "\x1b[0m" : text;
  }
  std::string bold(const std::string& t) const { return wrap("1", t); }
  std::string green(const std::string& t) const { return wrap("32", t); }
  std::string red(const std::string& t) const { return wrap("31", t); }
  std::string yellow(const std::string& t) const { return wrap("33", t); }
  std::string dim(const std::string& t) const { return wrap("2", t); }
};

std::string str(const Json& j, const char* pointer, const std::string& fallback = "") {
  const Json::json_pointer p(pointer);
  return j.contains(p) && j[p].is_string() ? j[p].get<std::string>() : fallback;
}
int integer(const Json& j, const char* pointer, int fallback = 0) {
  const Json::json_pointer p(pointer);
  return j.contains(p) && j[p].is_number_integer() ? j[p].get<int>() : fallback;
}

std::string since(const std::string& rfc3339, Clock::time_point now) {
  auto t = parseRfc3339(rfc3339);
  if (!t) return "?";
  return humanDuration(std::chrono::duration_cast<std::chrono::seconds>(now - *t));
}

std::string number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, std::fabs(v) >= 100 ? "%.0f" : "%.2f", v);
  return buf;
}

std::string phaseText(const Style& s, const std::string& phase) {
  if (phase == "Succeeded" || phase == "Initialized") return s.green(phase);
  if (phase == "Failed") return s.red(phase);
  if (phase == "Progressing" || phase == "Promoting" || phase == "Finalising") return s.yellow(phase);
  return phase.empty() ? "-" : phase;
}

// The strategy in words, and the steps: where the weight stands among them.
struct Progress {
  std::string strategy;
  int done = 0, total = 0;
  int goal = 100;  // the weight the bar runs to
};

Progress progressOf(const api::CanarySpec& spec, const api::CanaryStatus& status) {
  const api::AnalysisSpec& a = spec.analysis;
  Progress p;
  if (a.iterations > 0) {
    p.strategy = a.match.is_array() && !a.match.empty() ? "A/B testing" : "blue/green";
    p.strategy += " (" + std::to_string(a.iterations) + " iterations";
    if (a.postPromotionIterations > 0)
      p.strategy += " + " + std::to_string(a.postPromotionIterations) + " after the switch";
    p.strategy += ")";
    p.total = a.iterations + a.postPromotionIterations;
    p.done = std::min(status.iterations, p.total);
    return p;
  }
  if (!a.stepWeights.empty()) {
    p.goal = a.stepWeights.back();
    p.total = static_cast<int>(a.stepWeights.size());
    p.done = static_cast<int>(std::count_if(a.stepWeights.begin(), a.stepWeights.end(),
                                            [&](int w) { return w <= status.canaryWeight; }));
    std::string list;
    for (int w : a.stepWeights) list += (list.empty() ? "" : ", ") + std::to_string(w);
    p.strategy = "canary (stepWeights " + list + ")";
  } else {
    p.goal = a.maxWeight;
    const int step = std::max(1, a.stepWeight);
    p.total = (a.maxWeight + step - 1) / step;
    p.done = std::min(p.total, status.canaryWeight / step);
    p.strategy = "canary (stepWeight " + std::to_string(a.stepWeight) + ", maxWeight " +
                 std::to_string(a.maxWeight) + ")";
  }
  if (a.sessionAffinity) p.strategy += ", session affinity";
  if (a.mirror) p.strategy += ", mirroring";
  return p;
}

std::string bar(const Style& s, int weight, int goal, int width = 30) {
  const int filled = goal > 0 ? std::clamp(weight * width / goal, 0, width) : 0;
  const std::string full = s.on ? "█" : "#";
  const std::string empty = s.on ? "░" : ".";
  std::string out;
  for (int i = 0; i < width; ++i) out += i < filled ? full : empty;
  return "[" +
         (s.on ? s.green(out.substr(0, filled * full.size())) + out.substr(filled * full.size()) : out) + "]";
}

std::string imageOf(const Json* d) {
  if (!d) return "-";
  const Json containers = d->value("/spec/template/spec/containers"_json_pointer, Json::array());
  std::string out;
  for (const auto& c : containers) out += (out.empty() ? "" : ",") + c.value("image", std::string("?"));
  return out.empty() ? "-" : out;
}

std::string podsOf(const Json* d) {
  if (!d) return "not found";
  return std::to_string(integer(*d, "/status/readyReplicas")) + "/" +
         std::to_string(integer(*d, "/spec/replicas", 1)) + " ready";
}

std::string threshold(const api::MetricResult& m) {
  std::string out;
  if (m.range.min) out += "min " + number(*m.range.min);
  if (m.range.max) out += (out.empty() ? "" : ", ") + std::string("max ") + number(*m.range.max);
  return out.empty() ? "-" : out;
}

std::string pad(const std::string& text, std::size_t width) {
  return text.size() >= width ? text + " " : text + std::string(width - text.size(), ' ');
}

}  // namespace

std::string humanDuration(std::chrono::seconds d) {
  long long s = std::max<long long>(0, d.count());
  char buf[32];
  if (s < 60) {
    std::snprintf(buf, sizeof buf, "%llds", s);
  } else if (s < 3600) {
    std::snprintf(buf, sizeof buf, "%lldm%02llds", s / 60, s % 60);
  } else if (s < 86400) {
    std::snprintf(buf, sizeof buf, "%lldh%02lldm", s / 3600, (s % 3600) / 60);
  } else {
    std::snprintf(buf, sizeof buf, "%lldd%02lldh", s / 86400, (s % 86400) / 3600);
  }
  return buf;
}

std::string renderCanary(const CanaryScreen& screen) {
  const Style s{screen.colour};
  const Json& object = screen.canary;
  const api::DecodeResult decoded = api::decodeCanary(object);
  const api::Canary& c = decoded.canary;
  const api::CanaryStatus& st = c.status;
  std::ostringstream out;
  auto row = [&](const std::string& label, const std::string& value) {
    out << s.bold(pad(label + ":", 14)) << value << "\n";
  };
  row("Name", c.ns + "/" + c.name);
  row("Provider", (c.spec.provider.empty() ? std::string("(operator default)") : c.spec.provider) +
                      ", target " + c.spec.targetRef.name);
  const Progress progress = progressOf(c.spec, st);
  row("Strategy", progress.strategy);
  const std::string phase = str(object, "/status/phase");
  std::string phaseLine = phaseText(s, phase);
  if (!st.lastTransitionTime.empty()) phaseLine += " for " + since(st.lastTransitionTime, screen.now);
  if (st.paused) phaseLine += " " + s.yellow("(paused: kubectl aviary resume)");
  if (c.spec.suspend) phaseLine += " " + s.yellow("(suspended: spec.suspend)");
  if ((phase == "Progressing" || phase == "WaitingPromotion") && !st.paused && !c.spec.suspend) {
    if (auto last = parseRfc3339(st.lastTransitionTime)) {
      auto next =
          std::chrono::duration_cast<std::chrono::seconds>(*last + c.spec.analysis.interval - screen.now);
      phaseLine += next.count() > 0 ? ", next step in " + humanDuration(next) : ", next step due now";
    }
  }
  row("Phase", phaseLine);
  std::string weight = bar(s, st.canaryWeight, c.spec.analysis.iterations > 0 ? 100 : progress.goal) + " " +
                       std::to_string(st.canaryWeight) + "%";
  if (st.achievedWeight) weight += " (routes give " + std::to_string(*st.achievedWeight) + "%)";
  if (c.spec.analysis.iterations == 0) weight += " of " + std::to_string(progress.goal) + "%";
  row("Weight", weight);
  // Once a release ended the weight is back at 0: say how it ended rather than "0 done".
  std::string steps = std::to_string(progress.done) + " done, " +
                      std::to_string(std::max(0, progress.total - progress.done)) + " left";
  if (phase == "Succeeded") steps = "all " + std::to_string(progress.total) + " done, promoted";
  if (phase == "Failed") steps = "stopped, rolled back to the primary";
  row(c.spec.analysis.iterations > 0 ? "Iterations" : "Steps", steps);
  std::string failed = std::to_string(st.failedChecks) + " of " + std::to_string(c.spec.analysis.threshold);
  row("Failed checks", st.failedChecks > 0 ? s.red(failed) : failed);
  if (!st.analysisMetrics.empty()) {
    out << s.bold("Metrics:") << "\n";
    std::size_t width = 8;
    for (const auto& m : st.analysisMetrics) width = std::max(width, m.name.size() + 2);
    for (const auto& m : st.analysisMetrics) {
      const std::string mark = m.passed ? s.green("✔") : s.red("✘");
      out << "  " << mark << " " << pad(m.name, width) << pad(m.value ? number(*m.value) : "no data", 10)
          << threshold(m) << "\n";
    }
  }
  if (st.sequential) {
    auto test = [&](const char* name, const std::optional<api::SequentialTestStatus>& t) {
      if (!t) return;
      out << "  " << pad(name, 12) << "evidence " << number(t->evidence)
          << (t->message.empty() ? "" : ": " + t->message) << "\n";
    };
    out << s.bold("Sequential:") << "\n";
    test("errorRate", st.sequential->errorRate);
    test("latency", st.sequential->latency);
    test("trafficSplit", st.sequential->trafficSplit);
  }
  row("Primary", imageOf(screen.primary) + " (" + podsOf(screen.primary) + ")");
  row("Canary", imageOf(screen.target) + " (" + podsOf(screen.target) + ")");
  if (st.request) row("Request", st.request->action + " by " + st.request->requestedBy + ", pending");
  if (st.lastRequest)
    row("Last request", st.lastRequest->action + " by " + st.lastRequest->requestedBy + ": " +
                            st.lastRequest->outcome +
                            (st.lastRequest->message.empty() ? "" : " — " + st.lastRequest->message));
  if (const api::Condition* ready = st.condition("Ready"); ready && ready->status != "True")
    row("Not ready", s.red(ready->reason + ": " + ready->message));
  std::vector<Json> events = screen.events;
  auto when = [](const Json& e) {
    std::string t = e.value("lastTimestamp", std::string());
    if (t.empty()) t = e.value("eventTime", std::string());
    return t;
  };
  std::stable_sort(events.begin(), events.end(),
                   [&](const Json& a, const Json& b) { return when(a) < when(b); });
  if (events.size() > screen.lastEvents) events.erase(events.begin(), events.end() - screen.lastEvents);
  if (!events.empty()) {
    out << s.bold("Events:") << "\n";
    for (const auto& e : events) {
      const bool warning = e.value("type", std::string()) == "Warning";
      out << "  " << pad(since(when(e), screen.now), 7) << pad(e.value("reason", std::string()), 18)
          << (warning ? s.red(e.value("message", std::string())) : e.value("message", std::string())) << "\n";
    }
  }
  return out.str();
}

std::string renderList(const std::vector<Json>& canaries, bool allNamespaces, Clock::time_point now) {
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> header = {"NAME", "PHASE", "WEIGHT", "FAILED", "AGE"};
  if (allNamespaces) header.insert(header.begin(), "NAMESPACE");
  rows.push_back(header);
  for (const auto& c : canaries) {
    std::vector<std::string> r = {str(c, "/metadata/name"), str(c, "/status/phase", "-"),
                                  std::to_string(integer(c, "/status/canaryWeight")),
                                  std::to_string(integer(c, "/status/failedChecks")),
                                  since(str(c, "/metadata/creationTimestamp"), now)};
    if (allNamespaces) r.insert(r.begin(), str(c, "/metadata/namespace"));
    rows.push_back(std::move(r));
  }
  std::vector<std::size_t> widths(header.size(), 0);
  for (const auto& r : rows) {
    for (std::size_t i = 0; i < r.size(); ++i) widths[i] = std::max(widths[i], r[i].size());
  }
  std::string out;
  for (const auto& r : rows) {
    for (std::size_t i = 0; i < r.size(); ++i) out += i + 1 < r.size() ? pad(r[i], widths[i] + 2) : r[i];
    out += "\n";
  }
  return out;
}

}  // namespace aviary::plugin
