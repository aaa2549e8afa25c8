// Which webhook and alert URLs a Canary of namespace "team" may name (docs/security.md), and how the short
// Service forms are called.
#include <gtest/gtest.h>

#include "analysis/webhooks/webhook_scope.h"

namespace aviary::analysis {
namespace {

TEST(WebhookScope, ServicesOfTheCanarysNamespaceOnlyUnlessAllowed) {
  const EgressAllowList none;
  for (const char* ok : {"http://loadtester.team/", "http://loadtester.team.svc:8080/gate",
                         "https://loadtester.team.svc.cluster.local/x"}) {
    EXPECT_FALSE(webhookUrlProblem(ok, "team", none)) << ok;
  }
  for (const char* refused :
       {"http://loadtester/", "http://loadtester.other/", "http://x.team.svc.attacker.com/",
        "http://169.254.169.254/", "http://127.0.0.1:9/", "ftp://loadtester.team/",
        "http://hooks.slack.com/services/T/B/X"}) {
    EXPECT_TRUE(webhookUrlProblem(refused, "team", none)) << refused;
  }
  auto allowed = EgressAllowList::parse({"hooks.slack.com", "127.0.0.1"});
  ASSERT_TRUE(allowed);
  EXPECT_FALSE(webhookUrlProblem("https://hooks.slack.com/services/T/B/X", "team", *allowed));
  EXPECT_FALSE(webhookUrlProblem("http://127.0.0.1:9/", "team", *allowed));
  auto message = webhookUrlProblem("http://x.other/secret-path?token=1", "team", none);
  ASSERT_TRUE(message);
  EXPECT_EQ(message->find("secret-path"), std::string::npos) << "only the host is named: " << *message;
}

TEST(WebhookScope, ShortServiceFormsAreCalledByTheirClusterLocalName) {
  // A namespace named like a public top-level domain must not send "loadtester.dev" to the internet.
  EXPECT_EQ(clusterLocalUrl("http://loadtester.dev/gate/check", "dev"),
            "http://loadtester.dev.svc.cluster.local/gate/check");
  EXPECT_EQ(clusterLocalUrl("http://loadtester.dev.svc:8080/", "dev"),
            "http://loadtester.dev.svc.cluster.local:8080/");
  EXPECT_EQ(clusterLocalUrl("http://loadtester.dev.svc.cluster.local/", "dev"),
            "http://loadtester.dev.svc.cluster.local/");
  EXPECT_EQ(clusterLocalUrl("https://hooks.slack.com/x", "dev"), "https://hooks.slack.com/x");
  EXPECT_EQ(clusterLocalUrl("http://127.0.0.1:9/", "dev"), "http://127.0.0.1:9/");
}

}  // namespace
}  // namespace aviary::analysis
