// The live view overwrites its previous frame where it stands, keeping what the terminal showed above.
#include "operator/plugin/live_redraw.h"

#include <gtest/gtest.h>

namespace aviary::plugin {
namespace {

TEST(LiveRedraw, FirstFrameIsWrittenWhereTheCursorIs) {
  EXPECT_EQ(redrawInPlace(0, "a\nbb\n", 40), "a\x1b[K\nbb\x1b[K\n\x1b[J");
}

TEST(LiveRedraw, NextFrameMovesUpOverThePreviousOneAndErasesWhatItLeft) {
  // Two lines drawn before; the new frame has one: up two, write it, erase the line below.
  EXPECT_EQ(redrawInPlace(2, "c\n", 40), "\r\x1b[2Ac\x1b[K\n\x1b[J");
}

TEST(LiveRedraw, AFrameTallerThanTheTerminalStartsFromTheTop) {
  // Moving up cannot reach a line scrolled off the screen: home and clear instead.
  EXPECT_EQ(redrawInPlace(3, "a\nb\nc\n", 3), "\x1b[H\x1b[2Ja\x1b[K\nb\x1b[K\nc\x1b[K\n\x1b[J");
  EXPECT_EQ(redrawInPlace(5, "a\n", 4).rfind("\x1b[H\x1b[2J", 0), 0u);
  EXPECT_EQ(redrawInPlace(2, "a\n", 0).rfind("\r\x1b[2A", 0), 0u) << "unknown height: relative";
}

TEST(LiveRedraw, CountsLines) {
  EXPECT_EQ(frameLines(""), 0u);
  EXPECT_EQ(frameLines("a\nb\n"), 2u);
  EXPECT_EQ(frameLines("a\nb"), 2u);
  EXPECT_EQ(redrawInPlace(0, "a\nb", 10), "a\x1b[K\nb\x1b[K\n\x1b[J")
      << "a last line without newline ends with one";
}

}  // namespace
}  // namespace aviary::plugin
