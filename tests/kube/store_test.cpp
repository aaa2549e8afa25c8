#include "operator/kube/store.h"

#include <gtest/gtest.h>

namespace aviary::kube {
namespace {

struct Item {
  std::string owner;
};

TEST(Store, IndexesFollowUpsertsEraseAndReplace) {
  Store<Item> store;
  store.addIndex("owner", [](const Item& i) { return std::vector<std::string>{i.owner}; });
  store.upsert("ns1/a", std::make_shared<Item>(Item{"x"}));
  store.upsert("ns1/b", std::make_shared<Item>(Item{"x"}));
  store.upsert("ns2/c", std::make_shared<Item>(Item{"y"}));
  EXPECT_EQ(store.byIndex("owner", "x").size(), 2u);
  EXPECT_EQ(store.byIndex("namespace", "ns1").size(), 2u);

  auto old = store.upsert("ns1/b", std::make_shared<Item>(Item{"y"}));
  ASSERT_TRUE(old);
  EXPECT_EQ(old->owner, "x");
  EXPECT_EQ(store.byIndex("owner", "x").size(), 1u);
  EXPECT_EQ(store.byIndex("owner", "y").size(), 2u);

  EXPECT_TRUE(store.erase("ns2/c"));
  EXPECT_FALSE(store.erase("ns2/c"));
  EXPECT_TRUE(store.byIndex("namespace", "ns2").empty());

  std::unordered_map<std::string, Store<Item>::Ptr> fresh;
  fresh["ns1/a"] = std::make_shared<Item>(Item{"z"});
  fresh["ns3/d"] = std::make_shared<Item>(Item{"z"});
  auto changes = store.replace(std::move(fresh));
  int added = 0, updated = 0, deleted = 0;
  for (const auto& c : changes) {
    if (!c.before)
      ++added;
    else if (!c.after)
      ++deleted;
    else
      ++updated;
  }
  EXPECT_EQ(added, 1);
  EXPECT_EQ(updated, 1);
  EXPECT_EQ(deleted, 1);  // ns1/b
  EXPECT_EQ(store.size(), 2u);
  EXPECT_TRUE(store.byIndex("owner", "x").empty());
  EXPECT_EQ(store.byIndex("owner", "z").size(), 2u);
}

TEST(Store, KeysForNamespacedAndClusterScoped) {
  EXPECT_EQ(objectKey("ns", "a"), "ns/a");
  EXPECT_EQ(objectKey("", "node-1"), "node-1");
  EXPECT_EQ(namespaceOfKey("ns/a"), "ns");
  EXPECT_EQ(namespaceOfKey("node-1"), "");
}

}  // namespace
}  // namespace aviary::kube
