// Events written to a real HTTP server: shape, aggregation of repeats, the per-object limit,
// and recovery when an aggregated Event has expired.
#include "operator/kube/event_recorder.h"

#include <gtest/gtest.h>

#include "operator/core/time_format.h"
#include "operator/kube/http_kube_client.h"
#include "tests/support/fake_api_server.h"

namespace aviary::kube {
namespace {

using testing::FakeApiServer;
using namespace std::chrono_literals;

const std::string kEvents = "/api/v1/events";

ObjectReference canary(const std::string& name = "web") {
  return ObjectReference::fromObject(
      {{"apiVersion", "aviary.io/v1beta1"},
       {"kind", "Canary"},
       {"metadata", {{"name", name}, {"namespace", "test"}, {"uid", "uid-" + name}}}});
}

class EventRecorderTest : public ::testing::Test {
 protected:
  void SetUp() override { client_ = std::move(*HttpKubeClient::create(server_.clusterConfig())); }
  Json onlyEvent() {
    auto list = client_->list(resources::kEvents, "test");
    EXPECT_TRUE(list.ok());
    EXPECT_EQ((*list)["items"].size(), 1u);
    return (*list)["items"].empty() ? Json() : (*list)["items"][0];
  }
  FakeApiServer server_;
  std::unique_ptr<HttpKubeClient> client_;
  FakeClock clock_;
};

TEST_F(EventRecorderTest, WritesACoreV1Event) {
  EventRecorderOptions options;
  options.host = "node-1";
  EventRecorder recorder(*client_, options, clock_);
  recorder.record(canary(), EventType::Warning, "Synced", "Halt advancement: request-success-rate 91.2 < 99");
  recorder.flush();
  Json e = onlyEvent();
  EXPECT_EQ(e["involvedObject"]["kind"], "Canary");
  EXPECT_EQ(e["involvedObject"]["name"], "web");
  EXPECT_EQ(e["involvedObject"]["uid"], "uid-web");
  EXPECT_EQ(e["involvedObject"]["apiVersion"], "aviary.io/v1beta1");
  EXPECT_EQ(e["type"], "Warning");
  EXPECT_EQ(e["reason"], "Synced");
  EXPECT_EQ(e["message"], "Halt advancement: request-success-rate 91.2 < 99");
  EXPECT_EQ(e["source"]["component"], "aviary");
  EXPECT_EQ(e["count"], 1);
  EXPECT_EQ(e["firstTimestamp"], formatRfc3339(clock_.now()));
  EXPECT_EQ(e["metadata"]["name"].get<std::string>().rfind("web.", 0), 0u);
}

TEST_F(EventRecorderTest, RepeatsAreAggregated) {
  EventRecorder recorder(*client_, {}, clock_);
  auto first = clock_.now();
  for (int i = 0; i < 3; ++i) {
    recorder.record(canary(), EventType::Normal, "Synced", "Advance web.test canary weight 10");
    clock_.advance(10s);
  }
  recorder.record(canary(), EventType::Normal, "Synced", "Advance web.test canary weight 20");
  recorder.flush();
  auto list = client_->list(resources::kEvents, "test");
  ASSERT_EQ((*list)["items"].size(), 2u);
  for (const auto& e : (*list)["items"]) {
    if (e["message"] == "Advance web.test canary weight 10") {
      EXPECT_EQ(e["count"], 3);
      EXPECT_EQ(e["firstTimestamp"], formatRfc3339(first));
      EXPECT_EQ(e["lastTimestamp"], formatRfc3339(first + 20s));
    } else {
      EXPECT_EQ(e["count"], 1);
    }
  }
  EXPECT_EQ(server_.countRequests("POST", "/api/v1/namespaces/test/events"), 2);
  EXPECT_EQ(server_.countRequests("PATCH", "/api/v1/namespaces/test/events"), 2);
}

// More objects repeat a message than the configured cache holds (10,000 Canaries waiting against
// client-go's 4,096): the cache grows with the objects that have Events, so each repeat is still
// recognised and counted on the first Event instead of posting a new one.
TEST_F(EventRecorderTest, RepeatsAreRecognisedWhenMoreObjectsRepeatThanTheConfiguredCacheHolds) {
  EventRecorderOptions options;
  options.aggregationCacheSize = 4;
  EventRecorder recorder(*client_, options, clock_);
  for (int round = 0; round < 2; ++round) {
    for (int i = 0; i < 10; ++i)
      recorder.record(canary("c" + std::to_string(i)), EventType::Warning, "Synced", "Halt advancement");
    recorder.flush();
    clock_.advance(10s);
  }
  EXPECT_EQ(server_.countRequests("POST", "/api/v1/namespaces/test/events"), 10);
  EXPECT_EQ(server_.countRequests("PATCH", "/api/v1/namespaces/test/events"), 10);
  EXPECT_EQ(recorder.aggregatesKept(), 10u);
  // Still bounded: kAggregatesPerObject entries per object with Events, the least recently used go (the
  // list is shared, not per object: round-robin here, so each object keeps its latest two).
  for (int m = 0; m < 5; ++m)
    for (int i = 0; i < 10; ++i)
      recorder.record(canary("c" + std::to_string(i)), EventType::Normal, "Synced", "m" + std::to_string(m));
  recorder.flush();
  EXPECT_EQ(recorder.aggregatesKept(), 10 * EventRecorder::kAggregatesPerObject);
}

TEST_F(EventRecorderTest, PerObjectLimitDropsFloodsButNotOtherObjects) {
  EventRecorderOptions options;
  options.burst = 5;
  options.refillEvery = 300s;
  EventRecorder recorder(*client_, options, clock_);
  for (int i = 0; i < 20; ++i)
    recorder.record(canary("noisy"), EventType::Normal, "Flap", "m" + std::to_string(i));
  recorder.record(canary("quiet"), EventType::Normal, "Synced", "hello");
  recorder.flush();
  EXPECT_EQ(server_.count(kEvents), 6u);
  EXPECT_EQ(recorder.dropped(), 15u);
  // Tokens come back with time.
  clock_.advance(600s);
  recorder.record(canary("noisy"), EventType::Normal, "Flap", "after a pause");
  recorder.flush();
  EXPECT_EQ(server_.count(kEvents), 7u);
}

TEST_F(EventRecorderTest, ExpiredAggregateStartsANewEvent) {
  EventRecorder recorder(*client_, {}, clock_);
  recorder.record(canary(), EventType::Normal, "Synced", "same");
  recorder.flush();
  Json e = onlyEvent();
  server_.erase(kEvents, "test", e["metadata"]["name"]);  // the API server's TTL removed it
  clock_.advance(1s);
  recorder.record(canary(), EventType::Normal, "Synced", "same");
  recorder.flush();
  Json again = onlyEvent();
  EXPECT_EQ(again["count"], 1);
  EXPECT_NE(again["metadata"]["name"], e["metadata"]["name"]);
}

TEST_F(EventRecorderTest, ServerErrorsDoNotBlockOrCrash) {
  server_.addFault(testing::Fault{"POST", "/api/v1/namespaces/test/events", 500, "InternalError", "", 1});
  EventRecorder recorder(*client_, {}, clock_);
  recorder.record(canary(), EventType::Normal, "Synced", "lost");
  recorder.record(canary(), EventType::Normal, "Synced", "kept");
  recorder.flush();
  Json e = onlyEvent();
  EXPECT_EQ(e["message"], "kept");
}

TEST_F(EventRecorderTest, MessagesAreBoundedAndBucketsOfGoneObjectsAreForgotten) {
  EventRecorder recorder(*client_, {}, clock_);
  recorder.record(canary(), EventType::Warning, "Failed", std::string(100'000, 'x'));
  recorder.flush();
  EXPECT_LE(onlyEvent()["message"].get<std::string>().size(), EventRecorder::kMaxEventMessageBytes + 3);
  // Many short-lived objects (Canaries created and deleted), one Event each; in batches, so that the
  // recorder's bounded queue drops none.
  for (int i = 0; i < 1500; ++i) {
    recorder.record(canary("c" + std::to_string(i)), EventType::Normal, "Synced", "m");
    if (i % 100 == 99) recorder.flush();
  }
  recorder.flush();
  EXPECT_GE(recorder.trackedObjects(), 1024u);
  // Long after their last Event their buckets are full again and carry nothing: a new object's Event
  // sweeps them away.
  clock_.advance(std::chrono::hours(3));
  recorder.record(canary("late"), EventType::Normal, "Synced", "m");
  recorder.flush();
  EXPECT_EQ(recorder.trackedObjects(), 1u);
}

}  // namespace
}  // namespace aviary::kube
