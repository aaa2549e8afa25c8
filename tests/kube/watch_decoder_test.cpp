#include "operator/kube/watch_decoder.h"

#include <gtest/gtest.h>

namespace aviary::kube {
namespace {

TEST(WatchDecoder, FrameSplitAcrossChunksAndSeveralInOne) {
  std::string frames = R"({"type":"ADDED","object":{"metadata":{"name":"a","resourceVersion":"5"}}})"
                       "\n"
                       R"({"type":"MODIFIED","object":{"metadata":{"name":"a","resourceVersion":"6"}}})"
                       "\n"
                       R"({"type":"DELETED","object":{"metadata":{"name":"a","resourceVersion":"7"}}})"
                       "\n";
  // Feed in every possible split: the events must come out the same.
  for (std::size_t cut = 1; cut < frames.size(); cut += 7) {
    WatchDecoder decoder;
    std::vector<WatchEvent> events;
    for (std::size_t pos = 0; pos < frames.size(); pos += cut) {
      decoder.feed(std::string_view(frames).substr(pos, cut));
      while (true) {
        auto e = decoder.nextEvent();
        ASSERT_TRUE(e.ok());
        if (!*e) break;
        events.push_back(std::move(**e));
      }
    }
    ASSERT_EQ(events.size(), 3u) << "cut " << cut;
    EXPECT_EQ(events[0].type, WatchEvent::Type::Added);
    EXPECT_EQ(events[1].type, WatchEvent::Type::Modified);
    EXPECT_EQ(events[2].type, WatchEvent::Type::Deleted);
    EXPECT_EQ(events[2].object["metadata"]["resourceVersion"], "7");
    EXPECT_EQ(decoder.pending(), 0u);
  }
}

TEST(WatchDecoder, BookmarkAndBlankLines) {
  WatchDecoder decoder;
  decoder.feed(
      "\r\n\n{\"type\":\"BOOKMARK\",\"object\":{\"kind\":\"Deployment\",\"metadata\":{\"resourceVersion\":"
      "\"99\"}}}\r\n");
  auto e = decoder.nextEvent();
  ASSERT_TRUE(e.ok() && *e);
  EXPECT_EQ((*e)->type, WatchEvent::Type::Bookmark);
  EXPECT_EQ((*e)->object["metadata"]["resourceVersion"], "99");
}

TEST(WatchDecoder, ErrorEventBecomesTypedError) {
  auto e = decodeWatchFrame(
      R"J({"type":"ERROR","object":{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"too old resource version: 1005 (1100)","reason":"Expired","code":410}})J");
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.error().code, ErrorCode::Gone);
  EXPECT_EQ(e.error().httpStatus, 410);
  EXPECT_EQ(e.error().message, "too old resource version: 1005 (1100)");
}

TEST(WatchDecoder, MalformedFramesAreDecodeErrors) {
  for (const char* frame : {"not json", "[1,2]", R"({"object":{}})", R"({"type":"SOMETHING","object":{}})"}) {
    auto e = decodeWatchFrame(frame);
    ASSERT_FALSE(e.ok()) << frame;
    EXPECT_EQ(e.error().code, ErrorCode::Decode);
  }
}

}  // namespace
}  // namespace aviary::kube
