#include "sandbox/api/selectors.h"

#include <gtest/gtest.h>

namespace aviary::sandbox {
namespace {

const Json kLabels = {{"app", "web"}, {"tier", "front"}, {"track", "canary"}};

bool labelMatch(const std::string& selector, const Json& labels = kLabels) {
  auto s = LabelSelector::parse(selector);
  EXPECT_TRUE(s.ok()) << selector;
  return s.ok() && s->matches(labels);
}

TEST(LabelSelector, AllOperators) {
  EXPECT_TRUE(labelMatch(""));
  EXPECT_TRUE(labelMatch("app=web"));
  EXPECT_TRUE(labelMatch("app==web"));
  EXPECT_FALSE(labelMatch("app!=web"));
  EXPECT_TRUE(labelMatch("app in (web, api)"));
  EXPECT_FALSE(labelMatch("app notin (web,api)"));
  EXPECT_TRUE(labelMatch("missing notin (x)"));  // notin also matches objects without the key
  EXPECT_TRUE(labelMatch("tier"));
  EXPECT_FALSE(labelMatch("!tier"));
  EXPECT_TRUE(labelMatch("!missing"));
  EXPECT_TRUE(labelMatch("app=web,track in (canary),!missing"));
  EXPECT_FALSE(labelMatch("app=web,tier=back"));
  EXPECT_FALSE(labelMatch("app=web", Json()));
}

TEST(LabelSelector, MalformedIsBadRequest) {
  for (const char* bad : {"app in web", "app=web,,x=y", "app between (a)", "=x"}) {
    auto s = LabelSelector::parse(bad);
    ASSERT_FALSE(s.ok()) << bad;
    EXPECT_EQ(s.error().httpStatus, 400);
  }
}

TEST(FieldSelector, EventFieldsAndUnsupportedFields) {
  Json event = {{"metadata", {{"name", "e1"}, {"namespace", "test"}}},
                {"involvedObject", {{"kind", "Canary"}, {"name", "web"}, {"uid", "u-1"}}},
                {"type", "Warning"}};
  std::vector<std::string> eventFields = {"involvedObject.kind", "involvedObject.name", "involvedObject.uid",
                                          "type"};
  auto s = FieldSelector::parse("involvedObject.name=web,involvedObject.kind=Canary,involvedObject.uid=u-1",
                                eventFields);
  ASSERT_TRUE(s.ok());
  EXPECT_TRUE(s->matches(event));
  auto other = FieldSelector::parse("involvedObject.uid=u-2", eventFields);
  EXPECT_FALSE(other->matches(event));
  auto neg = FieldSelector::parse("type!=Normal,metadata.name==e1", eventFields);
  EXPECT_TRUE(neg->matches(event));
  auto unsupported = FieldSelector::parse("spec.foo=bar", eventFields);
  ASSERT_FALSE(unsupported.ok());
  EXPECT_EQ(unsupported.error().message, "field label not supported: spec.foo");
}

}  // namespace
}  // namespace aviary::sandbox
