// libFuzzer target: any bytes from a watch stream, cut into two reads anywhere, give events or Decode
// errors, never a crash, and the decoder always moves on (no frame is read twice, none loops).
#include <cstdlib>

#include "operator/kube/watch_decoder.h"
#include "tests/fuzz/fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string input = aviary::fuzz::text(data, size);
  const std::size_t cut = size == 0 ? 0 : data[0] % (size + 1);
  aviary::kube::WatchDecoder decoder;
  std::size_t frames = 0, lines = 0;
  for (char c : input) lines += c == '\n';
  for (const std::string& read : {input.substr(0, cut), input.substr(cut)}) {
    decoder.feed(read);
    while (true) {
      auto event = decoder.nextEvent();
      if (event && !*event) break;         // needs more bytes
      if (++frames > lines) std::abort();  // a frame was handed out twice
    }
  }
  return 0;
}
