#include "operator/kube/write_through_cache.h"

#include <gtest/gtest.h>

#include <functional>
#include <utility>

#include "tests/support/forwarding_client.h"
#include "tests/support/memory_kube_client.h"

namespace aviary::kube {
namespace {

// Service "podinfo" in "apps" (port 9898), as the server stored it.
Json createPodinfo(testing::MemoryKubeClient& server) {
  return *server.create(resources::kServices, "apps", Json::parse(R"({"apiVersion": "v1", "kind": "Service",
    "metadata": {"name": "podinfo", "namespace": "apps"}, "spec": {"ports": [{"port": 9898}]}})"));
}

// What the owned-object watch does with an object it lists or sees changed.
bool deliver(WriteThroughCache& cache, const Json& object) {
  return cache.forgetIfChanged(resources::kServices, "apps", object["metadata"]["name"],
                               resourceVersionOf(object), &object);
}

// The real API server returns managedFields on every object (the sandbox sets none): a Service the
// operator created carries its field manager's entry, about as large as the rest of the object.
TEST(WriteThroughCache, KeepsNoManagedFieldsButEveryAnnotation) {
  testing::MemoryKubeClient server;
  const Json service = Json::parse(R"({"apiVersion": "v1", "kind": "Service",
    "metadata": {"name": "podinfo", "namespace": "apps",
                 "annotations": {"kubectl.kubernetes.io/last-applied-configuration": "{}", "team": "a"},
                 "managedFields": [{"manager": "aviary", "operation": "Update", "apiVersion": "v1",
                                    "fieldsType": "FieldsV1", "fieldsV1": {"f:spec": {"f:ports": {}}}}]},
    "spec": {"selector": {"app": "podinfo"}, "ports": [{"port": 9898}]}})");
  ASSERT_TRUE(server.create(resources::kServices, "apps", service));
  WriteThroughCache cache(server, {resources::kServices});
  for (int read = 0; read < 2; ++read) {  // the answer, then the cached copy
    auto got = cache.get(resources::kServices, "apps", "podinfo");
    ASSERT_TRUE(got) << got.error().message;
    EXPECT_FALSE((*got)["metadata"].contains("managedFields")) << "read " << read;
    // A PUT built from the copy must not drop a user's annotation (only managedFields may be omitted).
    EXPECT_EQ((*got)["metadata"]["annotations"], service["metadata"]["annotations"]) << "read " << read;
    EXPECT_EQ((*got)["spec"], service["spec"]);
  }
  EXPECT_EQ(cache.misses(), 1u);
  EXPECT_EQ(cache.hits(), 1u);
}

// A read served before another client's change, whose answer arrives after the watch delivered that
// change: the delivered object is the newer; the answer must not replace it (it would be trusted for the
// TTL while the server holds something else), nor may the delivered copy be kept beside it unjudged.
TEST(WriteThroughCache, AReadsAnswerDoesNotReplaceANewerDeliveredCopy) {
  testing::MemoryKubeClient server;
  createPodinfo(server);
  struct ChangeDuringRead : testing::ForwardingClient {
    using ForwardingClient::ForwardingClient;
    std::function<void()> afterServing;
    Result<Json> get(const ResourceType& t, const std::string& ns, const std::string& name,
                     const std::string& sub = "") override {
      auto answer = inner_.get(t, ns, name, sub);
      if (afterServing) std::exchange(afterServing, nullptr)();
      return answer;
    }
  } reads(server);
  WriteThroughCache cache(reads, {resources::kServices});
  std::string theirVersion;
  reads.afterServing = [&] {
    Json theirs = *server.get(resources::kServices, "apps", "podinfo");
    theirs["spec"]["ports"][0]["port"] = 80;
    Json stored = *server.update(resources::kServices, "apps", theirs);
    theirVersion = resourceVersionOf(stored);
    EXPECT_TRUE(deliver(cache, stored));
  };
  auto first = cache.get(resources::kServices, "apps", "podinfo");
  ASSERT_TRUE(first);
  EXPECT_EQ((*first)["spec"]["ports"][0]["port"], 9898) << "the answer as served";
  auto second = cache.get(resources::kServices, "apps", "podinfo");
  ASSERT_TRUE(second);
  EXPECT_EQ((*second)["spec"]["ports"][0]["port"], 80) << "the older answer was not kept";
  EXPECT_EQ(resourceVersionOf(*second), theirVersion);
  EXPECT_EQ(cache.misses(), 2u) << "neither was trusted: the second read asked the server";
  EXPECT_TRUE(cache.get(resources::kServices, "apps", "podinfo"));
  EXPECT_EQ(cache.misses(), 2u) << "the answer that agrees with the watch is kept";
}

// The echo of a version the cache already holds changes nothing and wakes nobody; a later delivery
// replaces an earlier one's copy (the watch delivers in order) and is served without a read, without
// managedFields.
TEST(WriteThroughCache, ADeliveredObjectReplacesAnEarlierDeliveredCopy) {
  testing::MemoryKubeClient server;
  Json listed = createPodinfo(server);
  WriteThroughCache cache(server, {resources::kServices});
  EXPECT_TRUE(deliver(cache, listed)) << "a listed object the cache did not hold";
  EXPECT_FALSE(deliver(cache, listed)) << "the same version again (a relist)";
  Json theirs = listed;
  theirs["spec"]["ports"][0]["port"] = 80;
  theirs["metadata"]["managedFields"] = Json::array({{{"manager", "kubectl"}}});
  theirs = *server.update(resources::kServices, "apps", theirs);
  EXPECT_TRUE(deliver(cache, theirs));
  auto got = cache.get(resources::kServices, "apps", "podinfo");
  ASSERT_TRUE(got);
  EXPECT_EQ((*got)["spec"]["ports"][0]["port"], 80);
  EXPECT_EQ(resourceVersionOf(*got), resourceVersionOf(theirs));
  EXPECT_FALSE((*got)["metadata"].contains("managedFields"));
  EXPECT_EQ(cache.misses(), 0u) << "no read at all";
}

// After a restart every copy is a delivered one. Aviary's own write of such an object is newer than the
// delivery (it was asked for after it): its answer is the copy, and its echo wakes nobody.
TEST(WriteThroughCache, AWriteAfterADeliveryKeepsItsAnswerAndItsEchoWakesNobody) {
  testing::MemoryKubeClient server;
  Json listed = createPodinfo(server);
  WriteThroughCache cache(server, {resources::kServices});
  EXPECT_TRUE(deliver(cache, listed));
  Json ours = *cache.get(resources::kServices, "apps", "podinfo");
  ours["spec"]["ports"][0]["port"] = 80;
  auto written = cache.update(resources::kServices, "apps", ours);
  ASSERT_TRUE(written) << written.error().message;
  EXPECT_FALSE(deliver(cache, *written)) << "the echo of our own write";
  auto got = cache.get(resources::kServices, "apps", "podinfo");
  ASSERT_TRUE(got);
  EXPECT_EQ((*got)["spec"]["ports"][0]["port"], 80);
  EXPECT_EQ(cache.misses(), 0u) << "the write's answer was kept: no read";
}

// A watch lagging behind our writes delivers the echo of an earlier write after the answer of a later
// one: that older object must not replace the newer copy.
TEST(WriteThroughCache, ALateDeliveryDoesNotReplaceANewerAnswer) {
  testing::MemoryKubeClient server;
  Json first = createPodinfo(server);
  WriteThroughCache cache(server, {resources::kServices});
  Json ours = *cache.get(resources::kServices, "apps", "podinfo");
  ours["spec"]["ports"][0]["port"] = 80;
  ASSERT_TRUE(cache.update(resources::kServices, "apps", ours));
  deliver(cache, first);
  auto got = cache.get(resources::kServices, "apps", "podinfo");
  ASSERT_TRUE(got);
  EXPECT_EQ((*got)["spec"]["ports"][0]["port"], 80) << "the older delivery was not served";
  EXPECT_EQ(cache.misses(), 2u) << "the copy was dropped and read again, as without a delivery";
}

}  // namespace
}  // namespace aviary::kube
