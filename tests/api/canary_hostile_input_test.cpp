// Issue 17: what a tenant who may edit Canaries in one namespace can put in one, and what Aviary makes of
// it: names that would change a request, traffic of other namespaces, hostile durations and sizes.
#include <gtest/gtest.h>

#include "tests/support/provider_policy.h"

#include "operator/api/canary.h"
#include "operator/api/names.h"
#include "operator/core/duration.h"

namespace aviary::api {
namespace {

Json canaryWith(const Json& specPatch) {
  Json c = {{"metadata", {{"name", "podinfo"}, {"namespace", "test"}}},
            {"spec",
             {{"targetRef", {{"apiVersion", "apps/v1"}, {"kind", "Deployment"}, {"name", "podinfo"}}},
              {"service", {{"port", 9898}}},
              {"analysis", {{"interval", "1m"}, {"stepWeight", 10}, {"maxWeight", 50}}}}}};
  c["spec"].merge_patch(specPatch);
  return c;
}

// Every error of decoding and validation, as "path: message".
std::vector<std::string> problems(const Json& canary,
                                  const ValidationPolicy& policy = {testing::providersNamed({"istio"})}) {
  auto r = decodeCanary(canary);
  std::vector<std::string> out;
  for (const auto& e : r.errors) out.push_back(e.describe());
  if (out.empty()) {
    for (const auto& e : validateCanary(r.canary.spec, r.canary.ns, policy)) out.push_back(e.describe());
  }
  return out;
}

bool anyAt(const std::vector<std::string>& got, const std::string& pathPrefix) {
  for (const auto& g : got) {
    if (g.rfind(pathPrefix, 0) == 0) return true;
  }
  return false;
}

TEST(HostileNames, EveryNameFieldRefusesWhatCouldChangeARequest) {
  const std::vector<std::string> hostile = {
      "x\r\nDELETE /api/v1/namespaces/victim/configmaps/precious HTTP/1.1",
      "../../victim",
      "a/b",
      "a?b=c",
      "50%",
      std::string("nul\0byte", 8),
      "\xC3\xA9t\xC3\xA9",  // non-ASCII
      "UPPER",
      ".",
      "..",
      "",
  };
  for (const auto& name : hostile) {
    SCOPED_TRACE(::testing::PrintToString(name));
    EXPECT_TRUE(anyAt(problems(canaryWith({{"targetRef", {{"name", name}}}})), "spec.targetRef.name"));
    EXPECT_TRUE(anyAt(
        problems(canaryWith(
            {{"autoscalerRef",
              {{"apiVersion", "autoscaling/v2"}, {"kind", "HorizontalPodAutoscaler"}, {"name", name}}}})),
        "spec.autoscalerRef.name"));
    if (!name.empty()) {  // an empty service.name means "the target's name"
      EXPECT_TRUE(anyAt(problems(canaryWith({{"service", {{"name", name}}}})), "spec.service.name"));
    }
    EXPECT_TRUE(
        anyAt(problems(canaryWith({{"analysis",
                                    {{"metrics", Json::array({{{"name", "budget"},
                                                               {"templateRef", {{"name", name}}},
                                                               {"thresholdRange", {{"max", 1}}}}})}}}})),
              "spec.analysis.metrics[0].templateRef.name"));
  }
}

TEST(HostileNames, DerivedNamesMustStayValid) {
  // 56 characters: a valid Deployment name, but the Service "<name>-primary" would pass 63.
  std::string longName(56, 'a');
  auto got = problems(canaryWith({{"targetRef", {{"name", longName}}}}));
  ASSERT_EQ(got.size(), 1u) << ::testing::PrintToString(got);
  EXPECT_EQ(got[0], "spec.targetRef.name: the generated Service name \"" + longName +
                        "-primary\" has 64 characters, over the limit of 63 (use at most 55 characters)");
  // With a short service.name the same target is fine.
  EXPECT_TRUE(
      problems(canaryWith({{"targetRef", {{"name", longName}}}, {"service", {{"name", "web"}}}})).empty());
  // A subdomain target (dots) cannot name a Service.
  EXPECT_TRUE(anyAt(problems(canaryWith({{"targetRef", {{"name", "web.v2"}}}})), "spec.targetRef.name"));
  EXPECT_TRUE(
      problems(canaryWith({{"targetRef", {{"name", "web.v2"}}}, {"service", {{"name", "web"}}}})).empty());
  std::string tooLong(250, 'a');
  EXPECT_TRUE(
      anyAt(problems(canaryWith({{"targetRef", {{"name", tooLong}}}, {"service", {{"name", "web"}}}})),
            "spec.targetRef.name"));
}

TEST(NameRules, FollowKubernetes) {
  EXPECT_FALSE(dns1123LabelProblem("my-app-1"));
  EXPECT_TRUE(dns1123LabelProblem("-app"));
  EXPECT_TRUE(dns1123LabelProblem(std::string(64, 'a')));
  EXPECT_FALSE(dns1123SubdomainProblem("app.v2.example"));
  EXPECT_TRUE(dns1123SubdomainProblem("app..v2"));
  EXPECT_TRUE(dns1123SubdomainProblem(std::string(254, 'a')));
  EXPECT_FALSE(dns1035LabelProblem("web"));
  EXPECT_TRUE(dns1035LabelProblem("1web"));
}

TEST(TrafficScope, HostsAndGatewaysStayInTheCanarysNamespaceUnlessAllowed) {
  ValidationPolicy strict{testing::providersNamed({"istio"})};
  EXPECT_TRUE(
      problems(canaryWith({{"service",
                            {{"hosts", {"podinfo", "podinfo.test.svc", "podinfo.test.svc.cluster.local"}},
                             {"gateways", {"mesh", "public", "test/public"}}}}}),
               strict)
          .empty());
  auto got = problems(
      canaryWith({{"service",
                   {{"hosts",
                     {"reviews.prod", "reviews.prod.svc.cluster.local", "app.example.com", "*", "web.test"}},
                    {"gateways",
                     {"istio-system/public-gateway", "public-gateway.istio-system.svc.cluster.local"}}}}}),
      strict);
  // "web.test" is a DNS name, not a Service: in a namespace named like a top-level domain it is a website.
  for (const char* path :
       {"spec.service.hosts[0]", "spec.service.hosts[1]", "spec.service.hosts[2]", "spec.service.hosts[3]",
        "spec.service.hosts[4]", "spec.service.gateways[0]", "spec.service.gateways[1]"}) {
    EXPECT_TRUE(anyAt(got, path)) << path << " in " << ::testing::PrintToString(got);
  }
  EXPECT_EQ(got.size(), 7u);
  // Flagger's tutorial (a public gateway in istio-system, app.example.com) with the operator's permission.
  ValidationPolicy allowing{testing::providersNamed({"istio"}),
                            {{"istio-system/public-gateway"}, {"example.com"}}};
  EXPECT_TRUE(problems(canaryWith({{"service",
                                    {{"hosts", {"app.example.com"}},
                                     {"gateways", {"public-gateway.istio-system.svc.cluster.local"}}}}}),
                       allowing)
                  .empty());
  // ...which does not extend to a look-alike domain or another gateway.
  auto lookAlike = problems(
      canaryWith({{"service", {{"hosts", {"evilexample.com"}}, {"gateways", {"istio-system/other"}}}}}),
      allowing);
  EXPECT_EQ(lookAlike.size(), 2u) << ::testing::PrintToString(lookAlike);
}

TEST(ReservedMetadata, ATenantCannotWriteAviarysOwnKeys) {
  // revertOnDeletion restores "aviary.io/original-spec": set by a tenant it would be a spec of its choice.
  auto got = problems(canaryWith(
      {{"revertOnDeletion", true},
       {"service",
        {{"apex", {{"annotations", {{"aviary.io/original-spec", R"({"hosts":["payments.prod"]})"}}}}},
         {"canary", {{"labels", {{"app.kubernetes.io/managed-by", "aviary"}}}}}}}}));
  EXPECT_TRUE(anyAt(got, "spec.service.apex.annotations")) << ::testing::PrintToString(got);
  EXPECT_TRUE(anyAt(got, "spec.service.canary.labels")) << ::testing::PrintToString(got);
  EXPECT_TRUE(
      problems(
          canaryWith({{"service",
                       {{"apex", {{"annotations", {{"team", "web"}, {"sandbox.aviary.io/rps", "10"}}}}}}}}))
          .empty());
}

TEST(InlineQueries, CanBeTurnedOffForMultiTenantClusters) {
  Json c = canaryWith(
      {{"analysis",
        {{"metrics",
          Json::array({{{"name", "custom"}, {"query", "sum(up)"}, {"thresholdRange", {{"min", 1}}}}})}}}});
  ValidationPolicy off{testing::providersNamed({"istio"})};
  off.inlineQueries = false;
  auto got = problems(c, off);
  EXPECT_TRUE(anyAt(got, "spec.analysis.metrics[0].query")) << ::testing::PrintToString(got);
  EXPECT_FALSE(anyAt(problems(c), "spec.analysis.metrics[0].query"));
}

TEST(HostileDurations, AreBoundedAndNeverOverflow) {
  EXPECT_FALSE(parseDuration("99999999999999999999999999999999999999h"));
  EXPECT_FALSE(parseDuration("1e400s"));
  EXPECT_TRUE(parseDuration("3000000h"));  // representable: the decoder's 24 h bound refuses it
  for (const char* field : {"interval"}) {
    auto got = problems(canaryWith({{"analysis", {{field, "3000000h"}}}}));
    ASSERT_EQ(got.size(), 1u) << ::testing::PrintToString(got);
    EXPECT_EQ(got[0], "spec.analysis.interval: \"3000000h\" is longer than the maximum of 24h");
  }
  auto metric = problems(canaryWith({{"analysis",
                                      {{"metrics", Json::array({{{"name", "request-success-rate"},
                                                                 {"interval", "25h"},
                                                                 {"thresholdRange", {{"min", 99}}}}})}}}}));
  EXPECT_TRUE(anyAt(metric, "spec.analysis.metrics[0].interval"));
  auto deadline = problems(canaryWith({{"progressDeadlineSeconds", 86401}}));
  EXPECT_TRUE(anyAt(deadline, "spec.progressDeadlineSeconds"));
  EXPECT_TRUE(problems(canaryWith({{"progressDeadlineSeconds", 86400}, {"analysis", {{"interval", "24h"}}}}))
                  .empty());
}

TEST(HostileSizes, ListsAreBounded) {
  Json metrics = Json::array();
  for (int i = 0; i < 33; ++i)
    metrics.push_back({{"name", "request-success-rate"}, {"thresholdRange", {{"min", 99}}}});
  auto got = problems(canaryWith({{"analysis", {{"metrics", metrics}}}}));
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0], "spec.analysis.metrics: must have at most 32 items, has 33");
  Json hosts = Json::array();
  for (int i = 0; i < 33; ++i) hosts.push_back("h" + std::to_string(i));
  EXPECT_TRUE(anyAt(problems(canaryWith({{"service", {{"hosts", hosts}}}})), "spec.service.hosts"));
}

}  // namespace
}  // namespace aviary::api
