// The mesh CRDs shipped in sandbox/crds/: they register, appear in discovery, accept the objects the
// routers will write, and reject a wrong field type with the field path.
#include <gtest/gtest.h>

#include "sandbox/api/discovery.h"
#include "tests/support/sandbox_with_crds.h"

namespace aviary::sandbox {
namespace {

class ThirdPartyCrds : public testing::SandboxWithCrds {
 protected:
  ThirdPartyCrds() : SandboxWithCrds(AVIARY_SOURCE_DIR "/sandbox/crds") {}
};

TEST_F(ThirdPartyCrds, AllRegisterWithDiscovery) {
  struct Expect {
    const char *group, *version, *plural;
  } expected[] = {{"networking.istio.io", "v1beta1", "virtualservices"},
                  {"networking.istio.io", "v1beta1", "destinationrules"},
                  {"appmesh.k8s.aws", "v1beta2", "virtualnodes"},
                  {"appmesh.k8s.aws", "v1beta2", "virtualrouters"},
                  {"appmesh.k8s.aws", "v1beta2", "virtualservices"},
                  {"traefik.io", "v1alpha1", "traefikservices"},
                  {"gateway.networking.k8s.io", "v1", "httproutes"}};
  for (const auto& e : expected) {
    EXPECT_TRUE(server_.registry().find(e.group, e.version, e.plural)) << e.plural;
    auto list = apiResourceList(server_.registry(), e.group, e.version);
    ASSERT_TRUE(list.has_value()) << e.group;
    EXPECT_NE(list->dump().find(std::string("\"name\":\"") + e.plural + "\""), std::string::npos);
  }
}

TEST_F(ThirdPartyCrds, AcceptsRouterObjectsAndRejectsWrongTypes) {
  kube::ResourceType virtualServices{"networking.istio.io", "v1beta1", "virtualservices", "VirtualService",
                                     true};
  Json vs = Json::parse(R"({"apiVersion":"networking.istio.io/v1beta1","kind":"VirtualService",
    "metadata":{"name":"podinfo","namespace":"default"},
    "spec":{"hosts":["podinfo"],"gateways":["mesh"],"http":[{"retries":{"attempts":3},
      "route":[{"destination":{"host":"podinfo-primary"},"weight":90},{"destination":{"host":"podinfo-canary"},"weight":10}]}]}})");
  auto created = client_->create(virtualServices, "default", vs);
  ASSERT_TRUE(created.ok()) << created.error().describe();
  EXPECT_EQ((*created)["spec"]["http"][0]["retries"]["attempts"], 3);  // unknown-but-preserved fields survive

  Json bad = vs;
  bad["metadata"]["name"] = "bad";
  bad["spec"]["http"][0]["route"][1]["weight"] = "ten";
  auto rejected = client_->create(virtualServices, "default", bad);
  ASSERT_FALSE(rejected.ok());
  EXPECT_EQ(rejected.error().code, ErrorCode::Invalid);
  EXPECT_NE(rejected.error().message.find("spec.http[0].route[1].weight"), std::string::npos)
      << rejected.error().message;

  kube::ResourceType httpRoutes{"gateway.networking.k8s.io", "v1", "httproutes", "HTTPRoute", true};
  Json route = Json::parse(R"({"apiVersion":"gateway.networking.k8s.io/v1","kind":"HTTPRoute",
    "metadata":{"name":"podinfo","namespace":"default"},
    "spec":{"parentRefs":[{"name":"gw"}],"rules":[{"backendRefs":[{"name":"podinfo-primary","port":9898},
      {"name":"podinfo-canary","port":9898,"weight":0}]}]}})");
  auto createdRoute = client_->create(httpRoutes, "default", route);
  ASSERT_TRUE(createdRoute.ok()) << createdRoute.error().describe();
  EXPECT_EQ((*createdRoute)["spec"]["rules"][0]["backendRefs"][0]["weight"], 1);  // schema default
}

}  // namespace
}  // namespace aviary::sandbox
