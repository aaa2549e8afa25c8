// Watches over real HTTP: chunk boundaries, synthetic ADDED, bookmarks, 410, normal and abrupt close, cancel.
#include <gtest/gtest.h>

#include <thread>

#include "operator/kube/http_kube_client.h"
#include "tests/support/fake_api_server.h"

namespace aviary::kube {
namespace {

using testing::FakeApiServer;
using namespace std::chrono_literals;

const std::string kConfigMaps = "/api/v1/configmaps";

Json configMap(const std::string& name, const std::string& value = "1") {
  return {{"apiVersion", "v1"},
          {"kind", "ConfigMap"},
          {"metadata", {{"name", name}, {"namespace", "test"}}},
          {"data", {{"k", value}}}};
}

class WatchStreamTest : public ::testing::Test {
 protected:
  void SetUp() override { client_ = std::move(*HttpKubeClient::create(server_.clusterConfig())); }
  std::unique_ptr<WatchStream> watch(const std::string& rv, bool bookmarks = true, int timeout = 0) {
    WatchOptions o;
    o.resourceVersion = rv;
    o.allowBookmarks = bookmarks;
    o.timeoutSeconds = timeout;
    auto w = client_->watch(resources::kConfigMaps, "test", o);
    EXPECT_TRUE(w.ok()) << w.error().describe();
    return w.ok() ? std::move(*w) : nullptr;
  }
  static WatchEvent nextEvent(WatchStream& w) {
    auto e = w.next();
    EXPECT_TRUE(e.ok()) << e.error().describe();
    EXPECT_TRUE(e.ok() && e->has_value());
    return e.ok() && *e ? std::move(**e) : WatchEvent{};
  }
  FakeApiServer server_;
  std::unique_ptr<HttpKubeClient> client_;
};

TEST_F(WatchStreamTest, FromZeroStartsWithSyntheticAddedThenLiveChanges) {
  server_.upsert(kConfigMaps, configMap("a"));
  server_.upsert(kConfigMaps, configMap("b"));
  auto w = watch("0");
  EXPECT_EQ(nextEvent(*w).object["metadata"]["name"], "a");
  EXPECT_EQ(nextEvent(*w).object["metadata"]["name"], "b");
  server_.upsert(kConfigMaps, configMap("a", "2"));
  auto modified = nextEvent(*w);
  EXPECT_EQ(modified.type, WatchEvent::Type::Modified);
  EXPECT_EQ(modified.object["data"]["k"], "2");
  server_.erase(kConfigMaps, "test", "b");
  EXPECT_EQ(nextEvent(*w).type, WatchEvent::Type::Deleted);
}

TEST_F(WatchStreamTest, FromAVersionOnlyLaterEventsAndBookmarks) {
  server_.upsert(kConfigMaps, configMap("a"));
  std::string rv = server_.currentResourceVersion();
  server_.upsert(kConfigMaps, configMap("b"));
  auto w = watch(rv);
  auto e = nextEvent(*w);
  EXPECT_EQ(e.type, WatchEvent::Type::Added);
  EXPECT_EQ(e.object["metadata"]["name"], "b");
  server_.sendBookmark();
  auto bookmark = nextEvent(*w);
  EXPECT_EQ(bookmark.type, WatchEvent::Type::Bookmark);
  EXPECT_EQ(bookmark.object["metadata"]["resourceVersion"], server_.currentResourceVersion());
  EXPECT_NE(server_.requests().back().target.find("allowWatchBookmarks=true"), std::string::npos);
}

TEST_F(WatchStreamTest, TooOldVersionIsGone) {
  server_.upsert(kConfigMaps, configMap("a"));
  std::string old = server_.currentResourceVersion();
  server_.upsert(kConfigMaps, configMap("b"));
  server_.compactHistory();
  auto w = watch(old);
  auto e = w->next();
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.error().code, ErrorCode::Gone);
}

TEST_F(WatchStreamTest, NormalCloseEndsWithNullopt) {
  auto w = watch("0", true, 1);  // the server closes after timeoutSeconds=1
  auto e = w->next();
  ASSERT_TRUE(e.ok()) << e.error().describe();
  EXPECT_FALSE(e->has_value());
}

TEST_F(WatchStreamTest, AbruptCloseIsAnError) {
  auto w = watch("0");
  std::this_thread::sleep_for(100ms);
  server_.endWatches(true);
  auto e = w->next();
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.error().code, ErrorCode::Unavailable);
}

TEST_F(WatchStreamTest, CancelFromAnotherThreadUnblocksNext) {
  auto w = watch("0");
  std::thread canceller([&] {
    std::this_thread::sleep_for(100ms);
    w->cancel();
  });
  auto start = std::chrono::steady_clock::now();
  auto e = w->next();
  canceller.join();
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.error().code, ErrorCode::Cancelled);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 2s);
}

TEST_F(WatchStreamTest, WatchRejectedWithStatusIsTypedError) {
  server_.addFault(testing::Fault{"GET", "/api/v1/namespaces/test/configmaps", 403, "Forbidden", "", 1});
  WatchOptions o;
  auto w = client_->watch(resources::kConfigMaps, "test", o);
  ASSERT_FALSE(w.ok());
  EXPECT_EQ(w.error().code, ErrorCode::Forbidden) << w.error().describe();
}

// A server that cuts frames at awkward places and pauses between pieces.
TEST_F(WatchStreamTest, FramesSplitAcrossTransportChunks) {
  server_.setRawRoute(
      "/api/v1/namespaces/test/configmaps", [](const http::Request&, http::ResponseWriter& w) {
        w.startChunked(200, "application/json");
        std::string a = R"({"type":"ADDED","object":{"metadata":{"name":"x","resourceVersion":"10"}}})";
        std::string b = R"({"type":"MODIFIED","object":{"metadata":{"name":"x","resourceVersion":"11"}}})";
        w.writeChunk(a.substr(0, 5));
        std::this_thread::sleep_for(20ms);
        w.writeChunk(a.substr(5) + "\n" + b.substr(0, 30));
        std::this_thread::sleep_for(20ms);
        w.writeChunk(b.substr(30));  // the last frame has no newline before the stream ends
        w.finishChunked();
      });
  auto w = watch("0");
  auto first = nextEvent(*w);
  EXPECT_EQ(first.object["metadata"]["resourceVersion"], "10");
  auto second = nextEvent(*w);
  EXPECT_EQ(second.type, WatchEvent::Type::Modified);
  EXPECT_EQ(second.object["metadata"]["resourceVersion"], "11");
  auto end = w->next();
  ASSERT_TRUE(end.ok());
  EXPECT_FALSE(end->has_value());
}

}  // namespace
}  // namespace aviary::kube
