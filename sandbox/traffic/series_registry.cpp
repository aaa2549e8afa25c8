#include "sandbox/traffic/series_registry.h"

#include <charconv>

namespace aviary::sandbox::traffic {
namespace {

// Each family's histogram boundaries (milliseconds) are a subset of kFineBoundsMs.
constexpr double kEnvoyBucketsMs[] = {0.5,  1,    5,     10,    25,    50,     100,    250,     500,    1000,
                                      2500, 5000, 10000, 30000, 60000, 300000, 600000, 1800000, 3600000};
constexpr double kClientDefaultBucketsMs[] = {5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000};
constexpr double kTraefikBucketsMs[] = {100, 300, 1200, 5000};

struct Histogram {
  std::vector<std::size_t> fineIndex;  // per bucket: the last fine bin it covers
  std::vector<std::string> le;         // rendered boundaries in the family's unit
};

void appendNumber(std::string& out, double v) {
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, end);
}

void appendNumber(std::string& out, uint64_t v) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, end);
}

template <std::size_t N>
Histogram histogramOf(const double (&boundsMs)[N], double unitMs) {
  Histogram h;
  for (double b : boundsMs) {
    for (std::size_t i = 0; i < kFineBoundsMs.size(); ++i) {
      if (kFineBoundsMs[i] == b) h.fineIndex.push_back(i);
    }
    std::string le;
    appendNumber(le, b / unitMs);
    h.le.push_back(le);
  }
  return h;
}

const Histogram& histogramFor(Family f) {
  static const Histogram envoy = histogramOf(kEnvoyBucketsMs, 1);
  static const Histogram client = histogramOf(kClientDefaultBucketsMs, 1000);
  static const Histogram traefik = histogramOf(kTraefikBucketsMs, 1000);
  switch (f) {
    case Family::Istio:
    case Family::Envoy:
      return envoy;
    case Family::Traefik:
      return traefik;
    default:
      return client;
  }
}

void escapeInto(std::string& out, const std::string& value) {
  for (char c : value) {
    if (c == '\\' || c == '"') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
}

// name{labels,extra} value — counts (uint64_t) and sums (double).
template <class Number>
void line(std::string& out, const char* name, const char* suffix, const std::string& labels,
          const std::string& extra, Number value) {
  out += name;
  out += suffix;
  out += '{';
  out += labels;
  out += extra;
  out += "} ";
  appendNumber(out, value);
  out += '\n';
}

// The _bucket/_sum/_count lines of one histogram series from fine bins.
void histogramLines(std::string& out, const char* name, const Histogram& h, const std::string& labels,
                    const std::string& codeLabel, const std::array<uint64_t, kFineBins>& bins, uint64_t count,
                    double sumMs, double unitMs) {
  uint64_t cumulative = 0;
  std::size_t fine = 0;
  std::string extra;
  for (std::size_t b = 0; b < h.fineIndex.size(); ++b) {
    for (; fine <= h.fineIndex[b]; ++fine) cumulative += bins[fine];
    extra = codeLabel;
    extra += ",le=\"";
    extra += h.le[b];
    extra += '"';
    line(out, name, "_bucket", labels, extra, cumulative);
  }
  line(out, name, "_bucket", labels, codeLabel + ",le=\"+Inf\"", count);
  line(out, name, "_sum", labels, codeLabel, sumMs / unitMs);
  line(out, name, "_count", labels, codeLabel, count);
}

std::string codeLabel(const char* name, int code) {
  return std::string(",") + name + "=\"" + std::to_string(code) + "\"";
}

}  // namespace

uint64_t Series::count(int code) const {
  for (const auto& c : codes_) {
    if (c.code == code) return c.count;
  }
  return 0;
}

Series* SeriesRegistry::series(Family family, const std::vector<std::pair<std::string, std::string>>& labels,
                               const std::string& owner) {
  std::string rendered;
  for (const auto& [k, v] : labels) {
    if (!rendered.empty()) rendered += ',';
    rendered += k;
    rendered += "=\"";
    escapeInto(rendered, v);
    rendered += '"';
  }
  auto& slot = series_[{family, rendered}];
  if (!slot) slot = std::make_unique<Series>(family, rendered, owner);
  return slot.get();
}

void SeriesRegistry::collectGarbage(const std::set<std::string>& liveOwners) {
  for (auto it = series_.begin(); it != series_.end();) {
    const std::string& owner = it->second->owner();
    if (!owner.empty() && !liveOwners.count(owner)) {
      it = series_.erase(it);
    } else {
      ++it;
    }
  }
}

