// Object sync against the sandbox API server: an object two Canaries share (the "-primary" copy of a
// ConfigMap both targets mount) outlives the first Canary that lets go of it.
#include <gtest/gtest.h>

#include "operator/kube/http_kube_client.h"
#include "operator/kube/object_sync.h"
#include "sandbox/api/api_server.h"

namespace aviary::kube {
namespace {

constexpr char kUidA[] = "0f1e2d3c-0000-4000-8000-00000000000a";
constexpr char kUidB[] = "0f1e2d3c-0000-4000-8000-00000000000b";

class ObjectSyncTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(server_.start());
    ClusterConfig config;
    config.server = server_.url();
    client_ = std::move(*HttpKubeClient::create(config));
  }
  // The copy as each Canary writes it.
  Json copyFor(const std::string& canary, const std::string& uid) {
    return {{"apiVersion", "v1"},
            {"kind", "ConfigMap"},
            {"metadata",
             {{"name", "shared-config-primary"},
              {"namespace", "test"},
              {"labels", {{kManagedByLabel, "aviary"}}},
              {"ownerReferences", Json::array({ownerReference(canary, uid)})}}},
            {"data", {{"k", "v"}}}};
  }
  Result<Json> stored() { return client_->get(resources::kConfigMaps, "test", "shared-config-primary"); }

  sandbox::ApiServer server_;
  std::unique_ptr<KubeClient> client_;
  const ManagedFields fields_{{}, {"data"}};
};

TEST_F(ObjectSyncTest, ASharedObjectLosesOnlyTheDepartingCanarysReference) {
  ASSERT_TRUE(syncObject(*client_, resources::kConfigMaps, "test", copyFor("a", kUidA), fields_));
  ASSERT_TRUE(syncObject(*client_, resources::kConfigMaps, "test", copyFor("b", kUidB), fields_));
  Json owners = (*stored())["metadata"]["ownerReferences"];
  ASSERT_EQ(owners.size(), 2u);
  EXPECT_TRUE(owners[0]["controller"]) << "a created it";
  EXPECT_FALSE(owners[1]["controller"]) << "one controller reference only";

  // a goes (its controller reference): b's becomes the controller, and the object stays.
  ASSERT_TRUE(deleteIfOwned(*client_, resources::kConfigMaps, "test", "shared-config-primary", kUidA));
  auto left = stored();
  ASSERT_TRUE(left) << "still used by b";
  owners = (*left)["metadata"]["ownerReferences"];
  ASSERT_EQ(owners.size(), 1u);
  EXPECT_EQ(owners[0]["uid"], kUidB);
  EXPECT_TRUE(owners[0]["controller"]);
  EXPECT_EQ((*left)["data"]["k"], "v");

  // b, the last owner, goes: the object goes with it.
  ASSERT_TRUE(deleteIfOwned(*client_, resources::kConfigMaps, "test", "shared-config-primary", kUidB));
  EXPECT_EQ(stored().error().code, ErrorCode::NotFound);
  EXPECT_TRUE(deleteIfOwned(*client_, resources::kConfigMaps, "test", "shared-config-primary", kUidB))
      << "NotFound is success";
}

TEST_F(ObjectSyncTest, APlainOwnerLeavingKeepsTheControllerAndTheObject) {
  ASSERT_TRUE(syncObject(*client_, resources::kConfigMaps, "test", copyFor("a", kUidA), fields_));
  ASSERT_TRUE(syncObject(*client_, resources::kConfigMaps, "test", copyFor("b", kUidB), fields_));
  ASSERT_TRUE(deleteIfOwned(*client_, resources::kConfigMaps, "test", "shared-config-primary", kUidB));
  Json owners = (*stored())["metadata"]["ownerReferences"];
  ASSERT_EQ(owners.size(), 1u);
  EXPECT_EQ(owners[0]["uid"], kUidA);
  EXPECT_TRUE(owners[0]["controller"]);
}

TEST_F(ObjectSyncTest, AConflictingWriteIsRetriedFromFreshState) {
  ASSERT_TRUE(syncObject(*client_, resources::kConfigMaps, "test", copyFor("a", kUidA), fields_));
  ASSERT_TRUE(syncObject(*client_, resources::kConfigMaps, "test", copyFor("b", kUidB), fields_));
  server_.faults().conflictNextWrites(1);
  ASSERT_TRUE(deleteIfOwned(*client_, resources::kConfigMaps, "test", "shared-config-primary", kUidA));
  Json owners = (*stored())["metadata"]["ownerReferences"];
  ASSERT_EQ(owners.size(), 1u);
  EXPECT_EQ(owners[0]["uid"], kUidB);
}

TEST_F(ObjectSyncTest, SomeoneElsesObjectIsLeftAlone) {
  Json theirs = copyFor("a", kUidA);
  theirs["metadata"].erase("ownerReferences");
  ASSERT_TRUE(client_->create(resources::kConfigMaps, "test", theirs));
  ASSERT_TRUE(deleteIfOwned(*client_, resources::kConfigMaps, "test", "shared-config-primary", kUidA));
  EXPECT_TRUE(stored());
}

}  // namespace
}  // namespace aviary::kube
