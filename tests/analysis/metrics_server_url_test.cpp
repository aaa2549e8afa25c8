// Issue 17: spec.metricsServer cannot point the operator anywhere its administrator did not allow.
#include "analysis/prometheus/metrics_server_url.h"

#include <gtest/gtest.h>

namespace aviary::analysis {
namespace {

EgressAllowList allow(std::vector<std::string> entries) {
  auto list = EgressAllowList::parse(entries);
  EXPECT_TRUE(list) << list.error().message;
  return *list;
}

TEST(MetricsServerUrl, OnlyTheOperatorsOwnHostByDefault) {
  // What the aviary binary builds without --metrics-server-allow: the host of --metrics-server.
  auto defaults = allow({*urlHost("http://prometheus.monitoring:9090")});
  EXPECT_FALSE(metricsServerProblem("http://prometheus.monitoring:9090", defaults));
  EXPECT_FALSE(metricsServerProblem("https://prometheus.monitoring/prefix", defaults));
  for (const char* refused :
       {"http://169.254.169.254/latest/meta-data/", "http://127.0.0.1:10250", "http://[::1]:9090",
        "http://localhost:9090", "http://metadata.google.internal/", "http://prometheus.other-team:9090",
        "http://[::ffff:169.254.169.254]/", "http://[fe80::1]/", "http://0.0.0.0:9090"}) {
    auto p = metricsServerProblem(refused, defaults);
    EXPECT_TRUE(p) << refused;
  }
}

TEST(MetricsServerUrl, MetadataAndLoopbackNeedAnExplicitEntry) {
  auto wide = allow({"0.0.0.0/0", "::/0", "*"});
  EXPECT_FALSE(metricsServerProblem("http://10.1.2.3:9090", wide));
  EXPECT_FALSE(metricsServerProblem("http://thanos.example:9090", wide));
  EXPECT_TRUE(metricsServerProblem("http://169.254.169.254/", wide));
  EXPECT_TRUE(metricsServerProblem("http://127.0.0.1:9090", wide));
  EXPECT_TRUE(metricsServerProblem("http://localhost:9090", wide));
  EXPECT_TRUE(metricsServerProblem("http://[fd00:ec2::254]/", wide));
  // Spellings the resolver reads as IPv4 addresses, and the clouds' IPv6 metadata addresses.
  for (const char* sneaky : {"http://127.1:9090", "http://2130706433/", "http://0x7f.1/", "http://0177.0.0.1/",
                             "http://[fd20:ce::254]/"}) {
    EXPECT_TRUE(metricsServerProblem(sneaky, wide)) << sneaky;
  }
  auto loopback = allow({"127.0.0.0/8"});
  EXPECT_FALSE(metricsServerProblem("http://127.0.0.1:9090", loopback));
  EXPECT_TRUE(metricsServerProblem("http://169.254.169.254/", loopback));
}

TEST(MetricsServerUrl, SuffixesAndMalformedUrls) {
  auto suffix = allow({"*.monitoring.svc.cluster.local"});
  EXPECT_FALSE(metricsServerProblem("http://prometheus.monitoring.svc.cluster.local:9090", suffix));
  EXPECT_TRUE(metricsServerProblem("http://prometheus.monitoring.svc.cluster.local.evil.com", suffix));
  EXPECT_TRUE(metricsServerProblem("http://evilmonitoring.svc.cluster.local", suffix));
  auto any = allow({"*"});
  EXPECT_TRUE(metricsServerProblem("file:///etc/passwd", any));
  EXPECT_TRUE(metricsServerProblem("gopher://x:70/", any));
  EXPECT_TRUE(metricsServerProblem("http://user:pw@prometheus:9090", any));
  EXPECT_TRUE(metricsServerProblem("http://prometheus:9090/?x=1", any));
  EXPECT_TRUE(metricsServerProblem("http://prometheus:9090\r\nX-Injected: 1", any));
  EXPECT_TRUE(metricsServerProblem("not a url", any));
  EXPECT_FALSE(EgressAllowList::parse({"bad entry!"}));
}

TEST(MetricsServerUrl, CredentialsInTheUrlAreRefusedWithoutShowingThem) {
  auto problem = metricsServerProblem("http://aviary:pw-77c2e0@prometheus.monitoring:9090", allow({"*"}));
  ASSERT_TRUE(problem);
  EXPECT_EQ(
      *problem,
      "the URL of host \"prometheus.monitoring\" carries credentials (not shown); the operator does not "
      "send credentials written into a URL");
}

}  // namespace
}  // namespace aviary::analysis
