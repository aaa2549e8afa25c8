// Issue 17: no name, from a Canary or anywhere else, can change which request the client sends.
#include "operator/kube/request_path.h"

#include <gtest/gtest.h>

#include <random>

#include "operator/kube/http_kube_client.h"
#include "operator/kube/resource_type.h"

namespace aviary::kube {
namespace {

const std::vector<std::string> kHostile = {
    "x\r\nDELETE /api/v1/namespaces/victim/configmaps/precious HTTP/1.1\r\nHost: x",
    "..",
    ".",
    "a/../../victim",
    "50%2F",
    std::string("nul\0byte", 8),
    "sp ace",
    "\xC3\xA9t\xC3\xA9",
    "",
};

TEST(RequestPath, EveryNamePositionRefusesHostileSegments) {
  for (const auto& bad : kHostile) {
    SCOPED_TRACE(::testing::PrintToString(bad));
    EXPECT_FALSE(resources::kConfigMaps.objectPath("ns", bad));
    EXPECT_FALSE(resources::kDeployments.objectPath("ns", "name", bad.empty() ? "x/y" : bad));
    if (bad.empty()) continue;  // an empty namespace means all namespaces (or a cluster-scoped object)
    EXPECT_FALSE(resources::kConfigMaps.objectPath(bad, "name"));
    EXPECT_FALSE(resources::kConfigMaps.collectionPath(bad));
  }
}

TEST(RequestPath, ValidNamesAreUnchangedAndSafeCharactersAreEncoded) {
  EXPECT_EQ(*resources::kDeployments.objectPath("test", "podinfo", "scale"),
            "/apis/apps/v1/namespaces/test/deployments/podinfo/scale");
  EXPECT_EQ(*resources::kConfigMaps.collectionPath(""), "/api/v1/configmaps");
  EXPECT_EQ(*resources::kNamespaces.objectPath("ignored", "kube-system"), "/api/v1/namespaces/kube-system");
  // Not valid Kubernetes names, but harmless once encoded: the server answers 404 or 422.
  EXPECT_EQ(*resources::kConfigMaps.objectPath("ns", "a:b@c"), "/api/v1/namespaces/ns/configmaps/a%3Ab%40c");
  // '?' and '#' cannot start a query or a fragment: they stay inside the segment.
  EXPECT_EQ(*resources::kConfigMaps.objectPath("ns", "a?watch=true"),
            "/api/v1/namespaces/ns/configmaps/a%3Fwatch%3Dtrue");
  EXPECT_EQ(*resources::kConfigMaps.objectPath("n#s", "a"), "/api/v1/namespaces/n%23s/configmaps/a");
}

TEST(RequestPath, TheTransportRefusesTargetsAndHeadersThatCouldSmuggle) {
  EXPECT_TRUE(checkRequestTarget("/api/v1/namespaces/a/pods?labelSelector=app%3Dx&limit=5"));
  for (const char* bad :
       {"/api\r\nDELETE /x", "/api v1", "/a#b", "/a?b?c", "api/v1", "", "/a\"b", "/caf\xC3\xA9"}) {
    EXPECT_FALSE(checkRequestTarget(bad)) << bad;
  }
  EXPECT_TRUE(checkHeaderValue("Authorization", "Bearer abc.def"));
  EXPECT_FALSE(checkHeaderValue("Authorization", "Bearer abc\r\nX-Evil: 1"));
  EXPECT_FALSE(checkHeaderValue("Authorization", std::string("Bearer a\0b", 10)));
}

TEST(RequestPath, TheClientNeverSendsAHostileName) {
  // Nothing listens on port 1: a request that went out would fail with Unavailable, not Invalid.
  ClusterConfig config;
  config.server = "http://127.0.0.1:1";
  config.maxRetries = 0;
  auto client = HttpKubeClient::create(config);
  ASSERT_TRUE(client);
  for (const auto& bad : kHostile) {
    SCOPED_TRACE(::testing::PrintToString(bad));
    auto got = (*client)->get(resources::kConfigMaps, "test", bad);
    ASSERT_FALSE(got);
    EXPECT_EQ(got.error().code, ErrorCode::Invalid) << got.error().message;
    auto removed = (*client)->remove(resources::kConfigMaps, "test", bad, {});
    ASSERT_FALSE(removed);
    EXPECT_EQ(removed.error().code, ErrorCode::Invalid);
    Json object = {{"metadata", {{"name", bad.empty() ? "x" : bad}}}};
    auto created = (*client)->create(resources::kConfigMaps, bad.empty() ? "a/b" : bad, object);
    ASSERT_FALSE(created);
    EXPECT_EQ(created.error().code, ErrorCode::Invalid);
  }
  auto raw = (*client)->getRaw("/api\r\nDELETE /api/v1/namespaces/victim/configmaps/precious");
  ASSERT_FALSE(raw);
  EXPECT_EQ(raw.error().code, ErrorCode::Invalid);
}

// A deterministic random search over segments built from the bytes that matter; the libFuzzer target
// (tests/fuzz/request_path_fuzz.cpp) explores further when built with clang.
TEST(RequestPath, RandomSegmentsNeverYieldAnUnsafeTarget) {
  const std::string alphabet =
      std::string("aZ09-._~/?#%:@ \r\n\t\"\\", 21) + std::string("\0\x7f\xc3\xa9", 4);
  std::mt19937 random(17);
  for (int i = 0; i < 20'000; ++i) {
    std::string segment;
    int length = static_cast<int>(random() % 8);
    for (int j = 0; j < length; ++j) segment += alphabet[random() % alphabet.size()];
    auto path = resources::kSecrets.objectPath("ns", segment);
    if (!path) continue;
    ASSERT_TRUE(checkRequestTarget(*path)) << ::testing::PrintToString(segment) << " -> " << *path;
    // The name is one segment: exactly the expected count of '/' and no query.
    EXPECT_EQ(std::count(path->begin(), path->end(), '/'), 6) << *path;
    EXPECT_EQ(path->find('?'), std::string::npos);
  }
}

}  // namespace
}  // namespace aviary::kube
