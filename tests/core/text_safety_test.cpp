#include "operator/core/text_safety.h"

#include <gtest/gtest.h>

namespace aviary {
namespace {

TEST(TextSafety, TruncateKeepsShortTextAndCutsOnCharacterBoundaries) {
  EXPECT_EQ(truncateText("short", 10), "short");
  EXPECT_EQ(truncateText("abcdef", 3), "abc\xE2\x80\xA6");
  // "é" is two bytes (C3 A9): a cut inside it steps back before it.
  EXPECT_EQ(truncateText("ab\xC3\xA9z", 3), "ab\xE2\x80\xA6");
  EXPECT_EQ(truncateText(std::string(10'000, 'x'), 512).size(), 512u + 3);
}

TEST(TextSafety, EscapeControlLeavesNoLineBreakAndIsUnambiguous) {
  EXPECT_EQ(escapeControl("a\r\nb\tc"), "a\\r\\nb\\tc");
  EXPECT_EQ(escapeControl(std::string("n\0l", 3)), "n\\x00l");
  EXPECT_EQ(escapeControl("\x1b[31m"), "\\x1b[31m");
  EXPECT_EQ(escapeControl("back\\slash"), "back\\\\slash");
  EXPECT_EQ(escapeControl("caf\xC3\xA9"), "caf\xC3\xA9");  // UTF-8 kept
  EXPECT_TRUE(hasControlBytes("x\ny"));
  EXPECT_FALSE(hasControlBytes("plain text \xC3\xA9"));
}

}  // namespace
}  // namespace aviary