void SeriesRegistry::render(std::string& out) const {
  // Series are ordered by family, so each family's samples are contiguous as the format requires.
  auto begin = [&](Family f) { return series_.lower_bound({f, std::string()}); };
  auto familyRange = [&](Family f, auto&& each) {
    for (auto it = begin(f); it != series_.end() && it->first.first == f; ++it) each(*it->second);
  };
  const Histogram& envoyH = histogramFor(Family::Envoy);

  out += "# HELP istio_requests_total Requests seen by the destination's sidecar.\n";
  out += "# TYPE istio_requests_total counter\n";
  familyRange(Family::Istio, [&](const Series& s) {
    for (const auto& c : s.codes_)
      line(out, "istio_requests_total", "", s.labels_, codeLabel("response_code", c.code), c.count);
  });
  out += "# HELP istio_request_duration_milliseconds Request duration seen by the destination's sidecar.\n";
  out += "# TYPE istio_request_duration_milliseconds histogram\n";
  familyRange(Family::Istio, [&](const Series& s) {
    for (const auto& c : s.codes_) {
      histogramLines(out, "istio_request_duration_milliseconds", envoyH, s.labels_,
                     codeLabel("response_code", c.code), c.bins, c.count, c.sumMs, 1);
    }
  });

  out += "# TYPE envoy_cluster_upstream_rq counter\n";
  familyRange(Family::Envoy, [&](const Series& s) {
    for (const auto& c : s.codes_)
      line(out, "envoy_cluster_upstream_rq", "", s.labels_, codeLabel("envoy_response_code", c.code),
           c.count);
  });
  out += "# TYPE envoy_cluster_upstream_rq_time histogram\n";
  familyRange(Family::Envoy, [&](const Series& s) {
    std::array<uint64_t, kFineBins> bins{};
    uint64_t count = 0;
    double sumMs = 0;
    for (const auto& c : s.codes_) {
      for (std::size_t i = 0; i < kFineBins; ++i) bins[i] += c.bins[i];
      count += c.count;
      sumMs += c.sumMs;
    }
    histogramLines(out, "envoy_cluster_upstream_rq_time", envoyH, s.labels_, "", bins, count, sumMs, 1);
  });

  out += "# TYPE traefik_service_requests_total counter\n";
  familyRange(Family::Traefik, [&](const Series& s) {
    for (const auto& c : s.codes_)
      line(out, "traefik_service_requests_total", "", s.labels_, codeLabel("code", c.code), c.count);
  });
  out += "# TYPE traefik_service_request_duration_seconds histogram\n";
  familyRange(Family::Traefik, [&](const Series& s) {
    for (const auto& c : s.codes_) {
      histogramLines(out, "traefik_service_request_duration_seconds", histogramFor(Family::Traefik),
                     s.labels_, codeLabel("code", c.code), c.bins, c.count, c.sumMs, 1000);
    }
  });

  out += "# HELP http_request_duration_seconds Request duration as the application measures it.\n";
  out += "# TYPE http_request_duration_seconds histogram\n";
  familyRange(Family::App, [&](const Series& s) {
    for (const auto& c : s.codes_) {
      histogramLines(out, "http_request_duration_seconds", histogramFor(Family::App), s.labels_,
                     codeLabel("status", c.code), c.bins, c.count, c.sumMs, 1000);
    }
  });

  out +=
      "# HELP sandbox_user_requests_total Generated user requests (mirrored copies excluded) by outcome.\n";
  out += "# TYPE sandbox_user_requests_total counter\n";
  familyRange(Family::UserOutcome, [&](const Series& s) {
    uint64_t success = 0, error = 0;
    for (const auto& c : s.codes_) (c.code < 400 ? success : error) += c.count;
    line(out, "sandbox_user_requests_total", "", s.labels_, ",outcome=\"success\"", success);
    line(out, "sandbox_user_requests_total", "", s.labels_, ",outcome=\"error\"", error);
  });

  out +=
      "# HELP sandbox_user_session_moves_total Simulated clients served by another Deployment than on their "
      "previous request.\n";
  out += "# TYPE sandbox_user_session_moves_total counter\n";
  familyRange(Family::SessionMove, [&](const Series& s) {
    uint64_t moves = 0;
    for (const auto& c : s.codes_) moves += c.count;
    line(out, "sandbox_user_session_moves_total", "", s.labels_, "", moves);
  });
}

}  // namespace aviary::sandbox::traffic
