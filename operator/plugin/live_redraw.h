// The live view's terminal output (`kubectl aviary get canary -w`): each frame overwrites the previous
// one where it stands, so whatever the terminal showed above it (a demo's narration, the command line)
// stays, and a frame that did not change much does not flicker (no full-screen clear per second).
// Escape sequences are ECMA-48 / VT100: CSI n A (cursor up), CSI K (erase to end of line), CSI J (erase
// below), CSI H + CSI 2 J (home and clear) for a frame taller than the terminal, where moving up cannot
// reach the previous frame's first line.
#pragma once

#include <cstddef>
#include <string>

namespace aviary::plugin {

// What to write to replace a frame of `previousLines` lines (0: nothing drawn yet) with `frame`, whose
// lines end with '\n', on a terminal of `terminalRows` rows (0: unknown, taken as tall enough).
std::string redrawInPlace(std::size_t previousLines, const std::string& frame, std::size_t terminalRows);

// The number of lines `frame` takes ('\n'-terminated lines; a last line without one counts).
std::size_t frameLines(const std::string& frame);

}  // namespace aviary::plugin
