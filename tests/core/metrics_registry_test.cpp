// The operator's /metrics exposition (issue 14): the text format's rules (HELP/TYPE lines, label escaping,
// cumulative histogram buckets with +Inf, _sum and _count), counters that only go up, removal of a gone
// object's series, and collect hooks.
#include <gtest/gtest.h>

#include <cmath>

#include "operator/core/metrics_registry.h"

namespace aviary::metrics {
namespace {

TEST(MetricsRegistry, RendersCountersAndGaugesWithEscapedLabels) {
  Registry r;
  Family& requests = r.counter("demo_requests_total", "Requests\nby code \\ verb", {"verb", "code"});
  Family& weight = r.gauge("demo_weight", "Weight", {"workload"});
  requests.inc({"get", "200"});
  requests.inc({"get", "200"}, 2);
  requests.inc({"get", "200"}, -5);  // a counter never goes down
  weight.set({"pod\"info\\\n"}, 12.5);
  EXPECT_EQ(r.render(),
            "# HELP demo_requests_total Requests\\nby code \\\\ verb\n"
            "# TYPE demo_requests_total counter\n"
            "demo_requests_total{verb=\"get\",code=\"200\"} 3\n"
            "# HELP demo_weight Weight\n"
            "# TYPE demo_weight gauge\n"
            "demo_weight{workload=\"pod\\\"info\\\\\\n\"} 12.5\n");
  EXPECT_EQ(requests.value({"get", "200"}), 3);
}

TEST(MetricsRegistry, HistogramsAreCumulativeWithInfSumAndCount) {
  Registry r;
  Family& h = r.histogram("demo_seconds", "Durations", {}, {1, 0.1});  // bounds sorted on registration
  h.observe({}, 0.05);
  h.observe({}, 0.1);  // an upper bound is inclusive
  h.observe({}, 0.5);
  h.observe({}, 7);
  EXPECT_EQ(r.render(),
            "# HELP demo_seconds Durations\n# TYPE demo_seconds histogram\n"
            "demo_seconds_bucket{le=\"0.1\"} 2\n"
            "demo_seconds_bucket{le=\"1\"} 3\n"
            "demo_seconds_bucket{le=\"+Inf\"} 4\n"
            "demo_seconds_sum 7.65\n"
            "demo_seconds_count 4\n");
}

TEST(MetricsRegistry, SeriesOfAGoneObjectAreRemovedAndHooksRunBeforeEachRender) {
  Registry r;
  Family& status = r.gauge("demo_status", "Status", {"name", "namespace"});
  status.set({"a", "ns1"}, 1);
  status.set({"b", "ns1"}, 2);
  status.removeIf([](const LabelValues& l) { return l[0] == "a"; });
  int collected = 0;
  r.onCollect([&] { status.set({"c", "ns2"}, ++collected); });
  std::string out = r.render();
  EXPECT_EQ(out.find("name=\"a\""), std::string::npos) << out;
  EXPECT_NE(out.find("demo_status{name=\"b\",namespace=\"ns1\"} 2\n"), std::string::npos) << out;
  EXPECT_NE(out.find("demo_status{name=\"c\",namespace=\"ns2\"} 1\n"), std::string::npos) << out;
  r.render();
  EXPECT_EQ(status.value({"c", "ns2"}), 2);
  status.set({"d", "ns"}, std::nan(""));
  EXPECT_NE(r.render().find("demo_status{name=\"d\",namespace=\"ns\"} NaN\n"), std::string::npos);
  EXPECT_EQ(&r.gauge("demo_status", "again", {}), &status) << "one family per name";
}

}  // namespace
}  // namespace aviary::metrics
