// The binaries' main loops: block until SIGINT or SIGTERM, then return so main can shut down cleanly.
#pragma once

namespace aviary {

void waitForStopSignal();

}  // namespace aviary
